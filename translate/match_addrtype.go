package translate

// -m addrtype: iptables-extensions(8) "addrtype"; nft "fib saddr/daddr
// [. iif/oif] type". Both --src-type and --dst-type may be given (upstream
// 1.8.9 then drops --dst-type). For IPv4 the kernel tests "any of the
// types" of the address's route (inet_dev_addr_type), as an nft set
// lookup does.
//
// For IPv6 it does not (xt_addrtype.c match_type6): UNICAST, MULTICAST
// and UNSPEC are the address's class (ipv6_addr_type), each required, and
// only LOCAL, ANYCAST and UNREACHABLE come from the route, any of them.
// An address of this host, or one without a route, is UNICAST there, where
// nft's fib says local or unreachable; so the classes become address
// matches (addrtype6), and the route types a fib lookup, UNREACHABLE being
// every route nft names by its error (unreachable, blackhole, prohibit,
// throw), which match_lookup_rt6 calls unreachable alike. A link-local
// address's route is looked up on the packet's interface by nft, on any by
// ip6tables: warned. Measured: TestPrivilegedAddrtype6.

import (
	"net/netip"
	"slices"
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
		flags := []*desc.FibFlag{x.addr}
		if iface != nil {
			flags = append(flags, iface)
		}
		fib := &Fib{Flags: flags, Result: desc.FibResultType}
		if c.fam == parser.IPv6 {
			field := c.l3().Saddr
			if x.addr == desc.FibDaddr {
				field = c.l3().Daddr
			}
			if err := c.addrtype6(o, field, fib, seen); err != nil {
				return err
			}
			continue
		}
		var elems []Expr
		for _, n := range addrTypes {
			if seen[n] {
				elems = append(elems, fibType(n))
			}
		}
		c.match(fib, eq(o.Negated), oneOrSet(elems))
	}
	return nil
}

// fibType is a route type as nft writes it: its name, or its number
// (RTN_THROW, RTN_NAT, RTN_XRESOLVE) where nft has none ("fib daddr type
// throw" does not parse; "type 9" loads and lists as 9).
func fibType(name string) Expr {
	if _, ok := desc.FibAddr.Syms[name]; ok {
		return &Sym{Name: name}
	}
	return &Int{V: uint64(slices.Index(addrTypes, name))}
}

// IPv6 address classes (__ipv6_addr_type): multicast is ff00::/8, unspec
// ::, and unicast every other address but the IPv4-mapped ones.
var (
	ip6Multicast  = []netip.Prefix{mustPrefix("ff00::/8")}
	ip6Unspec     = []netip.Prefix{mustPrefix("::/128")}
	ip6NotUnicast = []netip.Prefix{mustPrefix("::/128"), mustPrefix("::ffff:0.0.0.0/96"), mustPrefix("ff00::/8")}
)

// addrtype6 matches one of --src-type / --dst-type of an IPv6 rule, as
// match_type6 decides it: every class named (of the address, field), and
// any route type named (fib).
func (c *ctx) addrtype6(o *parser.Option, field *desc.Field, fib *Fib, seen map[string]bool) error {
	type cond struct {
		left, right Expr
		out         bool // the address is not in right
	}
	var conds []cond
	classes := 0
	for _, cl := range []struct {
		name string
		out  bool
		ps   []netip.Prefix
	}{{"unspec", false, ip6Unspec}, {"unicast", true, ip6NotUnicast}, {"multicast", false, ip6Multicast}} {
		if !seen[cl.name] {
			continue
		}
		classes++
		var ps []Expr
		for _, p := range cl.ps {
			ps = append(ps, &Addr{Prefix: p})
		}
		conds = append(conds, cond{left: &Payload{Field: field}, right: oneOrSet(ps), out: cl.out})
	}
	var types []Expr
	for _, t := range []string{"local", "anycast", "unreachable"} {
		switch {
		case !seen[t]:
		case t == "unreachable":
			for _, n := range []string{"unreachable", "blackhole", "prohibit", "throw"} {
				types = append(types, fibType(n))
			}
		default:
			types = append(types, fibType(t))
		}
	}
	if len(types) > 0 {
		c.approx(o.Pos, "addrtype --%s %s: for a link-local address nft's fib looks the route up on the packet's interface, ip6tables on every interface: a link-local address of this host on another interface is LOCAL to ip6tables and not to nft, and one that interface has no route for (no link-local address on it) is UNREACHABLE to nft and not to ip6tables", o.Name, o.Arg(0))
		conds = append(conds, cond{left: fib, right: oneOrSet(types)})
	}
	if o.Negated && len(conds) > 1 {
		if classes > 1 {
			// No address is of two classes: the types never all hold, so
			// their negation always does.
			return nil
		}
		return c.unsupported(o.Pos, "! --%s %s: ip6tables requires the address class and the route type both, and nft has no one negated test of two", o.Name, o.Arg(0))
	}
	for _, cd := range conds {
		c.match(cd.left, eq(cd.out != o.Negated), cd.right)
	}
	return nil
}
