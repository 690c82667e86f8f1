package translate

// -m state: iptables-extensions(8) "state", an alias of conntrack's
// --ctstate (libxt_conntrack.c); nft "ct state". See match_conntrack.go.

import "github.com/xt2nft/xt2nft/parser"

func matchState(c *ctx, m *parser.Match) error {
	o := m.Opt("state")
	if o == nil {
		return c.unsupported(m.Pos, "-m state needs --state")
	}
	_, err := ctStateOpt(c, o, false)
	return err
}
