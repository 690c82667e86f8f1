package translate

// -m hbh (hop-by-hop options) and -m dst (destination options), IPv6.
// ip6tables' libip6t_hbh/libip6t_dst; nft(8) "hbh"/"dst" headers.
//
// --hbh-len/--dst-len is the header length in bytes, (hdrlength + 1) * 8,
// as the kernel computes it; we compare the raw field (--hbh-len 16 is
// "hbh hdrlength 1"), and a byte count no header can have never matches.
// Upstream 1.8.9 compares the raw field with the byte count, which is
// wrong. Without a test the match means "the header is present"
// (exthdr hbh exists). --hbh-opts/--dst-opts (a strict list of options)
// has no nft equivalent and is refused.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchHBH(c *ctx, m *parser.Match) error {
	return optsHeader(c, m, desc.HBH, "hbh-len", "hbh-opts")
}
func matchDst(c *ctx, m *parser.Match) error {
	return optsHeader(c, m, desc.Dst, "dst-len", "dst-opts")
}

func optsHeader(c *ctx, m *parser.Match, hdr *desc.Proto, lenOpt, optsOpt string) error {
	if o := m.Opt(optsOpt); o != nil {
		return c.unsupported(o.Pos, "--%s (a list of options in order) has no nft equivalent", optsOpt)
	}
	before := len(c.stmts)
	if o := m.Opt(lenOpt); o != nil {
		n, ok := xtUint(o.Arg(0), 0xFFFFFFFF)
		if !ok {
			return c.badValue(o, "length")
		}
		// Unlike ah, the kernel tests a given length even when it is 0.
		if n == 0 {
			if !o.Negated {
				c.neverMatch(&Payload{Field: hdr.Field("hdrlength")}, 255)
			}
		} else {
			hdrLenMatch(c, o, &Payload{Field: hdr.Field("hdrlength")}, n, 8, 1)
		}
	}
	if len(c.stmts) == before {
		c.match(&Exthdr{Hdr: hdr}, OpExists, nil)
	}
	return nil
}
