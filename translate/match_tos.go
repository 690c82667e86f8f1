package translate

// -m tos --tos VALUE[/MASK] or a symbolic name (Minimize-Delay, ...).
// iptables-extensions(8) "tos" (revision 1). nft 1.0.6 has no "ip tos"
// field, so the TOS byte (IPv6: traffic class) is loaded raw:
// "@nh,8,8 & MASK == VALUE" (IPv6 "@nh,4,8", with a mask "@nh,0,16 &
// MASK<<4 == VALUE<<4", which nft lists as it reads it). Exact. A numeric value
// without a mask compares the whole byte (mask 0xff); a name uses mask
// 0x3f, as iptables does. Upstream 1.8.9 has no translation.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

var tosNames = map[string]uint64{
	"minimize-delay": 0x10, "maximize-throughput": 0x08, "maximize-reliability": 0x04,
	"minimize-cost": 0x02, "normal-service": 0x00,
}

func matchTOS(c *ctx, m *parser.Match) error {
	o := m.Opt("tos")
	if o == nil {
		return c.unsupported(m.Pos, "-m tos requires --tos")
	}
	s := o.Arg(0)
	var v, mask uint64 = 0, 0xFF
	if n, ok := tosNames[strings.ToLower(s)]; ok {
		v, mask = n, 0x3F
	} else {
		vs, ms, hasMask := strings.Cut(s, "/")
		var ok bool
		if v, ok = xtUint(vs, 255); !ok {
			return c.badValue(o, "TOS value")
		}
		if hasMask {
			if mask, ok = xtUint(ms, 255); !ok {
				return c.badValue(o, "TOS mask")
			}
		}
	}
	raw := &Raw{Base: desc.NetworkHeader, Offset: 8, Len: 8}
	if c.fam == parser.IPv6 {
		raw = &Raw{Base: desc.NetworkHeader, Offset: 4, Len: 8}
	}
	if v&^mask != 0 {
		// (tos & mask) can never equal a value with bits outside the mask.
		if !o.Negated {
			c.neverMatch(raw, 255)
		}
		return nil
	}
	if mask == 0 {
		if o.Negated {
			c.neverMatch(raw, 255)
		}
		return nil
	}
	var left Expr = raw
	if mask != 0xFF {
		if c.fam == parser.IPv6 {
			// Over the first 16 bits, the class shifted: nft 1.0.6 lists
			// "@nh,4,8 & MASK" in a form that loads as another match.
			raw = &Raw{Base: desc.NetworkHeader, Offset: 0, Len: 16}
			mask, v = mask<<4, v<<4
		}
		left = &Binop{Op: "&", Left: raw, Right: &Int{V: mask, Hex: true}}
	}
	c.match(left, eq(o.Negated), &Int{V: v, Hex: true})
	return nil
}
