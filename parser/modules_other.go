package parser

// otherMatches and otherTargets are the extensions of iptables 1.8.9
// (extensions/libxt_*.c, libipt_*.c, libip6t_*.c) that xt2nft does not
// translate, because nft cannot express them or not yet (translate's
// noTranslation says which, for each). They are read like every other
// extension, so that a rule using one is refused as untranslatable with
// its reason instead of as an "unknown match" iptables would accept.
var otherMatches = []*ModuleSpec{
	mod("string", arg("from"), arg("to"), arg("algo"), invArg("string"), invArg("hex-string"), flag("icase")),
	mod("u32", invArg("u32")),
	mod("bpf", arg("bytecode"), arg("object-pinned")),
	mod("ipvs", invFlag("ipvs"), invArg("vproto"), invArg("vaddr"), invArg("vport"), arg("vdir"), invArg("vmethod"),
		invArg("vportctl")),
	mod4("osf", invArg("genre"), arg("ttl"), arg("log")),
	// libxt_rateest.c parses by hand (getopt table rateest_opts): the
	// bps/pps options take an optional rate word, lt/gt/eq take "!".
	mod("rateest", arg("rateest1"), arg("rateest"), arg("rateest2"), optArg("rateest-bps1"), optArg("rateest-pps1"),
		optArg("rateest-bps2"), optArg("rateest-pps2"), optArg("rateest-bps"), optArg("rateest-pps"),
		flag("rateest-delta"), invFlag("rateest-lt"), invFlag("rateest-gt"), invFlag("rateest-eq")),
	mod6("eui64"),
	mod6("srh", invArg("srh-next-hdr"), invArg("srh-hdr-len-eq"), invArg("srh-hdr-len-gt"), invArg("srh-hdr-len-lt"),
		invArg("srh-segs-left-eq"), invArg("srh-segs-left-gt"), invArg("srh-segs-left-lt"), invArg("srh-last-entry-eq"),
		invArg("srh-last-entry-gt"), invArg("srh-last-entry-lt"), invArg("srh-tag"), invArg("srh-psid"),
		invArg("srh-nsid"), invArg("srh-lsid")),
}

// optArg is an option whose word is optional.
func optArg(name string) OptSpec { return OptSpec{Name: name, MaxArgs: 1} }

var otherTargets = []*ModuleSpec{
	mod4("TTL", arg("ttl-set"), arg("ttl-dec"), arg("ttl-inc")).table("mangle"),
	mod6("HL", arg("hl-set"), arg("hl-dec"), arg("hl-inc")).table("mangle"),
	mod4("ECN", flag("ecn-tcp-remove"), arg("ecn-tcp-cwr"), arg("ecn-tcp-ece"), arg("ecn-ip-ect")).table("mangle"),
	mod("TCPOPTSTRIP", arg("strip-options")),
	mod4("CLUSTERIP", flag("new"), arg("hashmode"), arg("clustermac"), arg("total-nodes"), arg("local-node"),
		arg("hash-init")),
	mod6("DNPT", arg("src-pfx"), arg("dst-pfx")),
	mod6("SNPT", arg("src-pfx"), arg("dst-pfx")),
	mod("RATEEST", arg("rateest-name"), arg("rateest-interval"), arg("rateest-ewmalog")),
}
