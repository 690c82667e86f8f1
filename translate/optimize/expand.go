package optimize

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// Expanded is a rule whose anonymous set became one rule per element.
type Expanded struct {
	Origin parser.Pos
	Rules  int
}

// maxExpand bounds the elements of a set expanded into rules.
const maxExpand = 16

// expandCost is, in set·rule steps, when a table's anonymous sets start to
// cost more than the rules that replace them: the kernel finds each
// anonymous set by walking the table's sets and then the whole
// transaction (16,000 multiport rules: four minutes).
var expandCost = 5e6

// expand replaces the small anonymous sets of a table with many of them
// by one rule per element: exact, because a packet has one value of the
// key (one destination port), so at most one of the rules matches it, and
// each rule's counter counts that element's packets (the iptables rule's
// count is their sum). Only sets of disjoint plain values, in rules that
// hold no state, carry no iptables counter values and do not change the
// key, are expanded.
func (a *analyzer) expand(t *translate.Table) []*Expanded {
	anon, rules := 0, 0
	for _, c := range t.Chains {
		rules += len(c.Rules)
		for _, r := range c.Rules {
			if _, ok := a.expandable(r); ok {
				anon++
			}
		}
	}
	if float64(anon)*float64(rules) < expandCost {
		return nil
	}
	var out []*Expanded
	for _, c := range t.Chains {
		var next []*translate.Rule
		for _, r := range c.Rules {
			i, ok := a.expandable(r)
			if !ok {
				next = append(next, r)
				continue
			}
			m := r.Stmts[i].(*translate.Match)
			for _, e := range m.Right.(*translate.SetLit).Elems {
				cp := &translate.Rule{Origin: r.Origin, Origins: r.Origins, Comment: r.Comment}
				for j, st := range r.Stmts {
					switch {
					case j == i:
						st = &translate.Match{Left: m.Left, Op: m.Op, Right: e}
					default:
						if _, isCtr := st.(*translate.Counter); isCtr {
							st = &translate.Counter{}
						}
					}
					cp.Stmts = append(cp.Stmts, st)
				}
				next = append(next, cp)
			}
			out = append(out, &Expanded{Origin: r.Origin, Rules: len(m.Right.(*translate.SetLit).Elems)})
		}
		c.Rules = next
	}
	return out
}

// expandable returns the index of the one anonymous set match of r that
// may become one rule per element.
func (a *analyzer) expandable(r *translate.Rule) (int, bool) {
	if r.Disabled != "" {
		return 0, false
	}
	at := -1
	var w writes
	for i, st := range r.Stmts {
		switch s := st.(type) {
		case *translate.Match:
			if _, ok := s.Right.(*translate.SetLit); ok {
				if at >= 0 {
					return 0, false // two sets: the product could be big
				}
				at = i
			}
			if !pure(s) {
				return 0, false
			}
		case *translate.Counter:
			if s.Name != "" || a.opt.Counters && (s.Packets != 0 || s.Bytes != 0) {
				return 0, false
			}
		case *translate.Limit, *translate.Quota, *translate.SetStmt, *translate.ObjRef, *translate.CtCount, *translate.VMap:
			return 0, false
		}
		w.add(a.stmtWrites(st))
	}
	if at < 0 {
		return 0, false
	}
	m := r.Stmts[at].(*translate.Match)
	if m.Op != translate.OpEq && m.Op != "" {
		return 0, false
	}
	k := a.keyOf(m.Left)
	lit := m.Right.(*translate.SetLit)
	if k == nil || len(lit.Elems) > maxExpand || w.changes(k) {
		return 0, false
	}
	var ts [][]value
	for _, e := range lit.Elems {
		vs, ok := k.values(e)
		if !ok || len(vs) != 1 {
			return 0, false
		}
		ts = append(ts, vs)
	}
	if overlapping(ts) {
		return 0, false
	}
	return at, true
}
