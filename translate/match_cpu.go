package translate

// -m cpu: iptables-extensions(8) "cpu"; nft "meta cpu". Exact.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchCPU(c *ctx, m *parser.Match) error {
	o := m.Opt("cpu")
	if o == nil {
		return c.unsupported(m.Pos, "-m cpu needs --cpu")
	}
	n, ok := parseNum(o.Arg(0), 32)
	if !ok {
		return c.badValue(o, "cpu number")
	}
	c.match(&Meta{Key: desc.MetaCPU}, eq(o.Negated), &Int{V: n})
	return nil
}
