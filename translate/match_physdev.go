package translate

// -m physdev: iptables-extensions(8) "physdev" matches the bridge port of
// bridged packets seen by iptables through br_netfilter. nft's ip/ip6
// tables have no expression for bridge ports (meta ibrname/obrname and
// iifname of ports exist only in bridge-family tables), so the rule is
// reported.

import "github.com/xt2nft/xt2nft/parser"

func matchPhysdev(c *ctx, m *parser.Match) error {
	return c.unsupported(m.Pos, "-m physdev (bridge port of a br_netfilter packet) has no nft equivalent in ip/ip6 tables; match bridge ports with iifname/oifname in a bridge-family table instead")
}
