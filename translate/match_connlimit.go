package translate

// -m connlimit: iptables-extensions(8) "connlimit"; nft "add @SET { KEY ct
// count [over] N }" on a dynamic set of addresses. The kernel keeps one
// connection-count tree per rule (nf_conncount in xt_connlimit), so every
// rule gets its own set, named connlimitN as upstream does.
// --connlimit-above N is "ct count over N"; --connlimit-upto N is "ct count
// N" (at most N); "!" swaps them. Exact.

import (
	"fmt"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchConnlimit(c *ctx, m *parser.Match) error {
	var o *parser.Option
	over := false
	if u := m.Opt("connlimit-upto"); u != nil {
		o, over = u, u.Negated
	}
	if a := m.Opt("connlimit-above"); a != nil {
		if o != nil {
			return c.unsupported(a.Pos, "--connlimit-upto and --connlimit-above cannot be combined")
		}
		o, over = a, !a.Negated
	}
	if o == nil {
		return c.unsupported(m.Pos, "-m connlimit needs --connlimit-upto or --connlimit-above")
	}
	n, ok := parseNum(o.Arg(0), 32)
	if !ok {
		return c.badValue(o, "connection count")
	}
	field := c.l3().Saddr
	if m.Opt("connlimit-daddr") != nil {
		if m.Opt("connlimit-saddr") != nil {
			return c.unsupported(m.Pos, "--connlimit-saddr and --connlimit-daddr cannot be combined")
		}
		field = c.l3().Daddr
	}
	full := 32
	if c.fam == parser.IPv6 {
		full = 128
	}
	bits := full
	if mo := m.Opt("connlimit-mask"); mo != nil {
		v, ok := parseNum(mo.Arg(0), 8)
		if !ok || int(v) > full {
			return c.badValue(mo, "prefix length")
		}
		bits = int(v)
	}
	var key Expr = &Payload{Field: field}
	if bits < full {
		key = &Binop{Op: "&", Left: key, Right: c.prefixMask(bits)}
	}
	name := ""
	for i := 0; ; i++ {
		name = fmt.Sprintf("connlimit%d", i)
		if !c.setNameTaken(name) {
			break
		}
	}
	c.addSet(&Set{Name: name, Type: []*desc.Type{c.l3AddrType()}, Flags: []SetFlag{SetDynamic}, Origin: m.Pos})
	c.add(&SetStmt{Op: SetAdd, Set: name, Key: key, Stmts: []Stmt{&CtCount{N: n, Over: over}}})
	return nil
}
