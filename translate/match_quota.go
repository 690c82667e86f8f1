package translate

// -m quota: iptables-extensions(8) "quota"; nft "quota [over] N bytes".
// xt_quota lets a packet through while it fits in the bytes left
// (remaining >= len), so exactly N bytes pass. nft's quota adds the
// packet's length to its count first and then compares: since the kernel
// fix "netfilter: nft_quota: match correctly when the quota just depleted"
// (Linux 6.16, backported to the stable kernels of June 2025) it passes
// while count <= N, so --quota N is "quota N bytes", as upstream prints it;
// before it, while count < N, so the same rule is "quota N+1 bytes"
// (Options.QuotaStopsAtLimit). No single nft quota is exact on both kinds
// of kernel (the boundary packet, count == N, passes on one and not on the
// other), so the target kernel decides: lab.NFTQuotaInclusive probes it.
// "!" is "over". Per rule, as xt_quota is.

import "github.com/xt2nft/xt2nft/parser"

func matchQuota(c *ctx, m *parser.Match) error {
	o := m.Opt("quota")
	if o == nil {
		return c.unsupported(m.Pos, "-m quota needs --quota")
	}
	n, ok := parseNum(o.Arg(0), 64)
	if !ok || n == 1<<64-1 && c.tr.opt.QuotaStopsAtLimit {
		return c.badValue(o, "quota")
	}
	if c.tr.opt.QuotaStopsAtLimit {
		n++
	}
	c.add(&Quota{Bytes: n, Over: o.Negated})
	return nil
}
