package parser

// l4Matches are protocol header matches (owned by the l4 area). The option
// tables follow iptables 1.8.9's extensions/libxt_*.c, libipt_*.c and
// libip6t_*.c: long names, arity and whether "!" is accepted.
//
// There is no udplite match in iptables (the kernel has one, but no
// userspace extension loads it); udplite ports are reachable only through
// -m multiport.
//
// The kernel's restrictions (.proto, .hooks, checkentry) follow
// net/netfilter/xt_*.c, net/ipv4/netfilter/ipt_*.c and ip6t_*.c, checked
// against iptables-legacy on the running kernel.
var l4Matches = []*ModuleSpec{
	mod4("icmp", invArg("icmp-type").mand()).proto("icmp"),
	mod6("icmp6", invArg("icmpv6-type").mand()).proto("ipv6-icmp"),
	mod("multiport", invArg("source-ports"), invArg("sports"), invArg("destination-ports"),
		invArg("dports"), invArg("ports")).exclusive("sports", "dports", "ports"),
	mod("sctp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport"),
		args("chunk-types", 2, true)).proto("sctp"),
	mod("dccp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport"),
		invArg("dccp-types"), invArg("dccp-option")).proto("dccp"),
	mod4("ah", invArg("ahspi")).proto("ah"),
	mod6("ah", invArg("ahspi"), invArg("ahlen"), flag("ahres")), // an extension header: no .proto
	mod("esp", invArg("espspi")).proto("esp"),
	mod("ipcomp", invArg("ipcompspi"), flag("compres")).proto("ipcomp"),
	mod6("frag", invArg("fragid"), invArg("fraglen"), flag("fragres"), flag("fragfirst"),
		flag("fragmore"), flag("fraglast")).exclusive("fragmore", "fraglast"),
	mod6("hbh", invArg("hbh-len"), arg("hbh-opts")),
	mod6("dst", invArg("dst-len"), arg("dst-opts")),
	mod6("rt", invArg("rt-type"), invArg("rt-segsleft"), invArg("rt-len"), flag("rt-0-res"),
		arg("rt-0-addrs"), flag("rt-0-not-strict")),
	mod6("mh", invArg("mh-type")).proto("mh"),
	mod6("ipv6header", invArg("header").mand(), flag("soft")),
	mod("tcpmss", invArg("mss").mand()).proto("tcp"),
	mod("length", invArg("length").mand()),
	// --ttl is an undocumented synonym of --ttl-eq (without "!").
	mod4("ttl", invArg("ttl-eq"), arg("ttl-gt"), arg("ttl-lt"), arg("ttl")).exclusive("ttl-eq", "ttl-gt", "ttl-lt", "ttl"),
	mod6("hl", invArg("hl-eq"), arg("hl-gt"), arg("hl-lt"), arg("hl")).exclusive("hl-eq", "hl-gt", "hl-lt", "hl"),
	mod("ecn", invFlag("ecn-tcp-cwr"), invFlag("ecn-tcp-ece"), invArg("ecn-ip-ect")).check(Restriction{
		When: []string{"ecn-tcp-cwr", "ecn-tcp-ece"}, Protos: []string{"tcp"},
		Msg: "xt_ecn: cannot match TCP bits for non-tcp packets"}),
	mod("dscp", invArg("dscp"), invArg("dscp-class")).exclusive("dscp", "dscp-class"),
	mod("tos", invArg("tos").mand()),
	mod("iprange", invArg("src-range"), invArg("dst-range")),
	mod("mac", invArg("mac-source").mand()).hooks(HookPrerouting | HookInput | HookForward),
	mod("pkttype", invArg("pkt-type").mand()),
	mod4("realm", invArg("realm").mand()).hooks(HookInput | HookForward | HookOutput | HookPostrouting),
}
