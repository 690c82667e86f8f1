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

import "github.com/xt2nft/xt2nft/parser"

func matchRpfilter(c *ctx, m *parser.Match) error {
	invert := m.Opt("invert") != nil
	if o := m.Opt("accept-local"); o != nil {
		if !invert {
			return c.unsupported(o.Pos, "--accept-local without --invert means \"reverse path OK or source address local\", an OR one nft rule cannot express; use two rules (fib saddr type local ...; fib saddr . iif oif != 0 ...)")
		}
		c.match(&Fib{Flags: []string{"saddr"}, Result: "type"}, OpNe, &Sym{Name: "local"})
	}
	flags := []string{"saddr"}
	if m.Opt("validmark") != nil {
		flags = append(flags, "mark")
	}
	if m.Opt("loose") == nil {
		flags = append(flags, "iif")
	}
	c.match(&Fib{Flags: flags, Result: "oif"}, eq(!invert), &Int{V: 0})
	return nil
}
