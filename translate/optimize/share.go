package optimize

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Shared is an anonymous set that became a named one.
type Shared struct {
	Set     string
	Text    string // the list, as nft writes it
	Origins []parser.Pos
}

type anonUse struct {
	m *translate.Match
	r *translate.Rule
}

// share replaces the anonymous sets the table's rules use more than once
// (the same key, the same elements) by one named constant set each: the
// kernel creates one set instead of one per rule, and looks it up by name
// instead of through the whole transaction.
func (a *analyzer) share(t *translate.Table) []*Shared {
	uses := map[string][]anonUse{}
	var order []string
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			if r.Disabled != "" {
				continue
			}
			for _, st := range r.Stmts {
				m, ok := st.(*translate.Match)
				if !ok {
					continue
				}
				lit, ok := m.Right.(*translate.SetLit)
				if !ok || len(lit.Elems) < 2 {
					continue
				}
				id := setTypeKey(a, m.Left)
				if id == "" {
					continue
				}
				id += " " + translate.RenderExpr(lit)
				if uses[id] == nil {
					order = append(order, id)
				}
				uses[id] = append(uses[id], anonUse{m, r})
			}
		}
	}
	var out []*Shared
	for _, id := range order {
		us := uses[id]
		if len(us) < 2 {
			continue
		}
		m := us[0].m
		set, ok := a.namedSet(t, m.Left, m.Right.(*translate.SetLit))
		if !ok {
			continue
		}
		set.Origin = us[0].r.Origin
		t.Sets = append(t.Sets, set)
		sh := &Shared{Set: set.Name, Text: translate.RenderExpr(m.Right)}
		for _, u := range us {
			u.m.Right = &translate.SetRef{Name: set.Name}
			sh.Origins = append(sh.Origins, u.r.AllOrigins()...)
		}
		out = append(out, sh)
	}
	return out
}

// setTypeKey names the type of a lookup's key ("" when the optimizer
// cannot declare a set of it).
func setTypeKey(a *analyzer, e translate.Expr) string {
	ts, ok := a.keyTypes(e)
	if !ok {
		return ""
	}
	var names []string
	for _, t := range ts {
		names = append(names, t.Name)
	}
	return strings.Join(names, " . ")
}

func (a *analyzer) keyTypes(e translate.Expr) ([]*desc.Type, bool) {
	var parts []translate.Expr
	if c, ok := e.(*translate.Concat); ok {
		parts = c.Exprs
	} else {
		parts = []translate.Expr{e}
	}
	var ts []*desc.Type
	for _, x := range parts {
		k := a.keyOf(x)
		if k == nil || !k.fold {
			return nil, false
		}
		ts = append(ts, a.setType(k))
	}
	return ts, true
}

// namedSet declares the elements of an anonymous set as a named constant
// set, when they can be (a named interval set takes no overlapping
// elements, which nft merges in anonymous ones).
func (a *analyzer) namedSet(t *translate.Table, left translate.Expr, lit *translate.SetLit) (*translate.Set, bool) {
	ts, _ := a.keyTypes(left)
	var keys []*key
	if c, ok := left.(*translate.Concat); ok {
		for _, x := range c.Exprs {
			keys = append(keys, a.keyOf(x))
		}
	} else {
		keys = []*key{a.keyOf(left)}
	}
	var tuples [][]value
	interval := false
	for _, e := range lit.Elems {
		parts := []translate.Expr{e}
		if c, ok := e.(*translate.Concat); ok && len(keys) > 1 {
			parts = c.Exprs
		}
		if len(parts) != len(keys) {
			return nil, false
		}
		var tuple []value
		for i, x := range parts {
			vs, ok := keys[i].values(x)
			if !ok || len(vs) != 1 {
				return nil, false
			}
			tuple = append(tuple, vs[0])
			interval = interval || vs[0].isRange()
		}
		tuples = append(tuples, tuple)
	}
	if overlapping(tuples) {
		return nil, false
	}
	set := &translate.Set{Type: ts, Flags: []translate.SetFlag{translate.SetConstant}, Elems: lit.Elems}
	if interval {
		set.Flags = append(set.Flags, translate.SetInterval)
	}
	base := strings.NewReplacer(" ", "_", ".", "", "&", "").Replace(translate.RenderExpr(left))
	for strings.Contains(base, "__") {
		base = strings.ReplaceAll(base, "__", "_")
	}
	set.Name = a.setName(t, base+"_")
	return set, true
}
