package parser

// moreTargets are the target extensions (owned by the targets area). Option
// tables follow iptables 1.8.9's extensions/libxt_*.c, libipt_*.c and
// libip6t_*.c (xt_option_entry tables; the newest revision's options). No
// target option can be negated. The kernel's restrictions (.table, .hooks,
// .proto, checkentry) follow net/netfilter/xt_*.c, ipt_*.c and ip6t_*.c,
// checked against iptables-legacy on the running kernel.
var moreTargets = []*ModuleSpec{
	mod("LOG", arg("log-level"), arg("log-prefix"), flag("log-tcp-sequence"), flag("log-tcp-options"),
		flag("log-ip-options"), flag("log-uid"), flag("log-macdecode")),
	mod("NFLOG", arg("nflog-group"), arg("nflog-prefix"), arg("nflog-range"), arg("nflog-size"),
		arg("nflog-threshold")).exclusive("nflog-range", "nflog-size"),
	mod4("ULOG", arg("ulog-nlgroup"), arg("ulog-prefix"), arg("ulog-cprange"), arg("ulog-qthreshold")),
	mod("AUDIT", arg("type").mand()),
	mod("REJECT", arg("reject-with")).table("filter").hooks(HookInput | HookForward | HookOutput).
		check(Restriction{When: []string{"reject-with=tcp-reset", "reject-with=tcp-rst"}, Protos: []string{"tcp"},
			Family: IPv4, Msg: "ipt_REJECT: TCP_RESET invalid for non-tcp"}).
		check(Restriction{When: []string{"reject-with=tcp-reset", "reject-with=tcp-rst"}, Protos: []string{"tcp"},
			Family: IPv6, Msg: "ip6t_REJECT: TCP_RESET illegal for non-tcp"}),
	mod("MARK", arg("set-mark"), arg("set-xmark"), arg("and-mark"), arg("or-mark"), arg("xor-mark")).
		exclusive("set-mark", "set-xmark", "and-mark", "or-mark", "xor-mark"),
	mod("CONNMARK", arg("set-xmark"), arg("set-mark"), arg("and-mark"), arg("or-mark"), arg("xor-mark"),
		flag("save-mark"), flag("restore-mark"), arg("left-shift-mark"), arg("right-shift-mark"),
		OptSpec{Name: "ctmask", MinArgs: 1, MaxArgs: 1, Excl: []string{"mask"}},
		OptSpec{Name: "nfmask", MinArgs: 1, MaxArgs: 1, Excl: []string{"mask"}},
		OptSpec{Name: "mask", MinArgs: 1, MaxArgs: 1, Excl: []string{"ctmask", "nfmask"}}).
		exclusive("set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark", "save-mark", "restore-mark"),
	mod("SNAT", arg("to-source").mand(), flag("random"), flag("random-fully"), flag("persistent")).
		table("nat").hooks(HookInput | HookPostrouting),
	mod("DNAT", arg("to-destination").mand(), flag("random"), flag("persistent")).
		table("nat").hooks(HookPrerouting | HookOutput),
	mod("MASQUERADE", arg("to-ports"), flag("random"), flag("random-fully")).table("nat").hooks(HookPostrouting),
	mod("REDIRECT", arg("to-ports"), flag("random")).table("nat").hooks(HookPrerouting | HookOutput),
	mod("NETMAP", arg("to")).table("nat"),
	mod("CT", flag("notrack"), arg("helper"), arg("timeout"), arg("ctevents"), arg("expevents"),
		arg("zone-orig"), arg("zone-reply"), arg("zone")).table("raw"),
	mod("NOTRACK").table("raw"),
	mod("TPROXY", arg("on-port").mand(), arg("on-ip"), arg("tproxy-mark")).table("mangle").hooks(HookPrerouting).
		check(Restriction{Protos: []string{"tcp", "udp"}, Msg: "xt_TPROXY: Can be used only with -p tcp or -p udp"}),
	mod("CLASSIFY", arg("set-class").mand()).hooks(HookForward | HookOutput | HookPostrouting),
	mod("DSCP", arg("set-dscp"), arg("set-dscp-class")).exclusive("set-dscp", "set-dscp-class").table("mangle"),
	mod("TOS", arg("set-tos"), arg("and-tos"), arg("or-tos"), arg("xor-tos")).exclusive("set-tos", "and-tos", "or-tos", "xor-tos").table("mangle"),
	mod("NFQUEUE", arg("queue-num"), arg("queue-balance"), flag("queue-bypass"), flag("queue-cpu-fanout").also("queue-balance")).
		exclusive("queue-num", "queue-balance"),
	mod("SYNPROXY", flag("sack-perm"), flag("timestamp"), arg("wscale"), arg("mss"), flag("ecn")).
		hooks(HookInput | HookForward).check(Restriction{Protos: []string{"tcp"}}),
	mod("TCPMSS", arg("set-mss"), flag("clamp-mss-to-pmtu")).proto("tcp").
		check(Restriction{When: []string{"clamp-mss-to-pmtu"}, Hooks: HookForward | HookOutput | HookPostrouting,
			Msg: "xt_TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks"}).
		check(Restriction{NeedSYN: true, Msg: "xt_TCPMSS: Only works on TCP SYN packets"}),
	mod("TEE", arg("gateway").mand(), arg("oif")),
	mod("TRACE").table("raw"),
	mod("CHECKSUM", flag("checksum-fill").mand()).table("mangle"),
	// SET's options are parsed by hand in libxt_SET.c: --add-set and
	// --del-set take the set name and the flags as two words.
	mod("SET", args("add-set", 2, false), args("del-set", 2, false), flag("exist"), arg("timeout"),
		args("map-set", 2, false), flag("map-mark"), flag("map-prio"), flag("map-queue")),
	mod("SECMARK", arg("selctx").mand()).check(Restriction{Tables: []string{"mangle", "security"},
		Msg: "xt_SECMARK: only valid in 'mangle' or 'security' table, not '{table}'"}),
	mod("CONNSECMARK", flag("save"), flag("restore")).exclusive("save", "restore").check(Restriction{Tables: []string{"mangle", "security"},
		Msg: "xt_CONNSECMARK: only valid in 'mangle' or 'security' table, not '{table}'"}),
	mod("HMARK", arg("hmark-tuple"), arg("hmark-src-prefix"), arg("hmark-dst-prefix"), arg("hmark-sport-mask"),
		arg("hmark-dport-mask"), arg("hmark-spi-mask"), arg("hmark-sport"), arg("hmark-dport"), arg("hmark-spi"),
		arg("hmark-proto-mask"), arg("hmark-rnd"), arg("hmark-mod").mand(), arg("hmark-offset")),
	mod("LED", arg("led-trigger-id").mand(), arg("led-delay"), flag("led-always-blink")),
	// send_nl_msg is not in iptables 1.8.9 (libxt_IDLETIMER.c
	// idletimer_tg_opts_v1: timeout, label, alarm): iptables refuses it.
	mod("IDLETIMER", arg("timeout").mand(), arg("label").mand(), flag("alarm")),
}
