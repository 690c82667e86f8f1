package translate

// -j NFQUEUE (libxt_NFQUEUE.c rev 3); nft(8) QUEUE STATEMENT.
// Exact: --queue-num N is "queue to N" (default 0), --queue-balance A:B
// "queue to A-B" (the same nfqueue_hash spreading), --queue-bypass and
// --queue-cpu-fanout the flags bypass and fanout. Terminal in both.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func tgNFQUEUE(c *ctx, t *parser.Target) error {
	q := &Queue{Num: &Int{V: 0}}
	var balanced bool
	for _, o := range t.Options {
		switch o.Name {
		case "queue-num":
			n, err := tgOptUint(c, o, 0xffff, "queue number")
			if err != nil {
				return err
			}
			q.Num = &Int{V: n}
		case "queue-balance":
			lo, hi, ok := strings.Cut(o.Arg(0), ":")
			a, ok1 := tgUint(lo, 0xffff-1)
			b, ok2 := tgUint(hi, 0xffff-1)
			if !ok || !ok1 || !ok2 || a > b {
				return c.badValue(o, "queue range")
			}
			q.Num = &Range{Lo: &Int{V: a}, Hi: &Int{V: b}}
			if a == b {
				q.Num = &Int{V: a}
			}
			balanced = true
		}
	}
	if t.Opt("queue-num") != nil && balanced {
		return c.unsupported(t.Pos, "NFQUEUE: --queue-num and --queue-balance are exclusive")
	}
	if t.Opt("queue-bypass") != nil {
		q.Flags = append(q.Flags, "bypass")
	}
	if t.Opt("queue-cpu-fanout") != nil {
		if !balanced {
			return c.unsupported(t.Pos, "NFQUEUE --queue-cpu-fanout needs --queue-balance")
		}
		q.Flags = append(q.Flags, "fanout")
	}
	c.add(q)
	return nil
}
