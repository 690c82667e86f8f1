package translate

// -m devgroup: iptables-extensions(8) "devgroup"; nft "meta iifgroup /
// oifgroup" ("& mask == value" with a mask). Group names other than
// "default" (0) come from /etc/iproute2/group on the loading machine and
// are reported. Exact.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchDevgroup(c *ctx, m *parser.Match) error {
	any := false
	for _, x := range []struct {
		opt string
		key *desc.MetaKey
	}{{"src-group", desc.MetaIifgroup}, {"dst-group", desc.MetaOifgroup}} {
		o := m.Opt(x.opt)
		if o == nil {
			continue
		}
		any = true
		vs, ms, hasMask := strings.Cut(o.Arg(0), "/")
		v, ok := parseNum(vs, 32)
		if vs == "default" {
			v, ok = 0, true
		}
		if !ok {
			return c.unsupported(optArgPos(o), "device group %q: group names come from /etc/iproute2/group on the machine that loads the rules; use the number", vs)
		}
		mask := uint64(0xffffffff)
		if hasMask {
			if mask, ok = parseNum(ms, 32); !ok {
				return c.badValue(o, "mask")
			}
		}
		if mask == 0 {
			if o.Negated {
				return c.unsupported(o.Pos, "\"! --%s X/0\" never matches", x.opt)
			}
			continue
		}
		c.maskedMatch(&Meta{Key: x.key}, v&mask, mask, o.Negated)
	}
	if !any {
		return c.unsupported(m.Pos, "-m devgroup needs --src-group or --dst-group")
	}
	return nil
}
