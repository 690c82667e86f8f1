package translate

// -j TPROXY (libxt_TPROXY.c).
// iptables-extensions(8) TPROXY; nft(8) TPROXY STATEMENT.
//
// xt_TPROXY is terminal both ways: it returns NF_ACCEPT after assigning a
// socket and setting the mark ((mark & ~mask) ^ value), and NF_DROP when
// no socket is found. nft's "tproxy" instead ends the rule (NFT_BREAK)
// when no socket is found and continues after it otherwise. The exact
// encoding is therefore a jump to a helper chain holding
//   meta l4proto tcp tproxy to ADDR:PORT [meta mark set ...] accept
//   drop
// --on-port 0 (keep the port) and --on-ip 0.0.0.0/:: (address of the
// incoming interface) are nft's defaults and are omitted.

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func tgTPROXY(c *ctx, t *parser.Target) error {
	proto := c.tgL4("tcp", "udp")
	if proto == "" {
		return c.unsupported(t.Pos, "TPROXY needs -p tcp or -p udp (the kernel refuses the rule otherwise)")
	}
	tp := &Tproxy{}
	name := "tproxy_" + proto
	if o := t.Opt("on-ip"); o != nil {
		a, err := netip.ParseAddr(o.Arg(0))
		if err != nil || a.Is6() != (c.fam == parser.IPv6) || a.Zone() != "" {
			return c.badValue(o, "address")
		}
		if !a.IsUnspecified() {
			tp.Addr, tp.Family = AddrExpr(a, a.BitLen()), c.tableFamily()
			name += "_" + strings.NewReplacer(".", "_", ":", "_").Replace(a.String())
		}
	}
	o := t.Opt("on-port")
	if o == nil {
		return c.unsupported(t.Pos, "TPROXY needs --on-port")
	}
	port, ok := tgUint(o.Arg(0), 0xffff)
	if !ok {
		if port, ok = serviceByName(o.Arg(0), ""); !ok {
			return c.badValue(o, "port")
		}
	}
	if port != 0 || tp.Addr == nil {
		tp.Port = &Int{V: port}
		name += fmt.Sprintf("_%d", port)
	}
	var l4 Expr = &Meta{Key: desc.MetaL4proto}
	st := []Stmt{&Match{Left: l4, Op: OpEq, Right: &Sym{Name: proto}}, tp}
	if mo := t.Opt("tproxy-mark"); mo != nil {
		v, m, err := tgMarkMask(c, mo)
		if err != nil {
			return err
		}
		if e := tgXmark(&Meta{Key: desc.MetaMark}, v, m); e != nil {
			st = append(st, &Assign{Left: &Meta{Key: desc.MetaMark}, Value: e})
			name += fmt.Sprintf("_mark_%x_%x", v, m)
		}
	}
	st = append(st, &Verdict{Kind: VerdictAccept})
	rules := []*Rule{{Stmts: st}, {Stmts: []Stmt{&Verdict{Kind: VerdictDrop}}}}
	c.add(&Verdict{Kind: VerdictJump, Chain: c.tgHelperChain(name, rules)})
	return nil
}
