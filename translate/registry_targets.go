package translate

import "github.com/xt2nft/xt2nft/parser"

// moreTargetFuncs translate parser/modules_targets.go's targets.
var moreTargetFuncs = map[string]targetFunc{
	"LOG":    todoTarget,
	"REJECT": todoTarget,
	"MARK":   todoTarget,
}

func todoTarget(c *ctx, t *parser.Target) error { return c.unsupported(t.Pos, "todo") }
