package parser

// moreTargets are the target extensions.
var moreTargets = []*ModuleSpec{
	mod("LOG", arg("log-level"), arg("log-prefix"), flag("log-tcp-sequence"), flag("log-tcp-options"),
		flag("log-ip-options"), flag("log-uid"), flag("log-macdecode")),
	mod("NFLOG", arg("nflog-group"), arg("nflog-prefix"), arg("nflog-range"), arg("nflog-size"), arg("nflog-threshold")),
	mod("REJECT", arg("reject-with")),
	mod("MARK", arg("set-mark"), arg("set-xmark"), arg("and-mark"), arg("or-mark"), arg("xor-mark")),
	mod("CONNMARK", arg("set-mark"), arg("set-xmark"), arg("and-mark"), arg("or-mark"), arg("xor-mark"),
		flag("save-mark"), flag("restore-mark"), arg("nfmask"), arg("ctmask"), arg("mask"),
		arg("left-shift-mark"), arg("right-shift-mark")),
	mod("DNAT", arg("to-destination"), flag("random"), flag("persistent"), flag("random-fully")),
	mod("SNAT", arg("to-source"), flag("random"), flag("persistent"), flag("random-fully")),
	mod("MASQUERADE", arg("to-ports"), flag("random"), flag("random-fully")),
	mod("REDIRECT", arg("to-ports"), flag("random")),
	mod("NETMAP", arg("to")),
	mod("NOTRACK"),
	mod("CT", flag("notrack"), arg("helper"), arg("ctevents"), arg("expevents"), arg("zone"), arg("zone-orig"), arg("zone-reply"), arg("timeout")),
	mod("TPROXY", arg("on-port"), arg("on-ip"), arg("tproxy-mark")),
	mod("TCPMSS", arg("set-mss"), flag("clamp-mss-to-pmtu")),
	mod("CHECKSUM", flag("checksum-fill")),
	mod("TRACE"),
	mod("CLASSIFY", arg("set-class")),
	mod("NFQUEUE", arg("queue-num"), arg("queue-balance"), flag("queue-bypass"), flag("queue-cpu-fanout")),
	mod("TEE", arg("gateway"), arg("oif")),
	mod("DSCP", arg("set-dscp"), arg("set-dscp-class")),
	mod("AUDIT", arg("type")),
}
