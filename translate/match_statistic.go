package translate

// -m statistic: iptables-extensions(8) "statistic".
//   --mode random --probability P   meta random & 2147483647 < round(P*2^31)
//       (xt_statistic compares the same 31 random bits; exact)
//   --mode nth --every N --packet P numgen inc mod N K
// iptables stores the counter start as (N-1)-P; xt_statistic advances it
// before testing and matches when it wraps to 0, so it matches packets
// P+1, P+1+N, ... (counting from 1). nft's numgen inc counter starts at N-1
// too (nft_ng_inc_init), so the first packet gets 0 and packet k gets
// (k-1) mod N: K = P, as upstream prints it. Checked with packets in
// TestPrivilegedAudit (--every 10 --packet 1 matches packets 2, 12, 22 in
// both).

import (
	"math"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchStatistic(c *ctx, m *parser.Match) error {
	mo := m.Opt("mode")
	if mo == nil {
		return c.unsupported(m.Pos, "-m statistic needs --mode")
	}
	switch strings.ToLower(mo.Arg(0)) {
	case "random":
		o := m.Opt("probability")
		if o == nil {
			return c.unsupported(m.Pos, "--mode random needs --probability")
		}
		p, err := strconv.ParseFloat(o.Arg(0), 64)
		if err != nil || p < 0 || p > 1 {
			return c.badValue(o, "probability (0-1)")
		}
		v := uint64(math.Round(0x80000000 * p))
		op := OpLt
		if o.Negated {
			op = OpGe
		}
		c.match(&Binop{Op: "&", Left: &Meta{Key: desc.MetaRandom}, Right: &Int{V: 0x7fffffff}}, op, &Int{V: v})
	case "nth":
		eo := m.Opt("every")
		if eo == nil {
			return c.unsupported(m.Pos, "--mode nth needs --every")
		}
		n, ok := parseNum(eo.Arg(0), 32)
		if !ok || n == 0 {
			return c.badValue(eo, "--every (at least 1)")
		}
		var p uint64
		if po := m.Opt("packet"); po != nil {
			if p, ok = parseNum(po.Arg(0), 32); !ok || p >= n {
				return c.badValue(po, "--packet (0 to every-1)")
			}
		}
		c.match(&Numgen{Mode: "inc", Mod: uint32(n)}, eq(eo.Negated), &Int{V: p})
	default:
		return c.badValue(mo, "mode (random or nth)")
	}
	return nil
}
