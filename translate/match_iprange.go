package translate

// -m iprange --src-range A-B / --dst-range A-B (a single address is the
// range A-A). iptables-extensions(8) "iprange"; nft address ranges. Exact.
// A range whose start is above its end never matches in the kernel (with
// "!" it always does); nft refuses such a range, so it is written as a
// test that never matches.

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func matchIPRange(c *ctx, m *parser.Match) error {
	for _, name := range []string{"src-range", "dst-range"} {
		o := m.Opt(name)
		if o == nil {
			continue
		}
		field := c.l3().Saddr
		if name == "dst-range" {
			field = c.l3().Daddr
		}
		left := &Payload{Field: field}
		los, his, isRange := strings.Cut(o.Arg(0), "-")
		if !isRange {
			his = los
		}
		lo, err1 := c.rangeAddr(los)
		hi, err2 := c.rangeAddr(his)
		if err1 != nil || err2 != nil {
			return c.unsupported(argPos(o), "bad %s address range %q for --%s", c.fam, o.Arg(0), name)
		}
		switch lo.Compare(hi) {
		case 1:
			if !o.Negated {
				c.match(left, OpNe, &Addr{Prefix: netip.PrefixFrom(lo, 0).Masked()})
			}
		case 0:
			c.match(left, eq(o.Negated), AddrExpr(lo, lo.BitLen()))
		default:
			c.match(left, eq(o.Negated), &Range{Lo: AddrExpr(lo, lo.BitLen()), Hi: AddrExpr(hi, hi.BitLen())})
		}
	}
	return nil
}

func (c *ctx) rangeAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, err
	}
	if a.Zone() != "" || a.Is6() != (c.fam == parser.IPv6) {
		return a, errBadAddr
	}
	return a, nil
}

var errBadAddr = errors.New("bad address")
