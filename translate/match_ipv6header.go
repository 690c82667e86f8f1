package translate

// -m ipv6header --header LIST [--soft] (IPv6). ip6tables'
// libip6t_ipv6header; nft(8) "exthdr NAME exists|missing".
//
// With --soft (the packet has every listed header) and only hop-by-hop,
// destination options, routing and fragment headers listed, it is exact:
// "exthdr hbh exists ..." ("! --header": every listed header missing).
// Refused, with the reason: auth, esp, none and proto (nft 1.0.6 cannot
// test for AH, ESP or "no next header" anywhere in the header chain), and
// the default hard mode (the exact set of headers, which needs those tests
// for the end of the chain).

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// ipv6Headers maps --header words (chain_protos names, /etc/protocols names
// and numbers) to the extension header nft tests, or nil for headers nft
// cannot test.
var ipv6Headers = map[string]*desc.Proto{
	"hop-by-hop": desc.HBH, "hop": desc.HBH, "hopopt": desc.HBH, "0": desc.HBH,
	"dst": desc.Dst, "ipv6-opts": desc.Dst, "60": desc.Dst,
	"route": desc.RT, "ipv6-route": desc.RT, "43": desc.RT,
	"frag": desc.Frag, "ipv6-frag": desc.Frag, "44": desc.Frag,
	"auth": nil, "ah": nil, "51": nil,
	"esp": nil, "50": nil,
	"none": nil, "ipv6-nonxt": nil, "59": nil,
	"protocol": nil, "prot": nil, "255": nil,
}

func matchIPv6Header(c *ctx, m *parser.Match) error {
	o := m.Opt("header")
	if o == nil {
		return c.unsupported(m.Pos, "-m ipv6header requires --header")
	}
	var names []*desc.Proto
	seen := map[*desc.Proto]bool{}
	for _, w := range strings.Split(o.Arg(0), ",") {
		n, ok := ipv6Headers[strings.ToLower(w)]
		if !ok {
			return c.unsupported(argPos(o), "unknown header %q in --header", w)
		}
		if n == nil {
			return c.unsupported(argPos(o), "--header %s: nft 1.0.6 cannot test for AH, ESP, \"no next header\" or the upper-layer protocol anywhere in the IPv6 header chain", w)
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if m.Opt("soft") == nil {
		return c.unsupported(m.Pos, "-m ipv6header without --soft matches the exact set of headers, which needs tests nft 1.0.6 lacks (AH, ESP, no next header)")
	}
	op := OpExists
	if o.Negated {
		op = OpMissing
	}
	for _, n := range names {
		c.match(&Exthdr{Hdr: n}, op, nil)
	}
	return nil
}
