package translate

// -m rt (IPv6 routing header). ip6tables' libip6t_rt; nft(8) "rt" and
// "rt0" headers.
//
//   --rt-type N       → rt type N
//   --rt-segsleft N:M → rt seg-left N-M
//   --rt-len BYTES    → rt hdrlength (BYTES/8 - 1); the kernel compares the
//                       length in bytes, (hdrlength + 1) * 8, which upstream
//                       1.8.9 gets wrong (it prints the byte count as the
//                       raw field). A byte count no header can have never
//                       matches.
//   --rt-0-addrs A,B  → rt0 addr[1] A rt0 addr[2] B rt hdrlength 4-5 (strict
//                       mode: exactly these addresses, in order)
//   no test           → exthdr rt exists
// Refused: --rt-0-res (nft 1.0.6 cannot load the type 0 reserved field) and
// --rt-0-not-strict (the addresses anywhere in order: no nft equivalent).

import (
	"net/netip"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchRT(c *ctx, m *parser.Match) error {
	before := len(c.stmts)
	if o := m.Opt("rt-0-res"); o != nil {
		return c.unsupported(o.Pos, "--rt-0-res: nft cannot load the reserved field of a type 0 routing header")
	}
	if o := m.Opt("rt-0-not-strict"); o != nil {
		return c.unsupported(o.Pos, "--rt-0-not-strict (addresses anywhere in the list, in order) has no nft equivalent")
	}
	typ := m.Opt("rt-type")
	if o := m.Opt("rt-0-addrs"); o != nil {
		ok, n := false, uint64(1)
		if typ != nil {
			n, ok = xtUint(typ.Arg(0), 0xFFFFFFFF)
		}
		if !ok || typ.Negated || n != 0 {
			return c.unsupported(o.Pos, "--rt-0-addrs needs \"--rt-type 0\" (the kernel refuses the rule)")
		}
	}
	if o := typ; o != nil {
		n, ok := xtUint(o.Arg(0), 0xFFFFFFFF)
		if !ok {
			return c.badValue(o, "routing header type")
		}
		c.clampMatch(&Payload{Field: desc.RTType}, o, n, n, 255)
	}
	if o := m.Opt("rt-segsleft"); o != nil {
		lo, hi, err := rangeOpt(c, o, 0xFFFFFFFF, "segments left")
		if err != nil {
			return err
		}
		c.clampMatch(&Payload{Field: desc.RTSegLeft}, o, lo, hi, 255)
	}
	if o := m.Opt("rt-len"); o != nil {
		n, ok := xtUint(o.Arg(0), 0xFFFFFFFF)
		if !ok {
			return c.badValue(o, "length")
		}
		if n == 0 {
			if !o.Negated {
				c.neverMatch(&Payload{Field: desc.RTHdrLength}, 255)
			}
		} else {
			hdrLenMatch(c, o, &Payload{Field: desc.RTHdrLength}, n, 8, 1)
		}
	}
	if o := m.Opt("rt-0-addrs"); o != nil {
		addrs := strings.Split(o.Arg(0), ",")
		if len(addrs) > 16 {
			return c.unsupported(argPos(o), "--rt-0-addrs takes at most 16 addresses")
		}
		for i, s := range addrs {
			a, err := netip.ParseAddr(s)
			if err != nil || !a.Is6() || a.Zone() != "" {
				return c.unsupported(argPos(o), "bad IPv6 address %q in --rt-0-addrs", s)
			}
			c.match(&Payload{Field: desc.RT0Addr(i + 1)}, OpEq, AddrExpr(a, 128))
		}
		// Strict: the header holds exactly these addresses:
		// (hdrlength * 8) / 16 == n.
		n := uint64(len(addrs))
		c.match(&Payload{Field: desc.RTHdrLength}, OpEq, &Range{Lo: &Int{V: 2 * n}, Hi: &Int{V: 2*n + 1}})
	}
	if len(c.stmts) == before {
		c.match(&Exthdr{Hdr: desc.RT}, OpExists, nil)
	}
	return nil
}
