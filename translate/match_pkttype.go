package translate

// -m pkttype --pkt-type unicast|broadcast|multicast|otherhost (aliases
// host, bcast, mcast). iptables-extensions(8) "pkttype"; nft "pkttype"
// (meta pkttype). Exact.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

var pktTypes = map[string]string{
	"unicast": "host", "host": "host", "broadcast": "broadcast", "bcast": "broadcast",
	"multicast": "multicast", "mcast": "multicast", "otherhost": "other",
}

func matchPktType(c *ctx, m *parser.Match) error {
	o := m.Opt("pkt-type")
	if o == nil {
		return c.unsupported(m.Pos, "-m pkttype requires --pkt-type")
	}
	t, ok := pktTypes[strings.ToLower(o.Arg(0))]
	if !ok {
		return c.badValue(o, "packet type")
	}
	c.match(&Meta{Key: desc.MetaPkttype}, eq(o.Negated), &Sym{Name: t})
	return nil
}
