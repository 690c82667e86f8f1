package translate

// -m quota: iptables-extensions(8) "quota"; nft "quota [over] N bytes".
// xt_quota lets a packet through while it fits in the bytes left
// (remaining >= len); nft's quota is exceeded once consumed >= N. So
// --quota N is "quota N+1 bytes" (upstream prints N, which stops one byte
// early). "!" is "over". Per rule, as xt_quota is.

import "github.com/xt2nft/xt2nft/parser"

func matchQuota(c *ctx, m *parser.Match) error {
	o := m.Opt("quota")
	if o == nil {
		return c.unsupported(m.Pos, "-m quota needs --quota")
	}
	n, ok := parseNum(o.Arg(0), 64)
	if !ok || n == 1<<64-1 {
		return c.badValue(o, "quota")
	}
	c.add(&Quota{Bytes: n + 1, Over: o.Negated})
	return nil
}
