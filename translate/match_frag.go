package translate

// -m frag (IPv6 fragment header). ip6tables' libip6t_frag; nft(8) "frag"
// (IPV6 EXTENSION HEADER EXPRESSIONS).
//
//   --fragid N[:M]  → frag id N[-M]        (full range: header present)
//   --fragres       → frag reserved 0 frag reserved2 0
//   --fragfirst     → frag frag-off 0
//   --fragmore      → frag more-fragments 1
//   --fraglast      → frag more-fragments 0
//   no test         → exthdr frag exists
// Exact. --fragres matches when both reserved fields are zero (the kernel
// refuses packets with any reserved bit set); upstream 1.8.9 prints
// "frag reserved 1", which is wrong. --fraglen is accepted by iptables but
// never tested by the kernel, so it is dropped with a note.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchFrag(c *ctx, m *parser.Match) error {
	before := len(c.stmts)
	if o := m.Opt("fragid"); o != nil {
		lo, hi, err := rangeOpt(c, o, 0xFFFFFFFF, "fragment id")
		if err != nil {
			return err
		}
		c.rangeMatch(&Payload{Field: desc.FragID}, o, lo, hi, 0xFFFFFFFF)
	}
	if o := m.Opt("fraglen"); o != nil {
		if _, ok := xtUint(o.Arg(0), 0xFFFFFFFF); !ok {
			return c.badValue(o, "length")
		}
		c.note(o.Pos, "--fraglen is not tested by the kernel's frag match; dropped")
	}
	if m.Opt("fragmore") != nil && m.Opt("fraglast") != nil {
		return c.unsupported(m.Pos, "--fragmore and --fraglast cannot be combined")
	}
	if m.Opt("fragres") != nil {
		c.match(&Payload{Field: desc.FragReserved}, OpEq, &Int{V: 0})
		c.match(&Payload{Field: desc.FragReserved2}, OpEq, &Int{V: 0})
	}
	if m.Opt("fragfirst") != nil {
		c.match(&Payload{Field: desc.FragOff}, OpEq, &Int{V: 0})
	}
	if m.Opt("fragmore") != nil {
		c.match(&Payload{Field: desc.FragMF}, OpEq, &Int{V: 1})
	}
	if m.Opt("fraglast") != nil {
		c.match(&Payload{Field: desc.FragMF}, OpEq, &Int{V: 0})
	}
	if len(c.stmts) == before {
		c.match(&Exthdr{Hdr: desc.Frag}, OpExists, nil)
	}
	return nil
}
