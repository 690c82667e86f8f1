package translate

// -m connlabel: iptables-extensions(8) "connlabel"; nft "ct label". Only
// numeric labels are translated: label names come from connlabel.conf on
// the machine that loads the rules.
//   --label N          ct label N
//   --label N --set    ct label set N ct label N   (always matches, sets N)
//   ! --label N        ct label and N != N
//   ! --label N --set  ct label set N ct label and N != N (never matches)
// Approximate only for packets without conntrack entry, which "! --label"
// matches in the kernel and nft's ct label does not.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchConnlabel(c *ctx, m *parser.Match) error {
	o := m.Opt("label")
	if o == nil {
		return c.unsupported(m.Pos, "-m connlabel needs --label")
	}
	n, ok := parseNum(o.Arg(0), 8)
	if !ok {
		return c.unsupported(optArgPos(o), "connlabel name %q: label names are looked up in connlabel.conf where the rules are loaded; give the label's bit number", o.Arg(0))
	}
	if n > 127 {
		return c.badValue(o, "label (0-127)")
	}
	if m.Opt("set") != nil {
		c.add(&Assign{Left: &CT{Key: desc.CTLabel}, Value: &Int{V: n}})
	}
	if o.Negated {
		c.match(&Binop{Op: "&", Left: &CT{Key: desc.CTLabel}, Right: &Int{V: n}}, OpNe, &Int{V: n})
	} else {
		c.match(&CT{Key: desc.CTLabel}, OpEq, &Int{V: n})
	}
	return nil
}
