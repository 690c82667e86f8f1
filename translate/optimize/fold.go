package optimize

import (
	"fmt"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// group is a run of rules that will be one rule: a single rule, or rules
// of one class folded together. It sits at its first rule's place.
type group struct {
	members []*rinfo
	idx     int // place in the chain's output
	f       *foldable
	// elems are the members' elements, owner the member of each.
	elems [][]value
	owner []int
	// An index of the elements on one key part whose values are single
	// points (a port, an address): elements that may overlap a new one
	// share its point there, or are among the wide ones. Made when the
	// group has enough elements to need it (most groups stay one rule).
	part    int
	byPoint map[point][]int
	wide    []int
	// sum is, for each key every member constrains, the union of their
	// values (a packet outside it is in no member); w what any member
	// may change.
	sum []con
	w   writes
}

func newGroup(ri *rinfo, idx int) *group {
	g := &group{members: []*rinfo{ri}, idx: idx, f: ri.f, part: -1, sum: ri.cons, w: ri.w}
	if ri.f != nil {
		for p := range ri.f.elems[0] {
			all := true
			for _, e := range ri.f.elems {
				if e[p].isRange() {
					all = false
				}
			}
			if all {
				g.part = p
				break
			}
		}
		g.addElems(ri.f.elems, 0)
	}
	return g
}

// indexAt is the number of elements from which a group is indexed.
const indexAt = 16

func (g *group) addElems(elems [][]value, m int) {
	if len(g.elems) == 0 {
		// the first member's: the group shares its array until it grows
		g.elems = elems[:len(elems):len(elems)]
		g.owner = make([]int, len(elems))
	} else {
		for _, e := range elems {
			g.elems = append(g.elems, e)
			g.owner = append(g.owner, m)
		}
	}
	if g.part < 0 {
		return
	}
	if g.byPoint == nil {
		if len(g.elems) < indexAt {
			return
		}
		g.byPoint = map[point][]int{}
		for i := range g.elems {
			g.index(i)
		}
		return
	}
	for i := len(g.elems) - len(elems); i < len(g.elems); i++ {
		g.index(i)
	}
}

func (g *group) index(i int) {
	if e := g.elems[i]; e[g.part].isRange() {
		g.wide = append(g.wide, i)
	} else {
		g.byPoint[e[g.part].iv.lo] = append(g.byPoint[e[g.part].iv.lo], i)
	}
}

// absorb returns ri's elements that no element of the group already
// decides: an element covered by an element of an earlier rule that ends
// the packet's walk (accept, drop, return, reject, NAT) is never reached,
// so it is left out (its rule's counter stays zero, as in iptables). ok is
// false when an element shares packets with one of the group's without
// being covered: the first matching rule would then decide, which one
// lookup cannot.
func (g *group) absorb(ri *rinfo) (kept [][]value, ok bool) {
	for _, e := range ri.f.elems {
		covered, clash := false, false
		check := func(i int) {
			f := g.elems[i]
			if tupleDisjoint(e, f) {
				return
			}
			if g.members[g.owner[i]].terminal && tupleCovers(f, e) {
				covered = true
				return
			}
			clash = true
		}
		if g.byPoint != nil && !e[g.part].isRange() {
			for _, i := range g.byPoint[e[g.part].iv.lo] {
				check(i)
			}
			for _, i := range g.wide {
				check(i)
			}
		} else {
			for i := range g.elems {
				check(i)
			}
		}
		if clash {
			return nil, false
		}
		if !covered {
			kept = append(kept, e)
		}
	}
	// Kept elements must not overlap one another across members; within
	// one rule they come from one selector list and are disjoint.
	return kept, true
}

// tupleCovers reports whether every packet in e is in f.
func tupleCovers(f, e []value) bool {
	for i := range f {
		if cmp(f[i].iv.lo, e[i].iv.lo) > 0 || cmp(e[i].iv.hi, f[i].iv.hi) > 0 {
			return false
		}
	}
	return true
}

func (g *group) add(ri *rinfo, elems [][]value) {
	g.members = append(g.members, ri)
	g.addElems(elems, len(g.members)-1)
	if len(g.members) == 2 {
		// the first member's constraints are its own: copy before growing
		sum := make([]con, len(g.sum))
		for i, c := range g.sum {
			sum[i] = con{c.id, c.k, append(vset(nil), c.vs...)}
		}
		g.sum = sum
	}
	keep := g.sum[:0]
	for _, c := range g.sum {
		if o := find(ri.cons, c.id); o != nil {
			c.vs = c.vs.union(o.vs)
			keep = append(keep, c)
		}
	}
	g.sum = keep
	g.w.add(ri.w)
}

// disjoint reports whether no packet can be matched by both ri and any
// rule of g, on a key neither changes: then their order does not matter.
func (g *group) disjoint(ri *rinfo) bool {
	if consDisjoint(g.sum, &g.w, ri) {
		return true
	}
	if len(g.members) == 1 || len(g.members) > 8 {
		return false
	}
	for _, m := range g.members {
		if !consDisjoint(m.cons, &m.w, ri) {
			return false
		}
	}
	return true
}

// consDisjoint reports whether no packet meets both the constraints sum
// and ri's on a key neither w nor ri changes.
func consDisjoint(sum []con, w *writes, ri *rinfo) bool {
	for _, c := range ri.cons {
		gc := find(sum, c.id)
		if gc == nil || ri.w.changes(c.k) || w.changes(gc.k) || w.changes(c.k) {
			continue
		}
		if c.vs.disjoint(gc.vs) {
			return true
		}
	}
	return false
}

// maxScan bounds how many places back a rule may move to join a fold.
const maxScan = 4096

// foldChain folds the chain's rules; it returns the groups in order.
func (a *analyzer) foldChain(c *translate.Chain) []*group {
	var out []*group
	latest := map[string]*group{}
rules:
	for _, r := range c.Rules {
		ri := a.describe(r)
		if ri.f != nil {
			if g := latest[ri.f.class]; g != nil && len(out)-1-g.idx <= maxScan {
				if kept, ok := g.absorb(ri); ok && a.reaches(out[g.idx+1:], g, ri, len(kept) == 0) {
					g.add(ri, kept)
					continue rules
				}
			}
		}
		g := newGroup(ri, len(out))
		out = append(out, g)
		if ri.f != nil {
			latest[ri.f.class] = g
		}
	}
	for _, g := range out {
		g.done()
	}
	return out
}

// done drops what only folding asked of the group (its constraints, what
// it changes, its index), and of a single rule everything but the rule:
// emit needs only the members of groups that fold, with their elements.
func (g *group) done() {
	g.sum, g.w, g.byPoint, g.wide = nil, writes{}, nil, nil
	for _, m := range g.members {
		m.cons, m.w = nil, writes{}
	}
	if len(g.members) == 1 {
		g.members[0].f, g.f, g.elems, g.owner = nil, nil, nil, nil
	}
}

// reaches reports whether ri may join g past the groups between them: it
// must be disjoint from each of them, or (dead: every element of it is
// covered by one of g's) merely see the keys unchanged, which it does
// when nothing between may change them.
func (a *analyzer) reaches(between []*group, g *group, ri *rinfo, dead bool) bool {
	for _, h := range between {
		if dead {
			for _, s := range ri.f.sels {
				for _, k := range s.keys {
					if h.w.changes(k) {
						return false
					}
				}
			}
			continue
		}
		if !h.disjoint(ri) {
			return false
		}
	}
	return true
}

// Fold is one folded rule: the iptables rules it stands for and the set
// or map that holds them.
type Fold struct {
	Chain   string
	Origins []parser.Pos
	Set     string
	Kind    string // "set", "map", "verdict map", or "rule" (the others never match)
}

// emit returns the rule a group becomes (and declares its set in t).
func (a *analyzer) emit(t *translate.Table, c *translate.Chain, g *group) (*translate.Rule, *Fold) {
	m0 := g.members[0]
	if len(g.members) == 1 {
		return m0.r, nil
	}
	f := m0.f
	var keys []*key
	for _, s := range f.sels {
		keys = append(keys, s.keys...)
	}
	common := make([]bool, len(keys))
	var vary []int
	for p := range keys {
		common[p] = true
		first := g.elems[0][p]
		for _, e := range g.elems[1:] {
			if e[p].iv != first.iv || translate.RenderExpr(e[p].e) != translate.RenderExpr(first.e) {
				common[p] = false
				break
			}
		}
		if !common[p] {
			vary = append(vary, p)
		}
	}
	if len(vary) == 0 {
		// One element: the first rule's; the others are dead (covered by
		// it). The rule stays as it is and stands for all of them.
		r := *m0.r
		for _, m := range g.members {
			r.Origins = append(r.Origins, m.r.Origin)
		}
		return &r, &Fold{Chain: c.Name, Origins: r.Origins, Kind: "rule"}
	}
	set := &translate.Set{Flags: []translate.SetFlag{translate.SetConstant}, Counter: f.counter != nil, Origin: m0.r.Origin}
	var keyExprs []translate.Expr
	interval := false
	for _, p := range vary {
		keyExprs = append(keyExprs, keys[p].expr)
		set.Type = append(set.Type, a.setType(keys[p]))
		for _, e := range g.elems {
			interval = interval || e[p].isRange()
		}
	}
	if interval {
		set.Flags = append(set.Flags, translate.SetInterval)
	}
	var keyExpr translate.Expr = keyExprs[0]
	if len(keyExprs) > 1 {
		keyExpr = &translate.Concat{Exprs: keyExprs}
	}
	// A map only when the slot values differ.
	mapped := false
	if f.slot != slotNone {
		v0 := translate.RenderExpr(f.slotVal)
		for _, o := range g.owner {
			if translate.RenderExpr(g.members[o].f.slotVal) != v0 {
				mapped = true
				break
			}
		}
	}
	kind, letter := "set", "set"
	if mapped {
		switch f.slot {
		case slotVerdict:
			set.Data = []*desc.Type{desc.Verdict}
			kind, letter = "verdict map", "vmap"
		case slotAssign:
			set.Data = []*desc.Type{assignType(f.action[len(f.action)-1].(*translate.Assign).Left)}
			kind, letter = "map", "map"
		case slotNAT:
			n := f.action[len(f.action)-1].(*translate.NAT)
			at := desc.IPv4Addr
			if n.Family == translate.FamilyIP6 || n.Family == "" && a.fam == translate.FamilyIP6 {
				at = desc.IPv6Addr
			}
			set.Data = []*desc.Type{at}
			if n.Port != nil {
				set.Data = append(set.Data, desc.InetService)
			}
			kind, letter = "map", "map"
		}
	}
	set.Name = a.setName(t, c.Name+"_"+letter)
	for i, e := range g.elems {
		m := g.members[g.owner[i]]
		var parts []translate.Expr
		for _, p := range vary {
			parts = append(parts, e[p].e)
		}
		el := &translate.Elem{Key: parts[0], Comment: m.r.Comment, Origin: m.r.Origin}
		if len(parts) > 1 {
			el.Key = &translate.Concat{Exprs: parts}
		}
		if mapped {
			el.Value = m.f.slotVal
		}
		set.Elems = append(set.Elems, el)
	}
	t.Sets = append(t.Sets, set)

	// The rule: the members' common matches in their order (selectors
	// whose value is the same in every member among them), the lookup
	// last (so that an element's counter counts exactly the packets its
	// rule's counter counted), then the action.
	r := &translate.Rule{Origin: m0.r.Origin}
	for _, m := range g.members {
		r.Origins = append(r.Origins, m.r.Origin)
	}
	p := 0
	selAt := map[int]*sel{}
	for _, s := range f.sels {
		selAt[s.idx] = s
	}
	parts := map[*sel]int{}
	for _, s := range f.sels {
		parts[s] = p
		p += len(s.keys)
	}
	for i, st := range m0.r.Stmts {
		s, isSel := selAt[i]
		if !isSel {
			if _, ok := st.(*translate.Match); ok {
				r.Stmts = append(r.Stmts, st)
			}
			continue
		}
		start := parts[s]
		allCommon := true
		for j := range s.keys {
			allCommon = allCommon && common[start+j]
		}
		if allCommon && len(s.keys) == 1 {
			r.Stmts = append(r.Stmts, st)
			continue
		}
		for j, k := range s.keys {
			if common[start+j] {
				r.Stmts = append(r.Stmts, &translate.Match{Left: k.expr, Op: translate.OpEq, Right: g.elems[0][start+j].e})
			}
		}
	}
	ref := &translate.SetRef{Name: set.Name}
	action := f.action
	switch {
	case !mapped:
		r.Stmts = append(r.Stmts, &translate.Match{Left: keyExpr, Op: translate.OpEq, Right: ref})
		r.Stmts = append(r.Stmts, action...)
	case f.slot == slotVerdict:
		r.Stmts = append(r.Stmts, &translate.VMap{Key: keyExpr, Map: ref})
	case f.slot == slotAssign:
		as := action[len(action)-1].(*translate.Assign)
		r.Stmts = append(r.Stmts, &translate.Assign{Left: as.Left, Value: &translate.MapLookup{Key: keyExpr, Map: ref}})
	case f.slot == slotNAT:
		n := *action[len(action)-1].(*translate.NAT)
		n.Addr, n.Port = &translate.MapLookup{Key: keyExpr, Map: ref}, nil
		if n.Family == "" {
			n.Family = a.fam // nft wants dnat ip to ... map
		}
		r.Stmts = append(r.Stmts, &n)
	}
	return r, &Fold{Chain: c.Name, Origins: r.Origins, Set: set.Name, Kind: kind}
}

// setType is the type a key's values are declared with in a set.
func (a *analyzer) setType(k *key) *desc.Type {
	if k.typ != nil {
		return k.typ
	}
	if a.fam == translate.FamilyIP6 {
		return desc.IPv6Addr
	}
	return desc.IPv4Addr
}

func assignType(e translate.Expr) *desc.Type {
	switch v := e.(type) {
	case *translate.Meta:
		return v.Key.Type
	case *translate.CT:
		return v.Key.Type
	}
	return nil
}

// setName returns base1, base2, ...: the first name no set of t has.
func (a *analyzer) setName(t *translate.Table, base string) string {
	for {
		a.seq[base]++
		name := fmt.Sprintf("%s%d", base, a.seq[base])
		if !a.names[name] {
			a.names[name] = true
			return name
		}
	}
}
