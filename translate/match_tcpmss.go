package translate

// -m tcpmss --mss N[:M] (TCP only). iptables-extensions(8) "tcpmss";
// nft(8) "tcp option maxseg size".
//
// Without "!" it is exact (a packet without the MSS option does not match
// in either). With "!" the kernel also matches packets that carry no MSS
// option, which one nft rule cannot add to "size != N": approximate,
// except "! --mss 0:65535", which is exactly "tcp option maxseg missing".

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchTCPMSS(c *ctx, m *parser.Match) error {
	given, err := c.needProto(m, "tcp", "tcp")
	if err != nil {
		return err
	}
	before := len(c.stmts)
	defer c.ensureProto(given, before, "tcp")
	o := m.Opt("mss")
	if o == nil {
		return c.unsupported(m.Pos, "-m tcpmss requires --mss")
	}
	lo, hi, err := rangeOpt(c, o, 65535, "MSS")
	if err != nil {
		return err
	}
	if lo == 0 && hi == 65535 {
		op := OpExists
		if o.Negated {
			op = OpMissing
		}
		c.match(&Exthdr{Hdr: desc.OptMaxseg}, op, nil)
		return nil
	}
	if o.Negated {
		c.approx(o.Pos, "\"! --mss\" also matches TCP packets without an MSS option in iptables; the nft rule does not")
	}
	c.match(&Payload{Field: desc.OptMaxsegSize}, eq(o.Negated), rangeExpr(lo, hi))
	return nil
}
