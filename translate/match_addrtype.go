package translate

// -m addrtype: iptables-extensions(8) "addrtype"; nft "fib saddr/daddr
// [. iif/oif] type". Both --src-type and --dst-type may be given (upstream
// 1.8.9 then drops --dst-type). The kernel tests "any of the types", as an
// nft set lookup does.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

var addrTypes = []string{"unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
	"unreachable", "prohibit", "throw", "nat", "xresolve"}

func matchAddrtype(c *ctx, m *parser.Match) error {
	var iface *desc.FibFlag
	if m.Opt("limit-iface-in") != nil {
		iface = desc.FibIif
	}
	if m.Opt("limit-iface-out") != nil {
		if iface != nil {
			return c.unsupported(m.Pos, "--limit-iface-in and --limit-iface-out cannot be combined")
		}
		iface = desc.FibOif
	}
	for _, x := range []struct {
		opt  string
		addr *desc.FibFlag
	}{{"src-type", desc.FibSaddr}, {"dst-type", desc.FibDaddr}} {
		o := m.Opt(x.opt)
		if o == nil {
			continue
		}
		seen := map[string]bool{}
		for _, t := range strings.Split(strings.ToLower(o.Arg(0)), ",") {
			ok := false
			for _, n := range addrTypes {
				ok = ok || n == t
			}
			if !ok {
				return c.badValue(o, "address type")
			}
			seen[t] = true
		}
		var elems []Expr
		for _, n := range addrTypes {
			if seen[n] {
				elems = append(elems, &Sym{Name: n})
			}
		}
		var right Expr = elems[0]
		if len(elems) > 1 {
			right = &SetLit{Elems: elems}
		}
		flags := []*desc.FibFlag{x.addr}
		if iface != nil {
			flags = append(flags, iface)
		}
		c.match(&Fib{Flags: flags, Result: desc.FibResultType}, eq(o.Negated), right)
	}
	return nil
}
