package translate

// The inet layout: the IPv4 and IPv6 rules in one "table inet". Each
// family is translated into its own part of the table (nftTable), as if it
// had a table of its own, except that the two parts share one name space
// for chains and for sets whose state is the family's own (hashlimit,
// connlimit), and that statements whose meaning in an inet table needs a
// family name it (snat ip to, tproxy ip6 to, ct original ip saddr). Then
// mergeInet makes the parts one table:
//
//   - Sets and objects of one name in both parts (an ipset, an nfacct
//     counter, a ct helper) are one when they are declared alike, since
//     the kernel object they stand for is one for both families; else each
//     family's is renamed NAME_ip / NAME_ip6, with a warning.
//   - Chains of one name are one chain. A packet is of one family, and must
//     meet its own family's rules in their order and no other's: the two
//     rule lists are aligned by a longest common subsequence (lcsPairs), a
//     rule both families have (the same statements, compared as the text
//     nft reads, counters aside) is written once, with the sum of its
//     counters, and the others in their places, each family's in its order.
//     A rule whose state is its own (limit, quota, numgen inc: xt keeps it
//     per rule, and the two families' rules are two rules) is never shared.
//   - A base chain is one per hook. When the families' policies differ, the
//     chain accepts and ends with the dropping family's "counter drop"
//     (carrying the policy's counters); in that family's rules of the chain,
//     return (which applies the policy) becomes drop, and goto X (whose end
//     applies the policy) becomes a jump to a chain that jumps to X and
//     drops.
//   - A family's rule in a chain the other family reaches is qualified with
//     "meta nfproto ipv4|ipv6" first, unless a load nft makes depend on the
//     family comes before any statement with an effect (ip saddr, icmp
//     type, exthdr frag): nft then tests the family itself, and lists the
//     rule without the test. A chain only one family reaches (a user chain
//     of one family's dump, the chains xt2nft makes for one family's rules)
//     needs no qualification: its rules are written as in an ip or ip6
//     table.

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"strconv"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// famSet is a set of families: the families a rule is for, or that reach a
// chain.
type famSet uint8

const (
	fam4    famSet = 1
	fam6    famSet = 2
	famBoth        = fam4 | fam6
)

// famSets are the two parts, in the order mergeInet keeps them.
var famSets = [2]famSet{fam4, fam6}

func (f famSet) nfproto() string { return map[famSet]string{fam4: "ipv4", fam6: "ipv6"}[f] }
func (f famSet) suffix() string  { return map[famSet]string{fam4: "_ip", fam6: "_ip6"}[f] }
func (f famSet) String() string  { return map[famSet]string{fam4: "IPv4", fam6: "IPv6"}[f] }
func (f famSet) tool() string    { return map[famSet]string{fam4: "iptables", fam6: "ip6tables"}[f] }
func (f famSet) family() parser.Family {
	return map[famSet]parser.Family{fam4: parser.IPv4, fam6: parser.IPv6}[f]
}

// inetRule is a rule of the merged table and the families it is for.
type inetRule struct {
	r   *Rule
	fam famSet
}

// inetChain is a chain of the merged table.
type inetChain struct {
	c     *Chain
	rules []inetRule
	reach famSet // the families whose packets can enter it
	from  famSet // the families that have it
	// gate is the family its first rule sends away (inetGate): the rules
	// after it are met by the other family only.
	gate famSet
}

// mergeInet makes the families' parts of the inet table the table of the
// ruleset.
func (tr *translator) mergeInet(d *parser.Dump) {
	var parts [2]*Table
	for i, f := range famSets {
		parts[i] = tr.tables[tableKey{fam: f.family()}]
	}
	if parts[0] == nil && parts[1] == nil {
		return
	}
	tr.absentFamily(d, parts)
	for i := range parts {
		if parts[i] == nil {
			parts[i] = &Table{}
		}
	}
	tr.sharedConntrack(parts)
	// A helper chain both families use is in both parts: the IPv6 part
	// gets its own copy, so that what the merge changes in one part's
	// chains it changes in that part only.
	in4 := map[*Chain]bool{}
	for _, c := range parts[0].Chains {
		in4[c] = true
	}
	for i, c := range parts[1].Chains {
		if in4[c] {
			cp := *c
			cp.Rules = append([]*Rule(nil), c.Rules...)
			parts[1].Chains[i] = &cp
		}
	}
	out := &Table{Family: FamilyInet, Name: tr.opt.Table}
	out.Sets, out.Objects = tr.inetDeclarations(parts)
	chains := tr.inetChains(parts)
	inetReach(chains)
	for _, ic := range chains {
		ch := ic.c
		for k, ir := range ic.rules {
			r := ir.r
			// A rule of one family in a chain the other enters (or has:
			// an unreachable chain of both keeps them apart too), unless
			// the chain's gate sent the other away.
			meet := ic.reach | ic.from
			if k > 0 {
				meet &^= ic.gate
			}
			other := meet&^ir.fam != 0
			if ir.fam != famBoth && r.Disabled == "" && (other || needsFamily(r)) {
				r = qualify(r, ir.fam)
			}
			ch.Rules = append(ch.Rules, r)
		}
		out.Chains = append(out.Chains, ch)
	}
	tr.out.Tables = append(tr.out.Tables, out)
}

// absentFamily notes a translation with one family only: the inet table
// then passes the other family's packets in every chain, as empty ip6tables
// (or iptables) tables do, which is what the input says but may not be
// what the host had.
func (tr *translator) absentFamily(d *parser.Dump, parts [2]*Table) {
	for i, p := range parts {
		if p != nil {
			continue
		}
		for _, t := range d.Tables {
			tr.warnf(t.Pos, "--layout inet: the input has no %s rules; the inet table passes %s packets in every chain, as %s tables without rules do",
				famSets[i], famSets[i], famSets[i].tool())
			return
		}
	}
}

// sharedConntrack warns where one family's rules use conntrack and the
// other's do not. Conntrack runs for the families of the table that asks
// for it (nf_ct_netns_get: both for an inet table), and with it the
// kernel's defragmentation, before every chain (priority -400, before
// raw's -300). In the inet table the other family's connections are
// tracked too, and its fragments are reassembled first: a lone fragment
// its own iptables tables (without conntrack) let a router forward as it
// came is held until its datagram is whole, and never leaves
// (TestPrivilegedInetConntrackOtherFamily); a rule of that family that
// tests fragments never meets one (TestPrivilegedInetDefrag). A nat table
// (or chain) without NAT rules uses no conntrack: neither iptable_nat nor
// an nft nat chain hooks it in by itself (a lone fragment passes both).
func (tr *translator) sharedConntrack(parts [2]*Table) {
	var ct [2]parser.Pos // where the family first uses conntrack
	var frag [2]*Rule
	for i, p := range parts {
		for _, c := range p.Chains {
			for _, r := range c.Rules {
				if ct[i].File == "" && usesConntrack(r) {
					ct[i] = r.Origin
				}
				if frag[i] == nil && testsFragments(r) {
					frag[i] = r
				}
			}
		}
	}
	for i := range parts {
		if ct[i].File != "" || ct[1-i].File == "" {
			continue
		}
		msg := fmt.Sprintf("--layout inet: the %s rules use conntrack and the %s rules do not; in one inet table conntrack runs for both families, so the kernel tracks %s connections too and reassembles %s fragments before every chain: a lone fragment %s forwarded as it came is held until its datagram is whole (the default layout keeps each family's conntrack to itself)",
			famSets[1-i], famSets[i], famSets[i], famSets[i], famSets[i].tool())
		tr.approxf(ct[1-i], "%s", msg)
		if tr.tracked == nil {
			tr.tracked = map[parser.Family]string{}
		}
		tr.tracked[famSets[i].family()] = msg
		if frag[i] != nil {
			tr.approxf(frag[i].Origin, "--layout inet: the %s rules use conntrack and the %s rules do not; in one inet table conntrack runs for both families, and the kernel reassembles %s fragments before every chain: this rule tests fragments, and meets none", famSets[1-i], famSets[i], famSets[i])
		}
	}
}

// usesConntrack reports whether a rule makes the kernel track connections
// of its table's families: a ct expression, NAT, a connection count, a
// conntrack helper, synproxy.
func usesConntrack(r *Rule) bool {
	isCT := func(e Expr) bool { _, ok := e.(*CT); return ok }
	for _, st := range r.Stmts {
		switch s := st.(type) {
		case *NAT, *CtCount, *Synproxy:
			return true
		case *ObjRef:
			if s.Kind == ObjCTHelper {
				return true
			}
		case *Match:
			if anyExpr(s.Left, isCT) || anyExpr(s.Right, isCT) {
				return true
			}
		case *Assign:
			if anyExpr(s.Left, isCT) {
				return true
			}
		case *SetStmt:
			if anyExpr(s.Key, isCT) {
				return true
			}
			for _, x := range s.Stmts {
				if _, ok := x.(*CtCount); ok {
					return true
				}
			}
		}
	}
	return false
}

// testsFragments reports whether a rule looks at fragmentation: the IPv4
// fragment offset and flags, the IPv6 fragment header.
func testsFragments(r *Rule) bool {
	isFrag := func(e Expr) bool {
		switch v := e.(type) {
		case *Payload:
			return v.Field == desc.IPFragOff || v.Field.Proto == desc.Frag
		case *Exthdr:
			return v.Hdr == desc.Frag
		}
		return false
	}
	for _, st := range r.Stmts {
		if m, ok := st.(*Match); ok && anyExpr(m.Left, isFrag) {
			return true
		}
	}
	return false
}

// inetDeclarations merges the parts' sets and objects by name: one of a
// name when both parts declare it alike (the kernel object it stands for,
// an ipset or an nfacct counter, is shared by the families), else one per
// family, renamed NAME_ip and NAME_ip6 in the declarations and the rules.
func (tr *translator) inetDeclarations(parts [2]*Table) ([]*Set, []*Object) {
	taken := map[string]bool{}
	for _, p := range parts {
		for _, s := range p.Sets {
			taken[s.Name] = true
		}
		for _, o := range p.Objects {
			taken[string(o.Kind)+" "+o.Name] = true
		}
	}
	free := func(prefix, base string) string {
		name := base
		for i := 2; taken[prefix+name]; i++ {
			name = base + "_" + strconv.Itoa(i)
		}
		taken[prefix+name] = true
		return name
	}
	renames := [2]renaming{{sets: map[string]string{}, objs: map[string]string{}}, {sets: map[string]string{}, objs: map[string]string{}}}
	var sets []*Set
	for _, p := range alignBy(parts[0].Sets, parts[1].Sets, func(s *Set) string { return s.Name }) {
		a, b := p[0], p[1]
		switch {
		case a == nil:
			sets = append(sets, b)
		case b == nil || sameDecl(a, b):
			sets = append(sets, a)
		default:
			for i, s := range []*Set{a, b} {
				cp := *s
				cp.Name = free("", s.Name+famSets[i].suffix())
				renames[i].sets[s.Name] = cp.Name
				sets = append(sets, &cp)
			}
			tr.warnf(a.Origin, "--layout inet: set %q is declared differently for the IPv4 rules and for the IPv6 rules (%s); each family gets its own: %q and %q",
				a.Name, b.Origin, renames[0].sets[a.Name], renames[1].sets[b.Name])
		}
	}
	var objs []*Object
	for _, p := range alignBy(parts[0].Objects, parts[1].Objects, func(o *Object) string { return string(o.Kind) + " " + o.Name }) {
		a, b := p[0], p[1]
		switch {
		case a == nil:
			objs = append(objs, b)
		case b == nil || sameDecl(a, b):
			objs = append(objs, a)
		default:
			for i, o := range []*Object{a, b} {
				cp := *o
				cp.Name = free(string(o.Kind)+" ", o.Name+famSets[i].suffix())
				renames[i].objs[o.Name] = cp.Name
				objs = append(objs, &cp)
			}
			tr.warnf(a.Origin, "--layout inet: %s %q is declared differently for the IPv4 rules and for the IPv6 rules (%s); each family gets its own: %q and %q",
				a.Kind, a.Name, b.Origin, renames[0].objs[a.Name], renames[1].objs[b.Name])
		}
	}
	for i, p := range parts {
		if len(renames[i].sets)+len(renames[i].objs) == 0 {
			continue
		}
		for _, c := range p.Chains {
			for j, r := range c.Rules {
				c.Rules[j] = renames[i].rule(r)
			}
		}
	}
	return sets, objs
}

// sameDecl reports whether two declarations (sets or objects) are the same
// but for where they came from.
func sameDecl[T Set | Object](a, b *T) bool {
	x, y := *a, *b
	reflect.ValueOf(&x).Elem().FieldByName("Origin").Set(reflect.ValueOf(parser.Pos{}))
	reflect.ValueOf(&y).Elem().FieldByName("Origin").Set(reflect.ValueOf(parser.Pos{}))
	return reflect.DeepEqual(x, y)
}

// renaming is the new names of one part's sets and objects.
type renaming struct{ sets, objs map[string]string }

// rule returns r with its references renamed (r itself when none is).
func (rn renaming) rule(r *Rule) *Rule {
	changed := false
	stmts := make([]Stmt, len(r.Stmts))
	for i, st := range r.Stmts {
		stmts[i] = rn.stmt(st)
		changed = changed || stmts[i] != st
	}
	if !changed {
		return r
	}
	cp := *r
	cp.Stmts = stmts
	return &cp
}

func (rn renaming) stmt(st Stmt) Stmt {
	switch s := st.(type) {
	case *Match:
		l, r := mapExpr(s.Left, rn.expr), mapExpr(s.Right, rn.expr)
		if l != s.Left || r != s.Right {
			return &Match{Left: l, Op: s.Op, Right: r}
		}
	case *SetStmt:
		if n, ok := rn.sets[s.Set]; ok {
			cp := *s
			cp.Set = n
			return &cp
		}
	case *Counter:
		if n, ok := rn.objs[s.Name]; ok && s.Name != "" {
			return &Counter{Packets: s.Packets, Bytes: s.Bytes, Name: n}
		}
	case *ObjRef:
		if n, ok := rn.objs[s.Name]; ok {
			return &ObjRef{Kind: s.Kind, Name: n}
		}
	}
	return st
}

func (rn renaming) expr(e Expr) Expr {
	if r, ok := e.(*SetRef); ok {
		if n, ok := rn.sets[r.Name]; ok {
			return &SetRef{Name: n}
		}
	}
	return e
}

// mapExpr returns e with f applied to it and to every expression in it,
// innermost first, copying only what changes.
func mapExpr(e Expr, f func(Expr) Expr) Expr {
	switch v := e.(type) {
	case *Binop:
		l, r := mapExpr(v.Left, f), mapExpr(v.Right, f)
		if l != v.Left || r != v.Right {
			e = &Binop{Op: v.Op, Left: l, Right: r}
		}
	case *Concat:
		if xs, ok := mapExprs(v.Exprs, f); ok {
			e = &Concat{Exprs: xs}
		}
	case *SetLit:
		if xs, ok := mapExprs(v.Elems, f); ok {
			e = &SetLit{Elems: xs}
		}
	}
	if e == nil {
		return nil
	}
	return f(e)
}

func mapExprs(xs []Expr, f func(Expr) Expr) ([]Expr, bool) {
	out := make([]Expr, len(xs))
	changed := false
	for i, x := range xs {
		out[i] = mapExpr(x, f)
		changed = changed || out[i] != x
	}
	return out, changed
}

// inetChains merges the parts' chains by name: base chains with their
// policies resolved, rules aligned.
func (tr *translator) inetChains(parts [2]*Table) []*inetChain {
	taken := map[string]bool{}
	for _, p := range parts {
		for _, c := range p.Chains {
			taken[c.Name] = true
		}
	}
	var out []*inetChain
	keys := newRuleKeys()
	for _, p := range alignBy(parts[0].Chains, parts[1].Chains, func(c *Chain) string { return c.Name }) {
		ic := &inetChain{}
		if a, b := p[0], p[1]; a != nil && b != nil && (a.Base == nil) != (b.Base == nil) ||
			a != nil && b != nil && a.Base != nil && (a.Base.Type != b.Base.Type || a.Base.Hook != b.Base.Hook || a.Base.Priority != b.Base.Priority) {
			panic(fmt.Sprintf("programming error: inet: the IPv4 and IPv6 chains %s are different kinds of chains", a.Name))
		}
		var rules [2][]*Rule
		for i, c := range p {
			if c == nil {
				continue
			}
			ic.from |= famSets[i]
			rules[i] = c.Rules
			if ic.c == nil {
				ic.c = &Chain{Name: c.Name, Comment: c.Comment}
			}
			if c.Base != nil && ic.c.Base == nil {
				b := *c.Base
				ic.c.Base = &b
			}
		}
		if ic.c.Base != nil {
			ic.reach = famBoth
			if tr.inetGate(ic, p, rules) {
				out = append(out, ic)
				continue
			}
			var extra []*inetChain
			rules, extra = tr.inetPolicy(ic.c, p, rules, taken)
			out = append(out, extra...)
		}
		ic.rules = mergeRules(rules[0], rules[1], keys)
		out = append(out, ic)
	}
	return out
}

// inetGate lays out a base chain only one family has rules in (F; the other,
// E, has none, or not the chain): it gets F's policy, and a first rule
// "meta nfproto E counter POLICY" gives E's packets E's policy (with its
// counters), so that F's rules after it are met by F's packets only and are
// written without a family test. Not needed, and not made, when the
// policies agree and every rule of F tests its family anyway; nor when
// both families have rules (inetPolicy). It reports whether it laid out
// the chain.
func (tr *translator) inetGate(ic *inetChain, p [2]*Chain, rules [2][]*Rule) bool {
	pol := [2]string{"accept", "accept"}
	for i, c := range p {
		if c != nil {
			pol[i] = c.Base.Policy
		}
	}
	e := -1
	switch {
	case len(rules[0]) == 0 && len(rules[1]) == 0:
		if pol[0] == pol[1] {
			return false
		}
		e = 1
	case len(rules[1]) == 0:
		e = 1
	case len(rules[0]) == 0:
		e = 0
	default:
		return false
	}
	f := 1 - e
	if pol[e] == pol[f] {
		needed := false
		for _, r := range rules[f] {
			needed = needed || r.Disabled == "" && !impliesFamily(r.Stmts, famSets[f])
		}
		if !needed {
			return false
		}
	}
	ic.c.Base.Policy = pol[f]
	ctr := &Counter{}
	var origin parser.Pos
	if pc := tr.basePolicy[p[e]]; pc != nil {
		origin = pc.Pos
		if pc.Counters != nil && tr.opt.Counters {
			ctr.Packets, ctr.Bytes = pc.Counters.Packets, pc.Counters.Bytes
		}
	}
	gate := &Rule{Origin: origin, Stmts: []Stmt{
		&Match{Left: &Meta{Key: desc.MetaNfproto}, Op: OpEq, Right: &Sym{Name: famSets[e].nfproto()}},
		ctr, &Verdict{Kind: VerdictKind(pol[e])}}}
	ic.rules = []inetRule{{gate, famSets[e]}}
	for _, r := range rules[f] {
		ic.rules = append(ic.rules, inetRule{r, famSets[f]})
	}
	if pc := tr.basePolicy[p[f]]; pc != nil {
		if r := tr.policyCounter(pc); r != nil {
			ic.rules = append(ic.rules, inetRule{r, famSets[f]})
		}
	}
	ic.gate = famSets[e]
	return true
}

// inetPolicy resolves a base chain's policy: the families' own (accept for
// a family without the chain) when they agree, else accept, with the
// dropping family's rules ending in "counter drop" and, in them, return
// made drop and goto X made a jump to a chain that jumps to X and drops
// (both reach the policy in iptables; in the inet chain they would reach
// accept). It returns the families' rules and the chains it made.
func (tr *translator) inetPolicy(ch *Chain, p [2]*Chain, rules [2][]*Rule, taken map[string]bool) ([2][]*Rule, []*inetChain) {
	pol := [2]string{"accept", "accept"}
	for i, c := range p {
		if c != nil {
			pol[i] = c.Base.Policy
		}
	}
	ch.Base.Policy = pol[0]
	if pol[0] == pol[1] {
		// Each family's policy counters, in a last rule of its own (one
		// rule for both, with their sum, when both have them).
		for i, c := range p {
			if pc := tr.basePolicy[c]; pc != nil {
				if r := tr.policyCounter(pc); r != nil {
					rules[i] = append(rules[i][:len(rules[i]):len(rules[i])], r)
				}
			}
		}
		return rules, nil
	}
	ch.Base.Policy = "accept"
	i := 0
	if pol[1] != "accept" {
		i = 1
	}
	drop := &Verdict{Kind: VerdictDrop}
	var made []*inetChain
	wrappers := map[string]string{}
	var out []*Rule
	for _, r := range rules[i] {
		if r.Disabled != "" {
			out = append(out, r)
			continue
		}
		stmts := make([]Stmt, len(r.Stmts))
		copy(stmts, r.Stmts)
		changed := false
		for j, st := range stmts {
			v, ok := st.(*Verdict)
			switch {
			case !ok:
			case v.Kind == VerdictReturn:
				stmts[j], changed = drop, true
			case v.Kind == VerdictGoto:
				w, ok := wrappers[v.Chain]
				if !ok {
					w = v.Chain + "_then_drop"
					for n := 2; taken[w]; n++ {
						w = fmt.Sprintf("%s_then_drop_%d", v.Chain, n)
					}
					taken[w], wrappers[v.Chain] = true, w
					made = append(made, &inetChain{from: famSets[i],
						c: &Chain{Name: w, Comment: fmt.Sprintf("xt2nft: goto %s from %s, whose %s policy is drop", v.Chain, ch.Name, famSets[i])},
						rules: []inetRule{
							{&Rule{Origin: r.Origin, Stmts: []Stmt{&Verdict{Kind: VerdictJump, Chain: v.Chain}}}, famSets[i]},
							{&Rule{Origin: r.Origin, Stmts: []Stmt{&Counter{}, drop}}, famSets[i]},
						}})
				}
				stmts[j], changed = &Verdict{Kind: VerdictJump, Chain: w}, true
			}
		}
		if changed {
			cp := *r
			cp.Stmts = stmts
			r = &cp
		}
		out = append(out, r)
	}
	ctr := &Counter{}
	pc := tr.basePolicy[p[i]]
	if pc != nil && pc.Counters != nil && tr.opt.Counters {
		ctr.Packets, ctr.Bytes = pc.Counters.Packets, pc.Counters.Bytes
	}
	var origin parser.Pos
	if pc != nil {
		origin = pc.Pos
	}
	out = append(out, &Rule{Origin: origin, Stmts: []Stmt{ctr, drop}})
	rules[i] = out
	if pc := tr.basePolicy[p[1-i]]; pc != nil {
		if r := tr.policyCounter(pc); r != nil {
			rules[1-i] = append(rules[1-i][:len(rules[1-i]):len(rules[1-i])], r)
		}
	}
	return rules, made
}

// mergeRules aligns two families' rules of a chain: a rule both have is
// written once, for both, with the sum of their counters; the others keep
// their order among their family's rules (each family's run of rules
// between two shared ones is written before the next shared one, the IPv4
// run first).
func mergeRules(a, b []*Rule, keys *ruleKeys) []inetRule {
	ka, kb := keys.all(a), keys.all(b)
	var out []inetRule
	i, j := 0, 0
	for _, p := range lcsPairs(ka, kb) {
		for ; i < p[0]; i++ {
			out = append(out, inetRule{a[i], fam4})
		}
		for ; j < p[1]; j++ {
			out = append(out, inetRule{b[j], fam6})
		}
		out = append(out, inetRule{sumCounters(a[i], b[j]), famBoth})
		i, j = i+1, j+1
	}
	for ; i < len(a); i++ {
		out = append(out, inetRule{a[i], fam4})
	}
	for ; j < len(b); j++ {
		out = append(out, inetRule{b[j], fam6})
	}
	return out
}

// sumCounters is a rule both families have, with their counters added; it
// stands for both iptables rules (Origins: the IPv4 one, then the IPv6 one).
func sumCounters(a, b *Rule) *Rule {
	cp := *a
	cp.Origins = append(append([]parser.Pos(nil), a.AllOrigins()...), b.AllOrigins()...)
	cp.Stmts = make([]Stmt, len(a.Stmts))
	for i, st := range a.Stmts {
		cp.Stmts[i] = st
		if x, ok := st.(*Counter); ok && x.Name == "" {
			if y, ok := b.Stmts[i].(*Counter); ok {
				sum := *x // the rule's own counter stays one (Counter.Rule)
				sum.Packets, sum.Bytes = x.Packets+y.Packets, x.Bytes+y.Bytes
				cp.Stmts[i] = &sum
			}
		}
	}
	return &cp
}

// ruleKeys renders rules as the text nft reads (counters as "counter"),
// the identity by which two families' rules are one.
type ruleKeys struct {
	buf bytes.Buffer
	p   printer
}

func newRuleKeys() *ruleKeys {
	k := &ruleKeys{}
	k.p.w = bufio.NewWriterSize(&k.buf, 512)
	return k
}

// all returns the rules' keys; "" for a rule no other rule can stand for
// (a disabled rule, a rule with state of its own).
func (k *ruleKeys) all(rules []*Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		if r.Disabled != "" || ownState(r) {
			continue
		}
		k.buf.Reset()
		for j, st := range r.Stmts {
			if c, ok := st.(*Counter); ok && c.Name == "" {
				st = &Counter{}
			}
			if j > 0 {
				k.p.s(" ")
			}
			k.p.stmt(st)
		}
		k.p.s("\x00" + r.Comment)
		k.p.w.Flush()
		out[i] = k.buf.String()
	}
	return out
}

// ownState reports whether the rule keeps state of its own, which two
// rules, one per family, keep apart: a token bucket (limit), a byte count
// (quota), a packet count (numgen inc, -m statistic --mode nth). A set's
// state is the set's, and shared whenever the set is.
func ownState(r *Rule) bool {
	for _, st := range r.Stmts {
		switch s := st.(type) {
		case *Limit, *Quota:
			return true
		case *Match:
			if anyExpr(s.Left, isNumgenInc) || anyExpr(s.Right, isNumgenInc) {
				return true
			}
		}
	}
	return false
}

func isNumgenInc(e Expr) bool {
	n, ok := e.(*Numgen)
	return ok && n.Mode == "inc"
}

// anyExpr reports whether f holds for e or an expression in it.
func anyExpr(e Expr, f func(Expr) bool) bool {
	if e == nil {
		return false
	}
	if f(e) {
		return true
	}
	switch v := e.(type) {
	case *Binop:
		return anyExpr(v.Left, f) || anyExpr(v.Right, f)
	case *Concat:
		for _, x := range v.Exprs {
			if anyExpr(x, f) {
				return true
			}
		}
	case *SetLit:
		for _, x := range v.Elems {
			if anyExpr(x, f) {
				return true
			}
		}
	case *Hash:
		return anyExpr(v.Expr, f)
	case *Range:
		return anyExpr(v.Lo, f) || anyExpr(v.Hi, f)
	}
	return false
}

// inetReach computes the families whose packets enter each chain: both
// for base chains, and for a chain a rule jumps or goes to, the families
// the rule is for among those that enter its chain.
func inetReach(chains []*inetChain) {
	byName := make(map[string]*inetChain, len(chains))
	var work []*inetChain
	for _, ic := range chains {
		byName[ic.c.Name] = ic
		if ic.reach != 0 {
			work = append(work, ic)
		}
	}
	for len(work) > 0 {
		ic := work[len(work)-1]
		work = work[:len(work)-1]
		for _, ir := range ic.rules {
			f := ir.fam & ic.reach
			if f == 0 || ir.r.Disabled != "" {
				continue
			}
			for _, st := range ir.r.Stmts {
				v, ok := st.(*Verdict)
				if !ok || v.Chain == "" {
					continue
				}
				if t := byName[v.Chain]; t != nil && t.reach|f != t.reach {
					t.reach |= f
					work = append(work, t)
				}
			}
		}
	}
}

// needsFamily reports whether nft makes the rule test its family whatever
// chain it is in: a reject with an ICMP or ICMPv6 type, which nft 1.0.6
// makes depend on "meta nfproto" at the start of the rule. Written out, the
// test is where nft puts it, and the netlink lowering has it too.
func needsFamily(r *Rule) bool {
	for _, st := range r.Stmts {
		if rj, ok := st.(*Reject); ok && (rj.Kind == RejectICMP || rj.Kind == RejectICMPv6) {
			return true
		}
	}
	return false
}

// qualify returns r tested for family f: "meta nfproto f" first, unless the
// rule already makes nft test the family before any statement with an
// effect (impliesFamily). After "meta l4proto icmp" (ipv6-icmp for IPv6)
// it goes after that match instead: nft 1.0.6 lists "meta nfproto ipv4
// meta l4proto icmp" without the family test, and reloads it without.
func qualify(r *Rule, f famSet) *Rule {
	if impliesFamily(r.Stmts, f) {
		return r
	}
	at := 0
	for i, st := range r.Stmts {
		m, ok := st.(*Match)
		if !ok {
			break
		}
		if isL4protoICMP(m, f) {
			at = i + 1
			break
		}
	}
	cp := *r
	cp.Stmts = make([]Stmt, 0, len(r.Stmts)+1)
	cp.Stmts = append(cp.Stmts, r.Stmts[:at]...)
	cp.Stmts = append(cp.Stmts, &Match{Left: &Meta{Key: desc.MetaNfproto}, Op: OpEq, Right: &Sym{Name: f.nfproto()}})
	cp.Stmts = append(cp.Stmts, r.Stmts[at:]...)
	return &cp
}

// icmpProto is the ICMP protocol of a family.
func icmpProto(f famSet) *desc.Proto {
	if f == fam6 {
		return desc.ICMPv6
	}
	return desc.ICMP
}

// isL4protoICMP reports whether m is "meta l4proto icmp" (f IPv4) or
// "meta l4proto ipv6-icmp" (f IPv6).
func isL4protoICMP(m *Match, f famSet) bool {
	n, ok := l4protoEq(m)
	return ok && n == uint64(icmpProto(f).Number)
}

// l4protoEq returns N of a match "meta l4proto N".
func l4protoEq(m *Match) (uint64, bool) {
	if mk, ok := m.Left.(*Meta); !ok || mk.Key != desc.MetaL4proto || m.Op != OpEq && m.Op != "" {
		return 0, false
	}
	switch v := m.Right.(type) {
	case *Int:
		return v.V, true
	case *Sym:
		return desc.InetProto.Symbol(v.Name)
	}
	return 0, false
}

// impliesFamily reports whether nft tests family f in a rule of these
// statements before any statement with an effect: it adds "meta nfproto"
// before a network header field, an IPv6 extension header, and an ICMP or
// ICMPv6 field whose protocol the rule has not matched yet ("meta l4proto
// icmp" makes nft add only the protocol test).
func impliesFamily(stmts []Stmt, f famSet) bool {
	var l4 uint64 = 256 // none yet
	for _, st := range stmts {
		m, ok := st.(*Match)
		if !ok {
			return false
		}
		if mk, ok := m.Left.(*Meta); ok && mk.Key == desc.MetaNfproto {
			s, ok := m.Right.(*Sym)
			return ok && (m.Op == OpEq || m.Op == "") && s.Name == f.nfproto()
		}
		if anyExpr(m.Left, func(e Expr) bool { return loadsFamily(e, f, l4) }) {
			return true
		}
		if n, ok := l4protoEq(m); ok {
			l4 = n
		}
	}
	return false
}

// loadsFamily reports whether nft makes the load e depend on family f.
func loadsFamily(e Expr, f famSet, l4 uint64) bool {
	var p *desc.Proto
	switch v := e.(type) {
	case *Payload:
		p = v.Field.Proto
	case *Exthdr:
		p = v.Hdr
	default:
		return false
	}
	switch {
	case p.Kind == desc.IPv6Ext:
		return f == fam6
	case p.Kind != desc.Payload:
		return false
	case p.Base == desc.NetworkHeader:
		return p.NFProto == nfprotoOf(f)
	case p.Base == desc.TransportHeader:
		return p.Implied && p.NFProto == nfprotoOf(f) && l4 != uint64(p.Number)
	}
	return false
}

func nfprotoOf(f famSet) uint8 {
	if f == fam6 {
		return desc.NFProtoIPv6
	}
	return desc.NFProtoIPv4
}

// alignBy pairs two lists of named things by name (each name at most once
// in a list): a's order, each thing of a with b's of the same name (or
// nil), and b's others, in b's order, after the thing of b before them
// that a has too (those before any such: before the first, or after all of
// a when a has none of b's).
func alignBy[T comparable](a, b []T, name func(T) string) [][2]T {
	var zero T
	at := make(map[string]int, len(a))
	for i, x := range a {
		at[name(x)] = i
	}
	pair := make([]T, len(a))
	after := make([][]T, len(a)) // b's own after a[i]
	var lead []T                 // b's own before any shared
	first, last := len(a), -1
	for _, y := range b {
		if i, ok := at[name(y)]; ok {
			pair[i], last = y, i
			first = min(first, i)
			continue
		}
		if last < 0 {
			lead = append(lead, y)
		} else {
			after[last] = append(after[last], y)
		}
	}
	var out [][2]T
	for i, x := range a {
		if i == first {
			for _, y := range lead {
				out = append(out, [2]T{zero, y})
			}
		}
		out = append(out, [2]T{x, pair[i]})
		for _, y := range after[i] {
			out = append(out, [2]T{zero, y})
		}
	}
	if first == len(a) {
		for _, y := range lead {
			out = append(out, [2]T{zero, y})
		}
	}
	return out
}
