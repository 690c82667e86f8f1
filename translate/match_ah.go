package translate

// -m ah (also implicit with -p ah). iptables-extensions(8) "ah" (IPv4:
// --ahspi) and ip6tables' libip6t_ah (--ahspi, --ahlen, --ahres); nft(8)
// AH HEADER EXPRESSION.
//
// Exact. Upstream 1.8.9 differs on IPv6, where it is wrong:
//   - --ahlen is the header length in bytes as the kernel computes it,
//     (hdrlength + 2) * 4; upstream compares the raw field. We emit the
//     raw value (--ahlen 120 is "ah hdrlength 28"); a length no AH header
//     can have never matches. --ahlen 0 is not tested by the kernel.
//   - --ahres matches when the reserved field is zero (the kernel refuses
//     packets with it set); upstream prints "ah reserved 1".
// In IPv6 the kernel finds AH anywhere in the extension header chain;
// nft's AH dependency (meta l4proto ah) stops at the first AH header too.
// A full SPI range matches every AH packet; "!" on it matches none.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchAH(c *ctx, m *parser.Match) error {
	given := false
	if c.fam == parser.IPv4 {
		var err error
		if given, err = c.needProto(m, "ah", "ah"); err != nil {
			return err
		}
	}
	before := len(c.stmts)
	if o := m.Opt("ahspi"); o != nil {
		lo, hi, err := rangeOpt(c, o, 0xFFFFFFFF, "SPI")
		if err != nil {
			return err
		}
		c.rangeMatch(&Payload{Field: desc.AHSPI}, o, lo, hi, 0xFFFFFFFF)
	}
	if o := m.Opt("ahlen"); o != nil {
		n, ok := xtUint(o.Arg(0), 0xFFFFFFFF)
		if !ok {
			return c.badValue(o, "length")
		}
		hdrLenMatch(c, o, &Payload{Field: desc.AHHdrLength}, n, 4, 2)
	}
	if m.Opt("ahres") != nil {
		c.match(&Payload{Field: desc.AHReserved}, OpEq, &Int{V: 0})
	}
	c.ensureProto(given, before, "ah")
	return nil
}

// hdrLenMatch compares an extension header length given in bytes (n) with
// the header's raw length field, where bytes = (raw + add) * unit. n == 0
// is "not tested" for the kernel. A byte count no header can have never
// matches (with "!" it always does).
func hdrLenMatch(c *ctx, o *parser.Option, left Expr, n, unit, add uint64) {
	if n == 0 {
		return
	}
	if n%unit != 0 || n/unit < add || n/unit-add > 255 {
		if !o.Negated {
			c.neverMatch(left, 255)
		}
		return
	}
	c.match(left, eq(o.Negated), &Int{V: n/unit - add})
}
