package translate

// -m mark / -m connmark: iptables-extensions(8) "mark", "connmark";
// nft "meta mark" / "ct mark", "& mask == value" with a mask. Exact.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchMark(c *ctx, m *parser.Match) error { return markLike(c, m, &Meta{Key: desc.MetaMark}) }

func matchConnmark(c *ctx, m *parser.Match) error { return markLike(c, m, &CT{Key: desc.CTMark}) }

func markLike(c *ctx, m *parser.Match, left Expr) error {
	o := m.Opt("mark")
	if o == nil {
		return c.unsupported(m.Pos, "-m %s needs --mark", m.Name)
	}
	v, mask, err := markMask(c, o)
	if err != nil {
		return err
	}
	if mask == 0 {
		// (mark & 0) == v: always true when v is 0, never otherwise.
		if (v == 0) != o.Negated {
			return nil
		}
		return c.unsupported(o.Pos, "--mark %s never matches", o.Arg(0))
	}
	if v&^mask != 0 {
		// bits outside the mask can never be equal
		if o.Negated {
			return nil
		}
		return c.unsupported(o.Pos, "--mark %s never matches (value has bits outside the mask)", o.Arg(0))
	}
	c.maskedMatch(left, v, mask, o.Negated)
	return nil
}
