package translate

// -m socket: iptables-extensions(8) "socket"; nft "socket wildcard /
// transparent", as upstream (1.8.10+):
//   (no option)       socket wildcard 0   (a socket not bound to any-address)
//   --nowildcard      socket wildcard <= 1 (any socket)
//   --transparent     ... socket transparent 1
//   --restore-skmark  ... meta mark set socket mark
// nft's socket wildcard does not see time-wait sockets, which xt_socket
// counts as non-wildcard matches (a negligible difference).

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchSocket(c *ctx, m *parser.Match) error {
	nowild := m.Opt("nowildcard") != nil
	if !nowild {
		c.match(&Socket{Key: desc.SocketWildcard}, OpEq, &Int{V: 0})
	} else if m.Opt("transparent") == nil && m.Opt("restore-skmark") == nil {
		c.match(&Socket{Key: desc.SocketWildcard}, OpLe, &Int{V: 1})
	}
	if m.Opt("transparent") != nil {
		c.match(&Socket{Key: desc.SocketTransparent}, OpEq, &Int{V: 1})
	}
	if m.Opt("restore-skmark") != nil {
		if nowild && m.Opt("transparent") == nil {
			c.match(&Socket{Key: desc.SocketWildcard}, OpLe, &Int{V: 1})
		}
		c.add(&Assign{Left: &Meta{Key: desc.MetaMark}, Value: &Socket{Key: desc.SocketMark}})
	}
	return nil
}
