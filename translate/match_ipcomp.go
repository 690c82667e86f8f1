package translate

// -m ipcomp --ipcompspi (also implicit with -p ipcomp), both families.
// iptables-extensions(8) "ipcomp"; nft(8) "comp cpi". Exact: the CPI
// header field is 16 bits, so SPI values above 65535 never match, as in
// the kernel. --compres is ignored by the kernel (and here).

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchIPComp(c *ctx, m *parser.Match) error {
	given, err := c.needProto(m, "comp", "ipcomp")
	if err != nil {
		return err
	}
	before := len(c.stmts)
	if o := m.Opt("ipcompspi"); o != nil {
		lo, hi, err := rangeOpt(c, o, 0xFFFFFFFF, "SPI")
		if err != nil {
			return err
		}
		c.clampMatch(&Payload{Field: desc.CompCPI}, o, lo, hi, 0xFFFF)
	}
	if o := m.Opt("compres"); o != nil {
		c.note(o.Pos, "--compres is ignored by the kernel's ipcomp match")
	}
	c.ensureProto(given, before, "comp")
	return nil
}
