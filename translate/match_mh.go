package translate

// -m mh --mh-type (IPv6 mobility header; also implicit with -p mh).
// ip6tables' libip6t_mh; nft(8) "mh type". Exact. Types are names (or
// prefixes of them), numbers or ranges TYPE:TYPE. Without a type, or with
// the full range 0:255, the match needs only the protocol.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// mhNames is libip6t_mh.c's table, in its order.
var mhNames = []struct {
	name string
	typ  uint64
}{
	{"binding-refresh-request", 0}, {"brr", 0}, {"home-test-init", 1}, {"hoti", 1},
	{"careof-test-init", 2}, {"coti", 2}, {"home-test", 3}, {"hot", 3}, {"careof-test", 4}, {"cot", 4},
	{"binding-update", 5}, {"bu", 5}, {"binding-acknowledgement", 6}, {"ba", 6}, {"binding-error", 7}, {"be", 7},
}

func matchMH(c *ctx, m *parser.Match) error {
	given, err := c.needProto(m, "mh", "mh")
	if err != nil {
		return err
	}
	before := len(c.stmts)
	if o := m.Opt("mh-type"); o != nil {
		lo, hi := uint64(0), uint64(255)
		a, b, isRange := strings.Cut(o.Arg(0), ":")
		var ok bool
		if !isRange {
			if lo, ok = mhType(a); !ok {
				return c.badValue(o, "MH type")
			}
			hi = lo
		} else {
			if a != "" {
				if lo, ok = mhType(a); !ok {
					return c.badValue(o, "MH type")
				}
			}
			if b != "" {
				if hi, ok = mhType(b); !ok {
					return c.badValue(o, "MH type")
				}
			}
			if lo > hi {
				return c.unsupported(argPos(o), "invalid MH type range %q (min > max)", o.Arg(0))
			}
		}
		c.rangeMatch(&Payload{Field: desc.MHTypeField}, o, lo, hi, 255)
	}
	c.ensureProto(given, before, "mh")
	return nil
}

// mhType is libip6t_mh's name_to_type: the first name the word is a
// prefix of, or the one it equals; else a number.
func mhType(s string) (uint64, bool) {
	match := -1
	for i, n := range mhNames {
		if len(s) <= len(n.name) && strings.EqualFold(n.name[:len(s)], s) {
			if match < 0 || len(n.name) == len(s) {
				match = i
			}
		}
	}
	if match >= 0 {
		return mhNames[match].typ, true
	}
	return xtUint(s, 255)
}
