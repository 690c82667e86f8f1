package translate

// -m esp --espspi (also implicit with -p esp), both families.
// iptables-extensions(8) "esp"; nft(8) ESP HEADER EXPRESSION. Exact. A full
// SPI range only needs the protocol; "!" on it matches nothing ("esp spi
// != 0-4294967295"). Upstream HEAD prints "exthdr esp exists" for IPv6,
// which nft 1.0.6 cannot parse; "meta l4proto esp" is what ip6tables -p esp
// means.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchESP(c *ctx, m *parser.Match) error {
	given, err := c.needProto(m, "esp", "esp")
	if err != nil {
		return err
	}
	before := len(c.stmts)
	if o := m.Opt("espspi"); o != nil {
		lo, hi, err := rangeOpt(c, o, 0xFFFFFFFF, "SPI")
		if err != nil {
			return err
		}
		c.rangeMatch(&Payload{Field: desc.ESPSPI}, o, lo, hi, 0xFFFFFFFF)
	}
	c.ensureProto(given, before, "esp")
	return nil
}
