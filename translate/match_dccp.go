package translate

// -m dccp (also implicit with -p dccp): --sport/--dport, --dccp-types,
// --dccp-option. iptables-extensions(8) "dccp"; nft(8) DCCP HEADER
// EXPRESSION. Ports and types are exact (INVALID is types 10-15, as the
// kernel's type mask has it). --dccp-option has no nft 1.0.6 expression
// and is refused.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// dccpTypes are the type names in type order (libxt_dccp.c) with nft's names.
var dccpTypes = []struct{ ipt, nft string }{
	{"REQUEST", "request"}, {"RESPONSE", "response"}, {"DATA", "data"}, {"ACK", "ack"},
	{"DATAACK", "dataack"}, {"CLOSEREQ", "closereq"}, {"CLOSE", "close"}, {"RESET", "reset"},
	{"SYNC", "sync"}, {"SYNCACK", "syncack"}, {"INVALID", ""},
}

func matchDCCP(c *ctx, m *parser.Match) error {
	given, err := c.needProto(m, "dccp", "dccp")
	if err != nil {
		return err
	}
	before := len(c.stmts)
	if err := portsAndFlags(c, m, "dccp"); err != nil {
		return err
	}
	if o := m.Opt("dccp-types"); o != nil {
		var elems []Expr
		var mask uint
		for _, t := range strings.Split(o.Arg(0), ",") {
			if t == "" {
				continue
			}
			i := 0
			for i < len(dccpTypes) && !strings.EqualFold(dccpTypes[i].ipt, t) {
				i++
			}
			if i == len(dccpTypes) {
				return c.unsupported(argPos(o), "unknown DCCP type %q", t)
			}
			mask |= 1 << i
		}
		for i, t := range dccpTypes {
			if mask&(1<<i) == 0 {
				continue
			}
			if t.nft == "" {
				elems = append(elems, &Range{Lo: &Int{V: 10}, Hi: &Int{V: 15}})
			} else {
				elems = append(elems, &Sym{Name: t.nft})
			}
		}
		left := &Payload{Field: desc.DCCPType}
		switch len(elems) {
		case 0:
			// An empty type mask never matches.
			if !o.Negated {
				c.neverMatch(left, 15)
			}
		case 1:
			c.match(left, eq(o.Negated), elems[0])
		default:
			c.match(left, eq(o.Negated), &SetLit{Elems: elems})
		}
	}
	if o := m.Opt("dccp-option"); o != nil {
		return c.unsupported(o.Pos, "--dccp-option has no nft equivalent (nft 1.0.6 cannot test DCCP options)")
	}
	c.ensureProto(given, before, "dccp")
	return nil
}
