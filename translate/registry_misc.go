package translate

import "github.com/xt2nft/xt2nft/parser"

// miscMatchFuncs translate parser/modules_misc.go's matches.
var miscMatchFuncs = map[string]matchFunc{
	"state":     todoMatch,
	"conntrack": todoMatch,
	"mark":      todoMatch,
}

func todoMatch(c *ctx, m *parser.Match) error { return c.unsupported(m.Pos, "todo") }
