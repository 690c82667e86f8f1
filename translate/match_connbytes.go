package translate

// -m connbytes: iptables-extensions(8) "connbytes"; nft "ct [original|reply]
// packets|bytes|avgpkt". "N" is "at least N", "N:M" a range, "!" the
// complement (xt_connbytes swaps from/to). Exact.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchConnbytes(c *ctx, m *parser.Match) error {
	o, do, mo := m.Opt("connbytes"), m.Opt("connbytes-dir"), m.Opt("connbytes-mode")
	if o == nil || do == nil || mo == nil {
		return c.unsupported(m.Pos, "-m connbytes needs --connbytes, --connbytes-dir and --connbytes-mode")
	}
	ct := &CT{}
	switch strings.ToLower(do.Arg(0)) {
	case "original":
		ct.Dir = desc.CTOriginal
	case "reply":
		ct.Dir = desc.CTReply
	case "both":
	default:
		return c.badValue(do, "direction (original, reply or both)")
	}
	switch strings.ToLower(mo.Arg(0)) {
	case "packets":
		ct.Key = desc.CTPackets
	case "bytes":
		ct.Key = desc.CTBytes
	case "avgpkt":
		ct.Key = desc.CTAvgpkt
	default:
		return c.badValue(mo, "mode (packets, bytes or avgpkt)")
	}
	lo, hi, isRange := strings.Cut(o.Arg(0), ":")
	from, ok := parseNum(lo, 64)
	if lo == "" {
		from, ok = 0, true
	}
	if !ok {
		return c.badValue(o, "count")
	}
	to := uint64(1<<64 - 1)
	if isRange && hi != "" {
		if to, ok = parseNum(hi, 64); !ok || to < from {
			return c.badValue(o, "count range")
		}
	}
	switch {
	case to == 1<<64-1:
		op := OpGe
		if o.Negated {
			op = OpLt
		}
		if from == 0 {
			if o.Negated {
				return c.unsupported(o.Pos, "\"! --connbytes 0\" never matches")
			}
			c.match(ct, OpGe, &Int{V: 0}) // any connection
			return nil
		}
		c.match(ct, op, &Int{V: from})
	case from == to:
		c.match(ct, eq(o.Negated), &Int{V: from})
	default:
		c.match(ct, eq(o.Negated), &Range{Lo: &Int{V: from}, Hi: &Int{V: to}})
	}
	return nil
}
