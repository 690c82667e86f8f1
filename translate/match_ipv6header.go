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
)

// ipv6Headers maps --header words (chain_protos names, /etc/protocols names
// and numbers) to the nft exthdr name, or "" for headers nft cannot test.
var ipv6Headers = map[string]string{
	"hop-by-hop": "hbh", "hop": "hbh", "hopopt": "hbh", "0": "hbh",
	"dst": "dst", "ipv6-opts": "dst", "60": "dst",
	"route": "rt", "ipv6-route": "rt", "43": "rt",
	"frag": "frag", "ipv6-frag": "frag", "44": "frag",
	"auth": "", "ah": "", "51": "",
	"esp": "", "50": "",
	"none": "", "ipv6-nonxt": "", "59": "",
	"protocol": "", "prot": "", "255": "",
}

func matchIPv6Header(c *ctx, m *parser.Match) error {
	o := m.Opt("header")
	if o == nil {
		return c.unsupported(m.Pos, "-m ipv6header requires --header")
	}
	var names []string
	seen := map[string]bool{}
	for _, w := range strings.Split(o.Arg(0), ",") {
		n, ok := ipv6Headers[strings.ToLower(w)]
		if !ok {
			return c.unsupported(argPos(o), "unknown header %q in --header", w)
		}
		if n == "" {
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
		c.match(&Exthdr{Hdr: "exthdr", Name: n}, op, nil)
	}
	return nil
}
