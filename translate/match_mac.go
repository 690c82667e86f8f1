package translate

// -m mac --mac-source XX:XX:XX:XX:XX:XX. iptables-extensions(8) "mac";
// nft "ether saddr" (nft adds the "meta iiftype ether" dependency, as the
// kernel match requires an Ethernet device). Exact. The kernel accepts the
// match only in PREROUTING, INPUT and FORWARD.

import (
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchMAC(c *ctx, m *parser.Match) error {
	o := m.Opt("mac-source")
	if o == nil {
		return c.unsupported(m.Pos, "-m mac requires --mac-source")
	}
	if c.hook == HookOutput || c.hook == HookPostrouting {
		return c.unsupported(m.Pos, "-m mac is only valid in PREROUTING, INPUT and FORWARD (the kernel refuses it in %s)", c.chain)
	}
	mac, ok := parseMAC(o.Arg(0))
	if !ok {
		return c.badValue(o, "MAC address")
	}
	c.match(&Payload{Field: desc.EtherSaddr}, eq(o.Negated), &MAC{V: mac})
	return nil
}

// parseMAC parses six colon-separated hex bytes (xtables_parse_mac: one or
// two digits each).
func parseMAC(s string) ([6]byte, bool) {
	var out [6]byte
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return out, false
	}
	for i, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return out, false
		}
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return out, false
		}
		out[i] = byte(v)
	}
	return out, true
}
