package parser

// miscMatches are conntrack, meta and stateful matches (owned by the misc
// area). The option tables follow the newest revision of each extension in
// iptables' extensions/libxt_*.c (an option of an older revision that the
// newest one dropped is kept when iptables-save can still print it).
var miscMatches = []*ModuleSpec{
	// libxt_conntrack.c state_opts
	mod("state", invArg("state").mand()),
	// libxt_conntrack.c conntrack3_mt_opts
	mod("conntrack", invArg("ctstate"), invArg("ctproto"), invArg("ctorigsrc"), invArg("ctorigdst"),
		invArg("ctreplsrc"), invArg("ctrepldst"), invArg("ctorigsrcport"), invArg("ctorigdstport"),
		invArg("ctreplsrcport"), invArg("ctrepldstport"), invArg("ctstatus"), invArg("ctexpire"), arg("ctdir")),
	// libxt_mark.c, libxt_connmark.c
	mod("mark", invArg("mark").mand()),
	mod("connmark", invArg("mark").mand()),
	// libxt_addrtype.c addrtype_opts_v1
	mod("addrtype", invArg("src-type"), invArg("dst-type"), flag("limit-iface-in"), flag("limit-iface-out")).
		exclusive("limit-iface-in", "limit-iface-out").
		check(Restriction{When: []string{"limit-iface-in"}, Hooks: HookPrerouting | HookInput | HookForward,
			Msg: "xt_addrtype: input interface limitation not valid in POSTROUTING and OUTPUT"}).
		check(Restriction{When: []string{"limit-iface-out"}, Hooks: HookForward | HookOutput | HookPostrouting,
			Msg: "xt_addrtype: output interface limitation not valid in PREROUTING and INPUT"}).
		// addrtype_mt_checkentry_v1: IPv6 has no such routes.
		check(Restriction{Family: IPv6, Refuse: true, When: []string{"src-type~blackhole", "dst-type~blackhole"},
			Msg: "xt_addrtype: ipv6 BLACKHOLE matching not supported"}).
		check(Restriction{Family: IPv6, Refuse: true, When: []string{"src-type~prohibit", "dst-type~prohibit",
			"src-type~throw", "dst-type~throw", "src-type~nat", "dst-type~nat", "src-type~xresolve", "dst-type~xresolve"},
			Msg: "xt_addrtype: ipv6 PROHIBIT (THROW, NAT ..) matching not supported"}).
		check(Restriction{Family: IPv6, Refuse: true, When: []string{"src-type~broadcast", "dst-type~broadcast"},
			Msg: "xt_addrtype: ipv6 does not support BROADCAST matching"}),
	// libxt_limit.c
	mod("limit", arg("limit"), arg("limit-burst")),
	// libxt_hashlimit.c hashlimit_mt_opts (revision 3) plus --hashlimit
	mod("hashlimit", OptSpec{Name: "hashlimit-upto", MinArgs: 1, MaxArgs: 1, Invert: true, Excl: []string{"hashlimit-above"}},
		OptSpec{Name: "hashlimit-above", MinArgs: 1, MaxArgs: 1, Invert: true, Excl: []string{"hashlimit-upto"}},
		OptSpec{Name: "hashlimit", MinArgs: 1, MaxArgs: 1, Invert: true, Excl: []string{"hashlimit-above"}},
		arg("hashlimit-srcmask"), arg("hashlimit-dstmask"), arg("hashlimit-burst"),
		arg("hashlimit-htable-size"), arg("hashlimit-htable-max"), arg("hashlimit-htable-gcinterval"),
		arg("hashlimit-htable-expire"), arg("hashlimit-mode"), arg("hashlimit-name").mand(),
		flag("hashlimit-rate-match"), arg("hashlimit-rate-interval")),
	// libxt_connlimit.c
	mod("connlimit", invArg("connlimit-upto"), invArg("connlimit-above"), arg("connlimit-mask"),
		flag("connlimit-saddr"), flag("connlimit-daddr")).
		exclusive("connlimit-upto", "connlimit-above").exclusive("connlimit-saddr", "connlimit-daddr"),
	// libxt_connbytes.c
	mod("connbytes", invArg("connbytes").mand(), arg("connbytes-dir").mand(), arg("connbytes-mode").mand()),
	// libxt_connlabel.c
	mod("connlabel", invArg("label").mand(), flag("set")),
	// libxt_owner.c owner_mt_opts (revision 1); pid/sid/cmd-owner are
	// revision 0 (kernels before 2.6.14) and iptables 1.8 no longer loads it.
	mod("owner", invArg("uid-owner"), invArg("gid-owner"), invFlag("socket-exists"), flag("suppl-groups")).
		hooks(HookOutput | HookPostrouting),
	// libxt_cgroup.c cgroup_opts_v2
	mod("cgroup", invArg("path"), invArg("cgroup")).hooks(HookInput | HookOutput | HookPostrouting),
	// libxt_cluster.c
	mod("cluster", arg("cluster-total-nodes").mand(), invArg("cluster-local-node"), invArg("cluster-local-nodemask"),
		arg("cluster-hash-seed").mand()).exclusive("cluster-local-node", "cluster-local-nodemask"),
	// libxt_cpu.c
	mod("cpu", invArg("cpu").mand()),
	// libxt_devgroup.c
	mod("devgroup", invArg("src-group"), invArg("dst-group")).
		check(Restriction{When: []string{"src-group"}, Hooks: HookPrerouting | HookInput | HookForward}).
		check(Restriction{When: []string{"dst-group"}, Hooks: HookForward | HookOutput | HookPostrouting}),
	// libxt_helper.c
	mod("helper", invArg("helper").mand()),
	// libxt_policy.c: element options may repeat (XTOPT_MULTI) after --next;
	// the binder accepts each once per element only through --next, so
	// they are declared once here and multi-element policies are reported
	// by the translator.
	mod("policy", arg("dir"), arg("pol"), flag("strict"), invArg("reqid"), invArg("spi"),
		invArg("tunnel-src"), invArg("tunnel-dst"), invArg("proto"), invArg("mode"), flag("next")).
		check(Restriction{When: []string{"dir=in"}, Hooks: HookPrerouting | HookInput | HookForward,
			Msg: "xt_policy: input policy not valid in POSTROUTING and OUTPUT"}).
		check(Restriction{When: []string{"dir=out"}, Hooks: HookForward | HookOutput | HookPostrouting,
			Msg: "xt_policy: output policy not valid in PREROUTING and INPUT"}),
	// libxt_quota.c
	mod("quota", invArg("quota").mand()),
	// libxt_rpfilter.c
	mod("rpfilter", flag("loose"), flag("validmark"), flag("accept-local"), flag("invert")).
		hooks(HookPrerouting).
		check(Restriction{Tables: []string{"raw", "mangle"},
			Msg: "{ipt}_rpfilter: only valid in 'raw' or 'mangle' table, not '{table}'"}),
	// libxt_statistic.c
	mod("statistic", arg("mode").mand(), OptSpec{Name: "probability", MinArgs: 1, MaxArgs: 1, Invert: true, Excl: []string{"every", "packet"}},
		OptSpec{Name: "every", MinArgs: 1, MaxArgs: 1, Invert: true, Excl: []string{"probability"}, Also: []string{"packet"}},
		OptSpec{Name: "packet", MinArgs: 1, MaxArgs: 1, Excl: []string{"probability"}, Also: []string{"every"}}),
	// libxt_time.c
	mod("time", arg("datestart"), arg("datestop"), arg("timestart"), arg("timestop"), flag("contiguous"),
		invArg("weekdays"), invArg("monthdays"), OptSpec{Name: "localtz", Excl: []string{"utc"}},
		OptSpec{Name: "utc", Excl: []string{"localtz", "kerneltz"}}, OptSpec{Name: "kerneltz", Excl: []string{"utc"}}),
	// libxt_set.c set_opts_v4: --match-set NAME FLAGS takes two words.
	mod("set", args("match-set", 2, true), args("set", 2, true), flag("return-nomatch"),
		invFlag("update-counters"), invFlag("update-subcounters"), invArg("packets-eq"), arg("packets-lt"),
		arg("packets-gt"), invArg("bytes-eq"), arg("bytes-lt"), arg("bytes-gt")),
	// libxt_socket.c socket_mt_opts_v3
	mod("socket", flag("transparent"), flag("nowildcard"), flag("restore-skmark")).hooks(HookPrerouting | HookInput),
	// libxt_nfacct.c
	mod("nfacct", arg("nfacct-name").mand()),
	// libxt_physdev.c
	mod("physdev", invArg("physdev-in"), invArg("physdev-out"), invFlag("physdev-is-in"),
		invFlag("physdev-is-out"), invFlag("physdev-is-bridged")).
		check(Restriction{When: []string{"physdev-out", "physdev-is-out"}, Unless: "physdev-is-bridged",
			Hooks: hooksAll &^ HookOutput,
			Msg:   "xt_physdev: --physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING chains with bridged traffic"}),
}
