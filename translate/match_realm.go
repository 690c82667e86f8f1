package translate

// -m realm --realm VALUE[/MASK] (IPv4). iptables-extensions(8) "realm";
// nft "rtclassid" (meta rtclassid). Exact. Realm names are looked up by
// iptables in /etc/iproute2/rt_realms on the machine that loads the rules;
// xt2nft does not read that file, so names are refused.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchRealm(c *ctx, m *parser.Match) error {
	o := m.Opt("realm")
	if o == nil {
		return c.unsupported(m.Pos, "-m realm requires --realm")
	}
	vs, ms, hasMask := strings.Cut(o.Arg(0), "/")
	v, ok := xtUint(vs, 0xFFFFFFFF)
	if !ok {
		return c.unsupported(argPos(o), "realm %q: realm names come from /etc/iproute2/rt_realms, which xt2nft does not read; use the number", o.Arg(0))
	}
	mask := uint64(0xFFFFFFFF)
	if hasMask {
		if mask, ok = xtUint(ms, 0xFFFFFFFF); !ok {
			return c.badValue(o, "realm mask")
		}
	}
	left := Expr(&Meta{Key: desc.MetaRtclassid})
	if v&^mask != 0 {
		// id == (classid & mask) can never hold.
		if !o.Negated {
			c.neverMatch(left, 0xFFFFFFFF)
		}
		return nil
	}
	if mask == 0 {
		// Every class id matches.
		if o.Negated {
			c.neverMatch(left, 0xFFFFFFFF)
		}
		return nil
	}
	if mask != 0xFFFFFFFF {
		left = &Binop{Op: "&", Left: left, Right: &Int{V: mask, Hex: true}}
	}
	c.match(left, eq(o.Negated), &Int{V: v, Hex: true})
	return nil
}
