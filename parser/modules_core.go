package parser

// coreMatches are tcp, udp, comment and recent.
var coreMatches = []*ModuleSpec{
	mod("tcp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport"),
		invFlag("syn"), args("tcp-flags", 2, true), invArg("tcp-option")).proto("tcp"),
	mod("udp", invArg("source-port"), invArg("sport"), invArg("destination-port"), invArg("dport")).proto("udp"),
	mod("comment", arg("comment").mand()),
	mod("recent", invFlag("set"), invFlag("rcheck"), invFlag("update"), invFlag("remove"),
		arg("seconds"), flag("reap").also("seconds"), arg("hitcount"), OptSpec{Name: "rttl", Excl: []string{"set", "remove"}},
		arg("name"), flag("rsource"), flag("rdest"), arg("mask")).exclusive("set", "rcheck", "update", "remove"),
}

// coreTargets: standard verdicts and chain jumps need no extension.
var coreTargets = []*ModuleSpec{}
