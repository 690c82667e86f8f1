package parser

// l4Matches are protocol header matches.
var l4Matches = []*ModuleSpec{
	mod4("icmp", invArg("icmp-type")),
	mod6("icmp6", invArg("icmpv6-type")),
	mod("multiport", invArg("sports"), invArg("source-ports"), invArg("dports"), invArg("destination-ports"), invArg("ports")),
	mod("sctp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport"), args("chunk-types", 2, true)),
	mod("dccp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport"), invArg("dccp-types"), invArg("dccp-option")),
	mod("udplite", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport")),
	mod("iprange", invArg("src-range"), invArg("dst-range")),
	mod("mac", invArg("mac-source")),
	mod("pkttype", invArg("pkt-type")),
	mod4("ttl", invArg("ttl-eq"), arg("ttl-gt"), arg("ttl-lt")),
	mod6("hl", invArg("hl-eq"), arg("hl-gt"), arg("hl-lt")),
	mod("length", invArg("length")),
	mod("tcpmss", invArg("mss")),
	mod("esp", invArg("espspi")),
	mod4("ah", invArg("ahspi")),
	mod6("ah", invArg("ahspi"), invArg("ahlen"), flag("ahres")),
	mod("dscp", invArg("dscp"), invArg("dscp-class")),
	mod("tos", invArg("tos")),
	mod6("rt", invArg("rt-type"), invArg("rt-segsleft"), invArg("rt-len"), flag("rt-0-res"), arg("rt-0-addrs"), flag("rt-0-not-strict")),
	mod6("frag", invArg("fragid"), invArg("fraglen"), flag("fragres"), flag("fragfirst"), flag("fragmore"), flag("fraglast")),
	mod6("ipv6header", flag("soft"), invArg("header")),
}
