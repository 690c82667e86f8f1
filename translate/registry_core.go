package translate

// coreMatchFuncs are the translators of the matches in parser/modules_core.go.
var coreMatchFuncs = map[string]matchFunc{
	"tcp":     matchTCP,
	"udp":     matchUDP,
	"comment": matchComment,
	"recent":  matchRecent,
}

// coreTargetFuncs: standard verdicts and jumps are handled in ctx.go.
var coreTargetFuncs = map[string]targetFunc{}
