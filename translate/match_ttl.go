package translate

// -m ttl (IPv4: --ttl-eq, --ttl-gt, --ttl-lt; --ttl is --ttl-eq) and -m hl
// (IPv6: --hl-eq, --hl-gt, --hl-lt; --hl). iptables-extensions(8) "ttl",
// ip6tables "hl"; nft "ip ttl" / "ip6 hoplimit". Exact; "!" exists only
// for the equality test.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchTTL(c *ctx, m *parser.Match) error {
	return ttlMatch(c, m, &Payload{Field: desc.IPTTL}, "ttl")
}

func matchHL(c *ctx, m *parser.Match) error {
	return ttlMatch(c, m, &Payload{Field: desc.IP6Hoplimit}, "hl")
}

func ttlMatch(c *ctx, m *parser.Match, left Expr, prefix string) error {
	if len(m.Options) != 1 {
		return c.unsupported(m.Pos, "-m %s needs exactly one of --%s-eq, --%s-gt, --%s-lt", m.Name, prefix, prefix, prefix)
	}
	o := m.Options[0]
	n, ok := xtUint(o.Arg(0), 255)
	if !ok {
		return c.badValue(o, "value")
	}
	op := eq(o.Negated)
	switch o.Name {
	case prefix + "-gt":
		op = OpGt
	case prefix + "-lt":
		op = OpLt
	}
	c.match(left, op, &Int{V: n})
	return nil
}
