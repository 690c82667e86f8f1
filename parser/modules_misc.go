package parser

// miscMatches are conntrack, meta and stateful matches (owned by the misc area).
var miscMatches = []*ModuleSpec{
	mod("state", invArg("state")),
	mod("conntrack", invArg("ctstate"), invArg("ctproto"), invArg("ctorigsrc"), invArg("ctorigdst"),
		invArg("ctreplsrc"), invArg("ctrepldst"), invArg("ctorigsrcport"), invArg("ctorigdstport"),
		invArg("ctreplsrcport"), invArg("ctrepldstport"), invArg("ctstatus"), invArg("ctexpire"), arg("ctdir")),
	mod("mark", invArg("mark")),
}
