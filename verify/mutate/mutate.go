// Package mutate makes mutants of a translation: each changes one thing a
// translator could get wrong (a match dropped or inverted, a verdict, a
// port, an address, a prefix, a mask or a mark, a set timeout, a ring's
// check, the order of two rules, a base chain's priority or type). verify
// must tell every mutant that changes behaviour from the original; the
// mutation score measures how well its probes do.
package mutate

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/xt2nft/xt2nft/translate"
)

// Mutant is one change at one place of a translation. Places are named by
// position (table, chain, rule, statement), so a mutant made from one
// translation applies to another translation of the same input.
type Mutant struct {
	Op   string // the operator: "drop match", "invert match", ...
	Desc string // what it changes, in nft terms, with the rule's origin
	// Table, Chain and Rule are where: indexes in the ruleset (Rule -1
	// for a chain's or a set's mutant; Chain -1 for a set's).
	Table, Chain, Rule int
	// Stmt is the index of the match a "drop match" mutant drops.
	Stmt int
	fn   func(*translate.Ruleset) bool
}

// Apply changes rs; false when the place is not there.
func (m Mutant) Apply(rs *translate.Ruleset) bool { return m.fn(rs) }

// Operators are the operators, in the order All lists their mutants.
var Operators = []string{"drop match", "invert match", "swap accept and drop", "change port", "change address",
	"change prefix length", "change mask or mark", "change set timeout", "change hitcount", "swap rules",
	"move priority", "filter for route"}

// All lists every mutant of rs, operator by operator.
func All(rs *translate.Ruleset) []Mutant {
	var out []Mutant
	for ti, t := range rs.Tables {
		for ci, c := range t.Chains {
			out = append(out, chainMutants(ti, ci, t, c)...)
			for ri, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				out = append(out, ruleMutants(ti, ci, ri, r)...)
			}
			for ri := 0; ri+1 < len(c.Rules); ri++ {
				a, b := c.Rules[ri], c.Rules[ri+1]
				if a.Disabled != "" || b.Disabled != "" || translate.RenderRule(a) == translate.RenderRule(b) {
					continue
				}
				out = append(out, Mutant{Op: "swap rules", Table: ti, Chain: ci, Rule: ri, Desc: fmt.Sprintf("%s: swap `%s` and the next rule `%s`", a.Origin, translate.RenderRule(a), translate.RenderRule(b)),
					fn: at(ti, ci, func(c *translate.Chain) bool {
						if ri+1 >= len(c.Rules) {
							return false
						}
						c.Rules[ri], c.Rules[ri+1] = c.Rules[ri+1], c.Rules[ri]
						return true
					})})
			}
		}
		for si, s := range t.Sets {
			if s.Timeout > time.Second {
				out = append(out, Mutant{Op: "change set timeout", Table: ti, Chain: -1, Rule: -1, Desc: fmt.Sprintf("set %s: timeout %s instead of %s", s.Name, s.Timeout/2, s.Timeout),
					fn: func(rs *translate.Ruleset) bool {
						if ti >= len(rs.Tables) || si >= len(rs.Tables[ti].Sets) {
							return false
						}
						rs.Tables[ti].Sets[si].Timeout /= 2
						return true
					}})
			}
		}
	}
	return out
}

// at runs fn on chain ci of table ti of a ruleset.
func at(ti, ci int, fn func(*translate.Chain) bool) func(*translate.Ruleset) bool {
	return func(rs *translate.Ruleset) bool {
		if ti >= len(rs.Tables) || ci >= len(rs.Tables[ti].Chains) {
			return false
		}
		return fn(rs.Tables[ti].Chains[ci])
	}
}

// atStmt runs fn on statement si of rule ri.
func atStmt(ti, ci, ri, si int, fn func(r *translate.Rule, s translate.Stmt) bool) func(*translate.Ruleset) bool {
	return at(ti, ci, func(c *translate.Chain) bool {
		if ri >= len(c.Rules) || si >= len(c.Rules[ri].Stmts) {
			return false
		}
		return fn(c.Rules[ri], c.Rules[ri].Stmts[si])
	})
}

// chainMutants change a base chain: its priority moved across conntrack
// (-200) or NAT (-100 and 100), a route chain made a filter chain, and for
// the ring chains of recent lists one check dropped (the hitcount).
func chainMutants(ti, ci int, t *translate.Table, c *translate.Chain) []Mutant {
	var out []Mutant
	if b := c.Base; b != nil {
		to := MovedPriority(b.Priority)
		out = append(out, Mutant{Op: "move priority", Table: ti, Chain: ci, Rule: -1, Desc: fmt.Sprintf("chain %s %s: priority %d instead of %d", t.Name, c.Name, to, b.Priority),
			fn: at(ti, ci, func(c *translate.Chain) bool {
				if c.Base == nil {
					return false
				}
				c.Base.Priority = MovedPriority(c.Base.Priority)
				return true
			})})
		if b.Type == translate.TypeRoute {
			out = append(out, Mutant{Op: "filter for route", Table: ti, Chain: ci, Rule: -1, Desc: fmt.Sprintf("chain %s %s: type filter instead of route", t.Name, c.Name),
				fn: at(ti, ci, func(c *translate.Chain) bool {
					if c.Base == nil {
						return false
					}
					c.Base.Type = translate.TypeFilter
					return true
				})})
		}
	}
	if isRingCheck(c) && len(c.Rules) > 1 {
		out = append(out, Mutant{Op: "change hitcount", Table: ti, Chain: ci, Rule: -1, Desc: fmt.Sprintf("chain %s %s: one of its %d ring checks dropped (a lower hitcount)", t.Name, c.Name, len(c.Rules)),
			fn: at(ti, ci, func(c *translate.Chain) bool {
				if len(c.Rules) < 2 {
					return false
				}
				c.Rules = c.Rules[:len(c.Rules)-1]
				return true
			})})
	}
	return out
}

// isRingCheck reports whether c holds a recent list's ring checks: every
// rule goes to the same chain after two set lookups.
func isRingCheck(c *translate.Chain) bool {
	if c.Base != nil || len(c.Rules) == 0 {
		return false
	}
	for _, r := range c.Rules {
		n := 0
		for _, s := range r.Stmts {
			if m, ok := s.(*translate.Match); ok {
				if _, ok := m.Right.(*translate.SetRef); ok {
					n++
				}
			}
		}
		v, ok := r.Stmts[len(r.Stmts)-1].(*translate.Verdict)
		if n != 2 || !ok || v.Kind != translate.VerdictGoto {
			return false
		}
	}
	return true
}

// MovedPriority is a priority on the other side of conntrack or NAT: a
// raw chain after conntrack, a chain before NAT's dstnat after it, one
// after it before conntrack.
func MovedPriority(p int) int {
	switch {
	case p < -200:
		return -150
	case p < -100:
		return -50
	case p < 100:
		return -250
	}
	return 0
}

// ruleMutants change one statement of a rule.
func ruleMutants(ti, ci, ri int, r *translate.Rule) []Mutant {
	out := stmtMutants(ti, ci, ri, r)
	for i := range out {
		out[i].Table, out[i].Chain, out[i].Rule = ti, ci, ri
	}
	return out
}

func stmtMutants(ti, ci, ri int, r *translate.Rule) []Mutant {
	var out []Mutant
	text := translate.RenderRule(r)
	for si, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Match:
			mt := translate.RenderRule(&translate.Rule{Stmts: []translate.Stmt{x}})
			out = append(out, Mutant{Op: "drop match", Stmt: si, Desc: fmt.Sprintf("%s: `%s` without `%s`", r.Origin, text, mt),
				fn: atStmt(ti, ci, ri, si, func(r *translate.Rule, _ translate.Stmt) bool {
					r.Stmts = append(r.Stmts[:si:si], r.Stmts[si+1:]...)
					return true
				})})
			if _, ok := inverse[x.Op]; ok {
				out = append(out, Mutant{Op: "invert match", Desc: fmt.Sprintf("%s: `%s` with `%s` inverted", r.Origin, text, mt),
					fn: atStmt(ti, ci, ri, si, func(_ *translate.Rule, s translate.Stmt) bool {
						m := s.(*translate.Match)
						m.Op = inverse[m.Op]
						return true
					})})
			}
			out = append(out, valueMutants(ti, ci, ri, si, r.Origin.String(), text, x)...)
		case *translate.Verdict:
			if x.Kind == translate.VerdictAccept || x.Kind == translate.VerdictDrop {
				out = append(out, Mutant{Op: "swap accept and drop", Desc: fmt.Sprintf("%s: `%s` with accept and drop swapped", r.Origin, text),
					fn: atStmt(ti, ci, ri, si, func(_ *translate.Rule, s translate.Stmt) bool {
						v := s.(*translate.Verdict)
						v.Kind = map[translate.VerdictKind]translate.VerdictKind{translate.VerdictAccept: translate.VerdictDrop, translate.VerdictDrop: translate.VerdictAccept}[v.Kind]
						return true
					})})
			}
		case *translate.Assign:
			if n, ok := x.Value.(*translate.Int); ok {
				out = append(out, Mutant{Op: "change mask or mark", Desc: fmt.Sprintf("%s: `%s` setting %#x", r.Origin, text, n.V^1),
					fn: atStmt(ti, ci, ri, si, func(_ *translate.Rule, s translate.Stmt) bool {
						if n, ok := s.(*translate.Assign).Value.(*translate.Int); ok {
							n.V ^= 1
							return true
						}
						return false
					})})
			}
		}
	}
	return out
}

var inverse = map[translate.Op]translate.Op{
	translate.OpEq: translate.OpNe, "": translate.OpNe, translate.OpNe: translate.OpEq,
	translate.OpLt: translate.OpGe, translate.OpGe: translate.OpLt, translate.OpGt: translate.OpLe, translate.OpLe: translate.OpGt,
	translate.OpNot: translate.OpEq, translate.OpExists: translate.OpMissing, translate.OpMissing: translate.OpExists,
}

// valueMutants change the constant of a match: a port by one, an address
// to the next, a prefix one bit shorter, a mask or a mark by one bit.
func valueMutants(ti, ci, ri, si int, origin, text string, m *translate.Match) []Mutant {
	var out []Mutant
	mk := func(op, desc string, f func(m *translate.Match) bool) {
		out = append(out, Mutant{Op: op, Desc: fmt.Sprintf("%s: `%s` %s", origin, text, desc),
			fn: atStmt(ti, ci, ri, si, func(_ *translate.Rule, s translate.Stmt) bool { return f(s.(*translate.Match)) })})
	}
	if isPort(m.Left) {
		if _, ok := firstInt(m.Right); ok {
			mk("change port", "with its port one higher", func(m *translate.Match) bool {
				n, ok := firstInt(m.Right)
				if ok {
					n.V++
				}
				return ok
			})
		}
	}
	if a, ok := m.Right.(*translate.Addr); ok {
		if a.Prefix.IsSingleIP() {
			mk("change address", "with the next address", func(m *translate.Match) bool {
				a := m.Right.(*translate.Addr)
				a.Prefix = netip.PrefixFrom(a.Prefix.Addr().Next(), a.Prefix.Bits())
				return true
			})
		} else if a.Prefix.Bits() > 0 {
			mk("change prefix length", fmt.Sprintf("with /%d instead of /%d", a.Prefix.Bits()-1, a.Prefix.Bits()), func(m *translate.Match) bool {
				a := m.Right.(*translate.Addr)
				a.Prefix = netip.PrefixFrom(a.Prefix.Addr(), a.Prefix.Bits()-1).Masked()
				return true
			})
		}
	}
	if b, ok := m.Left.(*translate.Binop); ok && b.Op == "&" {
		if n, ok := b.Right.(*translate.Int); ok && n.V != 0 {
			mk("change mask or mark", fmt.Sprintf("with the mask's lowest bit cleared (%#x)", n.V&(n.V-1)), func(m *translate.Match) bool {
				n := m.Left.(*translate.Binop).Right.(*translate.Int)
				n.V &= n.V - 1
				return true
			})
		}
	}
	if isMark(m.Left) {
		if n, ok := m.Right.(*translate.Int); ok {
			mk("change mask or mark", fmt.Sprintf("comparing with %#x", n.V^1), func(m *translate.Match) bool {
				m.Right.(*translate.Int).V ^= 1
				return true
			})
		}
	}
	return out
}

func isPort(e translate.Expr) bool {
	p, ok := e.(*translate.Payload)
	return ok && (p.Field.Name == "sport" || p.Field.Name == "dport")
}

func isMark(e translate.Expr) bool {
	if b, ok := e.(*translate.Binop); ok {
		e = b.Left
	}
	switch x := e.(type) {
	case *translate.Meta:
		return x.Key.Name == "mark"
	case *translate.CT:
		return x.Key.Name == "mark"
	}
	return false
}

// firstInt is the first integer of a constant: itself, a range's low end,
// a set's first element.
func firstInt(e translate.Expr) (*translate.Int, bool) {
	switch x := e.(type) {
	case *translate.Int:
		return x, true
	case *translate.Range:
		return firstInt(x.Lo)
	case *translate.SetLit:
		if len(x.Elems) > 0 {
			return firstInt(x.Elems[0])
		}
	}
	return nil, false
}
