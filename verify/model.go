package verify

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
	"github.com/xt2nft/xt2nft/verify/mutate"
	"github.com/xt2nft/xt2nft/verify/probe"
)

// model is a ruleset as verify probes it: every iptables rule with the
// nft rules it became (mapped back through their Origin positions), and
// the paths from base chains to every chain.
type model struct {
	dump  *parser.Dump
	ir    *translate.Ruleset
	rules []*rule
	byPos map[parser.Pos]*rule
	// chains of the IR by table and name; jumps into each chain.
	chains map[chainRef]*translate.Chain
	tables map[chainRef]*translate.Table
	jumps  map[chainRef][]jump
	// randomNAT are the rules whose NAT picks ports at random.
	randomNAT map[*rule]bool
	// chance are the rules whose matching depends on chance or on the
	// CPU that runs the packet (meta random, numgen random, meta cpu):
	// the two labs may disagree on them without a difference in the
	// translation.
	chance map[*rule]string
	// stateful are the rules whose matching depends on the packets before
	// (nth, limits, quotas, recent lists, meters, connection counts).
	stateful map[*rule]bool
	// twins are, in an inet table (--layout inet), the IPv6 rules that
	// share one nft rule with an IPv4 rule (their twin): probed through
	// it, and counted with it, as its counter counts both families.
	twins map[*rule]*rule
	// focus, when set, says which rules probes are made for (a variant's,
	// variant.go); nil: every rule.
	focus func(*rule) bool
	// byFamily are the inet tables' views by family (familyTable).
	byFamily map[familyKey]*familyView
}

// probed reports whether probes are made for r.
func (m *model) probed(r *rule) bool { return m.focus == nil || m.focus(r) }

// rule is one iptables rule.
type rule struct {
	src   *parser.Rule
	fam   parser.Family
	table string
	chain string
	index int // in its chain
	// kernel is how many kernel rules iptables-restore makes of it
	// (-s a,b and -d c,d multiply).
	kernel int
	// entry is the first nft rule it became (in its own chain); nft the
	// nft rules whose rule counter counts it.
	entry    *translate.Rule
	entryRef chainRef
	nft      []*translate.Rule
	// targets are what probes are made for: one per hook the rule's
	// chain is reachable from.
	targets []*probe.Target
	// unprobed says why a condition of the rule is beyond probes.
	unprobed []string
}

// chainRef names an nft chain (or, with chain empty, a table).
type chainRef struct {
	fam   translate.Family
	table string
	chain string
}

// jump is a rule that jumps (or goes) to a chain.
type jump struct {
	from chainRef
	rule *translate.Rule
}

func (r *rule) String() string { return r.src.Pos.String() }

// text is the rule as written, for reports.
func (r *rule) text() string { return r.src.Text }

// location is FILE:LINE.
func (r *rule) location() string {
	return fmt.Sprintf("%s:%d", r.src.Pos.File, r.src.Pos.Line)
}

func newModel(d *parser.Dump, ir *translate.Ruleset) (*model, error) {
	m := &model{dump: d, ir: ir, byPos: map[parser.Pos]*rule{}, chains: map[chainRef]*translate.Chain{},
		tables: map[chainRef]*translate.Table{}, jumps: map[chainRef][]jump{}, randomNAT: map[*rule]bool{}, chance: map[*rule]string{}, stateful: map[*rule]bool{}, twins: map[*rule]*rule{}}
	for _, t := range d.Tables {
		for _, c := range t.Chains {
			for i, r := range c.Rules {
				x := &rule{src: r, fam: t.Family, table: t.Name, chain: c.Name, index: i, kernel: expansion(r)}
				m.rules = append(m.rules, x)
				m.byPos[r.Pos] = x
			}
		}
	}
	for _, t := range ir.Tables {
		m.tables[chainRef{t.Family, t.Name, ""}] = t
		for _, c := range t.Chains {
			ref := chainRef{t.Family, t.Name, c.Name}
			m.chains[ref] = c
			for _, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				if x := m.byPos[r.Origin]; x != nil {
					if x.entry == nil {
						x.entry, x.entryRef = r, ref
					}
					if ruleCounter(r) >= 0 {
						x.nft = append(x.nft, r)
					}
				}
				if origins := r.AllOrigins(); ref.fam == translate.FamilyInet && len(origins) == 2 {
					if x4, x6 := m.byPos[origins[0]], m.byPos[origins[1]]; x4 != nil && x6 != nil && x4.fam != x6.fam {
						m.twins[x6] = x4
						if x6.entry == nil {
							x6.entry, x6.entryRef = r, ref
						}
					}
				}
				if x := m.byPos[r.Origin]; x != nil && randomNAT(r) {
					m.randomNAT[x] = true
				}
				if x := m.byPos[r.Origin]; x != nil {
					if why := chance(r); why != "" {
						m.chance[x] = why
					}
					if stateful(r) {
						m.stateful[x] = true
					}
				}
				if v := verdictOf(r); v != nil && (v.Kind == translate.VerdictJump || v.Kind == translate.VerdictGoto) {
					to := chainRef{t.Family, t.Name, v.Chain}
					m.jumps[to] = append(m.jumps[to], jump{from: ref, rule: r})
				}
			}
		}
	}
	m.byFamily = map[familyKey]*familyView{}
	for _, t := range ir.Tables {
		if t.Family == translate.FamilyInet {
			for _, v6 := range []bool{false, true} {
				m.byFamily[familyKey{t, v6}] = m.familyTable(t, v6)
			}
		}
	}
	return m, nil
}

// expansion is the number of kernel rules iptables-restore makes of r:
// one per source and destination address of comma-separated lists.
func expansion(r *parser.Rule) int {
	n := 1
	for _, name := range []string{"source", "destination"} {
		if o := r.BaseOpt(name); o != nil {
			n *= len(strings.Split(o.Arg(0), ","))
		}
	}
	return n
}

// ruleCounter is the index of the rule counter among r's top-level
// counters, or -1.
func ruleCounter(r *translate.Rule) int {
	n := 0
	for _, s := range r.Stmts {
		if c, ok := s.(*translate.Counter); ok && c.Name == "" {
			if c.Rule {
				return n
			}
			n++
		}
	}
	return -1
}

// verdictOf returns r's verdict statement, if it has one.
func verdictOf(r *translate.Rule) *translate.Verdict {
	for _, s := range r.Stmts {
		if v, ok := s.(*translate.Verdict); ok {
			return v
		}
	}
	return nil
}

// v6 reports whether the nft rule r of chain ref reads IPv6 packets: its
// table's family, or in an inet table (--layout inet) the family of the
// iptables rule it came from (a rule both families share came from the
// IPv4 one, and reads both alike).
func (m *model) v6(ref chainRef, r *translate.Rule) bool {
	if ref.fam == translate.FamilyInet {
		x := m.byPos[r.Origin]
		return x != nil && x.fam == parser.IPv6
	}
	return ref.fam == translate.FamilyIP6
}

// base chains and the paths that pass their hooks.
var hookPaths = map[translate.Hook][]probe.Path{
	translate.HookPrerouting:  {probe.PathIn, probe.PathFwd, probe.PathLoop},
	translate.HookInput:       {probe.PathIn, probe.PathLoop},
	translate.HookForward:     {probe.PathFwd},
	translate.HookOutput:      {probe.PathOut, probe.PathLoop},
	translate.HookPostrouting: {probe.PathFwd, probe.PathOut, probe.PathLoop},
}

// chainPath is a way from a base chain to a chain: the base chain and the
// jump rules taken.
type chainPath struct {
	base  *translate.Chain
	jumps []*translate.Rule
}

// pathsTo finds, for every hook, the shortest way from a base chain of
// that hook to chain to (breadth first, each chain visited once) that a
// packet of the family (v6) can take: in an inet table (--layout inet) a
// chain both families use is often entered by one jump of each.
func (m *model) pathsTo(to chainRef, v6 bool) map[translate.Hook]chainPath {
	out := map[translate.Hook]chainPath{}
	type item struct {
		at    chainRef
		jumps []*translate.Rule // from to back towards the base
	}
	seen := map[chainRef]bool{to: true}
	queue := []item{{at: to}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if c := m.chains[it.at]; c != nil && c.Base != nil {
			if _, ok := out[c.Base.Hook]; !ok {
				js := make([]*translate.Rule, len(it.jumps))
				for i, j := range it.jumps {
					js[len(js)-1-i] = j
				}
				out[c.Base.Hook] = chainPath{base: c, jumps: js}
			}
		}
		for _, j := range m.jumps[it.at] {
			if !seen[j.from] && m.carries(j.from, j.rule, v6) {
				seen[j.from] = true
				queue = append(queue, item{at: j.from, jumps: append(append([]*translate.Rule(nil), it.jumps...), j.rule)})
			}
		}
	}
	return out
}

// carries reports whether the nft rule r of chain ref is one a packet of
// the family (v6) meets: in an inet table, a rule of that family's
// iptables rules, or of both, or one xt2nft made; elsewhere every rule.
func (m *model) carries(ref chainRef, r *translate.Rule, v6 bool) bool {
	if ref.fam != translate.FamilyInet {
		return true
	}
	for _, o := range r.AllOrigins() {
		if x := m.byPos[o]; x == nil || (x.fam == parser.IPv6) == v6 {
			return true
		}
	}
	return false
}

// conds reduces the match statements of r; what cannot be reduced becomes
// an opaque condition (no probe decides it) and is named in why.
func (m *model) conds(ref chainRef, r *translate.Rule, why *[]string) []*probe.Cond {
	t := m.tables[chainRef{ref.fam, ref.table, ""}]
	sets := func(name string) *translate.Set {
		for _, s := range t.Sets {
			if s.Name == name {
				return s
			}
		}
		return nil
	}
	var out []*probe.Cond
	for _, s := range r.Stmts {
		mt, ok := s.(*translate.Match)
		if !ok {
			continue
		}
		c, err := probe.CondOf(mt, m.v6(ref, r), sets)
		if err != nil {
			*why = append(*why, err.Error())
			c = probe.OpaqueCond(mt)
		}
		out = append(out, c)
	}
	return out
}

// buildTargets gives every rule its probe targets.
func (m *model) buildTargets() {
	type key struct {
		ref chainRef
		v6  bool
	}
	paths := map[key]map[translate.Hook]chainPath{}
	for _, r := range m.rules {
		if r.entry == nil {
			continue
		}
		k := key{r.entryRef, r.fam == parser.IPv6}
		ps, ok := paths[k]
		if !ok {
			ps = m.pathsTo(r.entryRef, k.v6)
			paths[k] = ps
		}
		own := m.conds(r.entryRef, r.entry, &r.unprobed)
		for _, h := range []translate.Hook{translate.HookPrerouting, translate.HookInput, translate.HookForward, translate.HookOutput, translate.HookPostrouting} {
			p, ok := ps[h]
			if !ok {
				continue
			}
			var pre []*probe.Cond
			var ignore []string
			var shadows [][]*probe.Cond
			chain := p.base
			for _, j := range p.jumps {
				pre = append(pre, m.conds(r.entryRef, j, &ignore)...)
				shadows = append(shadows, m.shadows(r.entryRef, chain, j)...)
				chain = m.chains[chainRef{r.entryRef.fam, r.entryRef.table, verdictOf(j).Chain}]
			}
			shadows = append(shadows, m.shadows(r.entryRef, m.chains[r.entryRef], r.entry)...)
			shadows = append(shadows, m.earlier(r.entryRef.fam, h, p.base.Base.Priority)...)
			r.targets = append(r.targets, &probe.Target{V6: r.fam == parser.IPv6, Hook: h, Paths: hookPaths[h], Pre: pre, Own: own, Shadows: shadows,
				Passes: m.passes(r.entryRef.fam, h), Inputs: m.inputs(r.entryRef, r.entry)})
		}
	}
}

// randomNAT reports whether r's NAT may pick ports at random: --random
// and --random-fully, and every source NAT (SNAT, MASQUERADE), whose
// kernel picks a new source port at random when the probe's clashes with
// another connection's (nf_nat_l4proto_unique_tuple).
func randomNAT(r *translate.Rule) bool {
	for _, s := range r.Stmts {
		if n, ok := s.(*translate.NAT); ok {
			if n.Kind == translate.SNAT || n.Kind == translate.Masquerade {
				return true
			}
			for _, f := range n.Flags {
				if f == "random" || f == "fully-random" {
					return true
				}
			}
		}
	}
	return false
}

// chance says what, in r, depends on chance, on the CPU, or on when to
// the millisecond a packet comes (a token bucket that refills more often
// than every 10 s, see fastLimit).
func chance(r *translate.Rule) string {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Match:
			left := x.Left
			for {
				b, ok := left.(*translate.Binop)
				if !ok {
					break
				}
				left = b.Left
			}
			switch k := left.(type) {
			case *translate.Meta:
				if k.Key == desc.MetaRandom || k.Key == desc.MetaCPU {
					return k.Key.String()
				}
			case *translate.Numgen:
				if k.Mode == "random" {
					return "numgen random"
				}
			}
		case *translate.Limit:
			if fastLimit(x) {
				return fmt.Sprintf("a limit of %d/%s", x.Rate, x.Unit)
			}
		case *translate.SetStmt:
			for _, in := range x.Stmts {
				if l, ok := in.(*translate.Limit); ok && fastLimit(l) {
					return fmt.Sprintf("a meter limit of %d/%s", l.Rate, l.Unit)
				}
			}
		}
	}
	return ""
}

// fastLimit reports whether a token bucket refills often enough that the
// two labs can disagree: xt_limit counts in jiffies (4 ms here), nft's
// limit in nanoseconds, and the labs see each packet a few milliseconds
// apart, so a packet near a refill can find a token in one lab and none in
// the other. Below one refill in 10 s that happens once in thousands of
// packets; above, often enough to show in a run.
func fastLimit(l *translate.Limit) bool {
	return l.Bytes || unitOf(l.Unit)/time.Duration(max(l.Rate, 1)) < 10*time.Second
}

// stateful reports whether r's matching depends on earlier packets.
func stateful(r *translate.Rule) bool {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Limit, *translate.Quota, *translate.SetStmt:
			return true
		case *translate.Match:
			if _, ok := x.Left.(*translate.Numgen); ok {
				return true
			}
			if _, ok := x.Right.(*translate.SetRef); ok {
				return true // dynamic or not: a set can change
			}
		}
	}
	return false
}

// shadows are the conditions of the rules of chain before rule upto that
// end a matching packet's way through the chain.
func (m *model) shadows(ref chainRef, chain *translate.Chain, upto *translate.Rule) [][]*probe.Cond {
	if chain == nil {
		return nil
	}
	var out [][]*probe.Cond
	var ignore []string
	for _, r := range chain.Rules {
		if r == upto {
			break
		}
		if r.Disabled == "" && m.terminal(ref, r) {
			out = append(out, m.conds(ref, r, &ignore))
		}
	}
	return out
}

// terminal reports whether a packet r matches goes no further in r's
// chain: a verdict that ends it, or a jump to a chain that ends every
// packet (mutate.EndsAll).
func (m *model) terminal(ref chainRef, r *translate.Rule) bool {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Verdict:
			switch x.Kind {
			case translate.VerdictContinue:
				return false
			case translate.VerdictJump:
				t := m.tables[chainRef{ref.fam, ref.table, ""}]
				return t != nil && mutate.EndsAll(t, x.Chain)
			}
			return true
		case *translate.Reject, *translate.NAT, *translate.Queue, *translate.Synproxy:
			return true
		}
	}
	return false
}

// unitOf is the length of a rate's period.
func unitOf(u translate.TimeUnit) time.Duration {
	switch u {
	case "minute":
		return time.Minute
	case "hour":
		return time.Hour
	case "day":
		return 24 * time.Hour
	case "week":
		return 7 * 24 * time.Hour
	}
	return time.Second
}

// hookOrder is the order in which the paths pass the hooks.
var hookOrder = map[translate.Hook]int{translate.HookPrerouting: 0, translate.HookOutput: 0, translate.HookInput: 1,
	translate.HookForward: 1, translate.HookPostrouting: 2}

// earlier are the conditions of the rules of other base chains a packet
// passes before reaching hook h at priority prio (earlier hooks, or the
// same hook at a lower priority) that end its way there or send it
// elsewhere: drop, reject, queue, DNAT and redirect.
func (m *model) earlier(fam translate.Family, h translate.Hook, prio int) [][]*probe.Cond {
	var out [][]*probe.Cond
	var ignore []string
	for ref, c := range m.chains {
		if ref.fam != fam || c.Base == nil || c.Base.Hook == translate.HookOutput && h != translate.HookOutput && h != translate.HookPostrouting {
			continue
		}
		b := c.Base
		before := hookOrder[b.Hook] < hookOrder[h] && !(b.Hook == translate.HookOutput && h == translate.HookInput) ||
			b.Hook == h && b.Priority < prio
		if !before {
			continue
		}
		for _, r := range c.Rules {
			if r.Disabled == "" && ends(r) {
				out = append(out, m.conds(ref, r, &ignore))
			}
		}
	}
	return out
}

// ends reports whether r ends a matching packet's way or sends it
// elsewhere (not an accept: a later hook still sees the packet).
func ends(r *translate.Rule) bool {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Verdict:
			return x.Kind == translate.VerdictDrop || x.Kind == translate.VerdictQueue
		case *translate.Reject, *translate.Queue:
			return true
		case *translate.NAT:
			return x.Kind == translate.DNAT || x.Kind == translate.Redirect
		}
	}
	return false
}

// passes are, for every base chain of an earlier hook whose policy drops,
// the conditions of its accept rules: a probe should meet one of them to
// get past it.
func (m *model) passes(fam translate.Family, h translate.Hook) [][][]*probe.Cond {
	var out [][][]*probe.Cond
	var ignore []string
	for ref, c := range m.chains {
		b := c.Base
		if ref.fam != fam || b == nil || b.Policy != "drop" || hookOrder[b.Hook] >= hookOrder[h] || b.Hook == translate.HookOutput {
			continue
		}
		var alts [][]*probe.Cond
		for _, r := range c.Rules {
			if v := verdictOf(r); r.Disabled == "" && v != nil && v.Kind == translate.VerdictAccept {
				alts = append(alts, m.conds(ref, r, &ignore))
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// inputs are the mark keys (packet and conntrack mark) the rule's
// statements read, or its helper chains test, with the values that show
// what they do with them: all ones, and every constant they use with the
// key and its complement.
func (m *model) inputs(ref chainRef, r *translate.Rule) map[probe.Key][]probe.Num {
	consts := map[probe.Key]map[uint64]bool{}
	reads := map[probe.Key]bool{}
	var walk func(e translate.Expr, k *probe.Key)
	walk = func(e translate.Expr, k *probe.Key) {
		switch x := e.(type) {
		case *translate.Meta:
			if x.Key == desc.MetaMark {
				mk := probe.MetaKey(desc.MetaMark)
				reads[mk] = true
				*k = mk
			}
		case *translate.CT:
			if x.Key == desc.CTMark && x.Dir == desc.CTAnyDir {
				ck := probe.CTKey(desc.CTMark)
				reads[ck] = true
				*k = ck
			}
		case *translate.Binop:
			walk(x.Left, k)
			if n, ok := x.Right.(*translate.Int); ok && k.Name != "" {
				if consts[*k] == nil {
					consts[*k] = map[uint64]bool{}
				}
				consts[*k][n.V] = true
			}
		}
	}
	seen := map[string]bool{}
	var visit func(r *translate.Rule)
	visit = func(r *translate.Rule) {
		for _, s := range r.Stmts {
			switch x := s.(type) {
			case *translate.Assign:
				var k probe.Key
				walk(x.Value, &k)
			case *translate.Match:
				var k probe.Key
				walk(x.Left, &k)
				if n, ok := x.Right.(*translate.Int); ok && k.Name != "" {
					if consts[k] == nil {
						consts[k] = map[uint64]bool{}
					}
					consts[k][n.V] = true
				}
			case *translate.Verdict:
				c := m.chains[chainRef{ref.fam, ref.table, x.Chain}]
				if x.Chain != "" && c != nil && !seen[x.Chain] && helperChain(c) {
					seen[x.Chain] = true
					for _, hr := range c.Rules {
						visit(hr)
					}
				}
			}
		}
	}
	visit(r)
	if len(reads) == 0 {
		return nil
	}
	out := map[probe.Key][]probe.Num{}
	for k := range reads {
		vals := []probe.Num{probe.N(0xffffffff)}
		var cs []uint64
		for v := range consts[k] {
			cs = append(cs, v)
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
		for _, v := range cs {
			if v != 0 && v != 0xffffffff {
				vals = append(vals, probe.N(v), probe.N(^v&0xffffffff))
			}
		}
		if len(vals) > 7 {
			vals = vals[:7]
		}
		out[k] = vals
	}
	return out
}

// helperChain reports whether c is one the translator made for a rule (no
// iptables rule of its own: its rules have no origin).
func helperChain(c *translate.Chain) bool {
	for _, r := range c.Rules {
		if r.Origin.Line != 0 {
			return false
		}
	}
	return c.Base == nil
}

// dead says why no packet can reach r, when the program shows it (its
// chain unreachable, an earlier rule taking every packet it matches). In
// an inet table (--layout inet) it asks the rules a packet of r's family
// meets (familyTable), as the default layout asks that family's table: a
// chain both families use may be reached by the other family's jumps
// only.
func (m *model) dead(r *rule) string {
	if r.entry == nil {
		return ""
	}
	t, c, entry := m.tables[chainRef{r.entryRef.fam, r.entryRef.table, ""}], m.chains[r.entryRef], r.entry
	if r.entryRef.fam == translate.FamilyInet {
		fv := m.byFamily[familyKey{t, r.fam == parser.IPv6}]
		t, c, entry = fv.t, fv.chains[c.Name], fv.of[entry]
	}
	for i, x := range c.Rules {
		if x == entry {
			return mutate.Dead(t, c, i)
		}
	}
	return ""
}

// familyTable is the inet table t as a packet of one family (v6) meets
// it: each chain with the rules that carry that family (carries), their
// test of that family (meta nfproto, which such a packet always passes)
// left out, as the family's own table would have them. newModel makes
// each inet table's two, before the model's users (some in parallel).
func (m *model) familyTable(t *translate.Table, v6 bool) *familyView {
	want := map[bool]string{false: "ipv4", true: "ipv6"}[v6]
	ft := *t
	ft.Chains = make([]*translate.Chain, len(t.Chains))
	fv := &familyView{t: &ft, chains: map[string]*translate.Chain{}, of: map[*translate.Rule]*translate.Rule{}}
	for i, c := range t.Chains {
		fc := *c
		fc.Rules = nil
		ref := chainRef{translate.FamilyInet, t.Name, c.Name}
		for _, x := range c.Rules {
			if !m.carries(ref, x, v6) {
				continue
			}
			y := x
			for j, st := range x.Stmts {
				if mt, ok := st.(*translate.Match); ok && isNfproto(mt, want) {
					cp := *x
					cp.Stmts = slices.Delete(slices.Clone(x.Stmts), j, j+1)
					y = &cp
					break
				}
			}
			fv.of[x] = y
			fc.Rules = append(fc.Rules, y)
		}
		ft.Chains[i] = &fc
		fv.chains[c.Name] = &fc
	}
	return fv
}

// isNfproto reports whether mt is "meta nfproto NAME".
func isNfproto(mt *translate.Match, name string) bool {
	k, ok := mt.Left.(*translate.Meta)
	s, ok2 := mt.Right.(*translate.Sym)
	return ok && ok2 && k.Key == desc.MetaNfproto && mt.Op == translate.OpEq && s.Name == name
}

type familyKey struct {
	t  *translate.Table
	v6 bool
}

// familyView is a familyTable: the table, its chains by name, and the
// rule of the view each rule of the inet table became.
type familyView struct {
	t      *translate.Table
	chains map[string]*translate.Chain
	of     map[*translate.Rule]*translate.Rule
}
