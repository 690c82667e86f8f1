package translate

// -m rpfilter: iptables-extensions(8) "rpfilter"; nft "fib saddr [. mark]
// [. iif] oif". As upstream:
//   (default)      fib saddr . iif oif != 0
//   --loose        fib saddr oif != 0           (any interface)
//   --validmark    fib saddr . mark . iif oif != 0
//   --invert       ... oif 0
//   --accept-local --invert: fib saddr type != local fib saddr . iif oif 0
// Without --invert, --accept-local is "reverse path OK OR source is a local
// address", an OR one nft rule cannot express: reported (upstream too).

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchRpfilter(c *ctx, m *parser.Match) error {
	invert := m.Opt("invert") != nil
	if o := m.Opt("accept-local"); o != nil {
		if !invert {
			return c.unsupported(o.Pos, "--accept-local without --invert means \"reverse path OK or source address local\", an OR one nft rule cannot express; use two rules (fib saddr type local ...; fib saddr . iif oif != 0 ...)")
		}
		c.match(&Fib{Flags: []*desc.FibFlag{desc.FibSaddr}, Result: desc.FibResultType}, OpNe, &Sym{Name: "local"})
	}
	flags := []*desc.FibFlag{desc.FibSaddr}
	if m.Opt("validmark") != nil {
		flags = append(flags, desc.FibMark)
	}
	if m.Opt("loose") == nil {
		flags = append(flags, desc.FibIif)
	}
	c.match(&Fib{Flags: flags, Result: desc.FibResultOif}, eq(!invert), &Int{V: 0})
	return nil
}
