package translate

// -m helper: iptables-extensions(8) "helper". xt_helper tests the helper
// of the connection's MASTER: it matches the related (expected)
// connections a helper created, e.g. FTP data connections. nft's
// "ct helper" tests the helper of the packet's own connection, which is
// the control connection (expected connections normally have none).
// Upstream 1.8.9 translates to "ct helper" anyway, which matches other
// packets; xt2nft reports the rule instead.

import "github.com/xt2nft/xt2nft/parser"

func matchHelper(c *ctx, m *parser.Match) error {
	o := m.Opt("helper")
	if o == nil {
		return c.unsupported(m.Pos, "-m helper needs --helper")
	}
	return c.unsupported(o.Pos, "-m helper --helper %q matches connections expected by a %q helper (the master's helper); nft's ct helper tests the connection's own helper and has no master lookup. \"ct status expected\" (or \"ct state related\") matches related connections of any helper", o.Arg(0), o.Arg(0))
}
