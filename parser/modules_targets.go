package parser

// moreTargets are the target extensions (owned by the targets area).
var moreTargets = []*ModuleSpec{
	mod("LOG", arg("log-level"), arg("log-prefix"), flag("log-tcp-sequence"), flag("log-tcp-options"),
		flag("log-ip-options"), flag("log-uid"), flag("log-macdecode")),
	mod("REJECT", arg("reject-with")),
	mod("MARK", arg("set-mark"), arg("set-xmark"), arg("and-mark"), arg("or-mark"), arg("xor-mark")),
}
