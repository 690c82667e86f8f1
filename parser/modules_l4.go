package parser

// l4Matches are protocol header matches (owned by the l4 area). The option
// tables follow iptables 1.8.9's extensions/libxt_*.c, libipt_*.c and
// libip6t_*.c: long names, arity and whether "!" is accepted.
//
// There is no udplite match in iptables (the kernel has one, but no
// userspace extension loads it); udplite ports are reachable only through
// -m multiport.
var l4Matches = []*ModuleSpec{
	mod4("icmp", invArg("icmp-type")),
	mod6("icmp6", invArg("icmpv6-type")),
	mod("multiport", invArg("source-ports"), invArg("sports"), invArg("destination-ports"),
		invArg("dports"), invArg("ports")),
	mod("sctp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport"),
		args("chunk-types", 2, true)),
	mod("dccp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport"),
		invArg("dccp-types"), invArg("dccp-option")),
	mod4("ah", invArg("ahspi")),
	mod6("ah", invArg("ahspi"), invArg("ahlen"), flag("ahres")),
	mod("esp", invArg("espspi")),
	mod("ipcomp", invArg("ipcompspi"), flag("compres")),
	mod6("frag", invArg("fragid"), invArg("fraglen"), flag("fragres"), flag("fragfirst"),
		flag("fragmore"), flag("fraglast")),
	mod6("hbh", invArg("hbh-len"), arg("hbh-opts")),
	mod6("dst", invArg("dst-len"), arg("dst-opts")),
	mod6("rt", invArg("rt-type"), invArg("rt-segsleft"), invArg("rt-len"), flag("rt-0-res"),
		arg("rt-0-addrs"), flag("rt-0-not-strict")),
	mod6("mh", invArg("mh-type")),
	mod6("ipv6header", invArg("header"), flag("soft")),
	mod("tcpmss", invArg("mss")),
	mod("length", invArg("length")),
	// --ttl is an undocumented synonym of --ttl-eq (without "!").
	mod4("ttl", invArg("ttl-eq"), arg("ttl-gt"), arg("ttl-lt"), arg("ttl")),
	mod6("hl", invArg("hl-eq"), arg("hl-gt"), arg("hl-lt"), arg("hl")),
	mod("ecn", invFlag("ecn-tcp-cwr"), invFlag("ecn-tcp-ece"), invArg("ecn-ip-ect")),
	mod("dscp", invArg("dscp"), invArg("dscp-class")),
	mod("tos", invArg("tos")),
	mod("iprange", invArg("src-range"), invArg("dst-range")),
	mod("mac", invArg("mac-source")),
	mod("pkttype", invArg("pkt-type")),
	mod4("realm", invArg("realm")),
}
