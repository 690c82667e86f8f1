package translate

// -m length --length N[:M]. iptables-extensions(8) "length"; nft(8)
// "meta length", as upstream. The kernel compares the IP total length
// (IPv6: payload length + 40), which is the packet's length at the IP layer
// (skb->len) that meta length loads. The full range 0:65535 matches every
// packet; its negation none.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchLength(c *ctx, m *parser.Match) error {
	o := m.Opt("length")
	if o == nil {
		return c.unsupported(m.Pos, "-m length requires --length")
	}
	lo, hi, err := rangeOpt(c, o, 65535, "length")
	if err != nil {
		return err
	}
	left := &Meta{Key: desc.MetaLength}
	if lo == 0 && hi == 65535 {
		if o.Negated {
			c.neverMatch(left, 0xFFFFFFFF)
		}
		return nil
	}
	c.match(left, eq(o.Negated), rangeExpr(lo, hi))
	return nil
}
