package parser

// moreTargets are the target extensions (owned by the targets area). Option
// tables follow iptables 1.8.9's extensions/libxt_*.c, libipt_*.c and
// libip6t_*.c (xt_option_entry tables; the newest revision's options). No
// target option can be negated.
var moreTargets = []*ModuleSpec{
	mod("LOG", arg("log-level"), arg("log-prefix"), flag("log-tcp-sequence"), flag("log-tcp-options"),
		flag("log-ip-options"), flag("log-uid"), flag("log-macdecode")),
	mod("NFLOG", arg("nflog-group"), arg("nflog-prefix"), arg("nflog-range"), arg("nflog-size"),
		arg("nflog-threshold")),
	mod4("ULOG", arg("ulog-nlgroup"), arg("ulog-prefix"), arg("ulog-cprange"), arg("ulog-qthreshold")),
	mod("AUDIT", arg("type")),
	mod("REJECT", arg("reject-with")),
	mod("MARK", arg("set-mark"), arg("set-xmark"), arg("and-mark"), arg("or-mark"), arg("xor-mark")),
	mod("CONNMARK", arg("set-xmark"), arg("set-mark"), arg("and-mark"), arg("or-mark"), arg("xor-mark"),
		flag("save-mark"), flag("restore-mark"), arg("left-shift-mark"), arg("right-shift-mark"),
		arg("ctmask"), arg("nfmask"), arg("mask")),
	mod("SNAT", arg("to-source"), flag("random"), flag("random-fully"), flag("persistent")),
	mod("DNAT", arg("to-destination"), flag("random"), flag("persistent")),
	mod("MASQUERADE", arg("to-ports"), flag("random"), flag("random-fully")),
	mod("REDIRECT", arg("to-ports"), flag("random")),
	mod("NETMAP", arg("to")),
	mod("CT", flag("notrack"), arg("helper"), arg("timeout"), arg("ctevents"), arg("expevents"),
		arg("zone-orig"), arg("zone-reply"), arg("zone")),
	mod("NOTRACK"),
	mod("TPROXY", arg("on-port"), arg("on-ip"), arg("tproxy-mark")),
	mod("CLASSIFY", arg("set-class")),
	mod("DSCP", arg("set-dscp"), arg("set-dscp-class")),
	mod("TOS", arg("set-tos"), arg("and-tos"), arg("or-tos"), arg("xor-tos")),
	mod("NFQUEUE", arg("queue-num"), arg("queue-balance"), flag("queue-bypass"), flag("queue-cpu-fanout")),
	mod("SYNPROXY", flag("sack-perm"), flag("timestamp"), arg("wscale"), arg("mss"), flag("ecn")),
	mod("TCPMSS", arg("set-mss"), flag("clamp-mss-to-pmtu")),
	mod("TEE", arg("gateway"), arg("oif")),
	mod("TRACE"),
	mod("CHECKSUM", flag("checksum-fill")),
	// SET's options are parsed by hand in libxt_SET.c: --add-set and
	// --del-set take the set name and the flags as two words.
	mod("SET", args("add-set", 2, false), args("del-set", 2, false), flag("exist"), arg("timeout"),
		args("map-set", 2, false), flag("map-mark"), flag("map-prio"), flag("map-queue")),
	mod("SECMARK", arg("selctx")),
	mod("CONNSECMARK", flag("save"), flag("restore")),
	mod("HMARK", arg("hmark-tuple"), arg("hmark-src-prefix"), arg("hmark-dst-prefix"), arg("hmark-sport-mask"),
		arg("hmark-dport-mask"), arg("hmark-spi-mask"), arg("hmark-sport"), arg("hmark-dport"), arg("hmark-spi"),
		arg("hmark-proto-mask"), arg("hmark-rnd"), arg("hmark-mod"), arg("hmark-offset")),
	mod("LED", arg("led-trigger-id"), arg("led-delay"), flag("led-always-blink")),
	mod("IDLETIMER", arg("timeout"), arg("label"), flag("alarm"), flag("send_nl_msg")),
}
