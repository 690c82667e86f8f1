//go:build linux

package verify

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
	"github.com/xt2nft/xt2nft/verify/mutate"
	"github.com/xt2nft/xt2nft/verify/probe"
)

// plan is what verify will send: the lab's interfaces and addresses, and
// every probe's exchange, each made for one rule.
type plan struct {
	ifaces   []string
	in, out  string // the neutral interfaces
	alloc    *probe.Alloc
	seqs     []*seq
	whyNot   map[*rule][]string
	byRule   map[*rule][]*seq
	patterns []string
	// note holds what the report should say about the plan.
	note []string
	gen  *probe.Gen
	// marks are the constant marks the rules set (packet and conntrack),
	// routed by fwmark in the lab.
	marks []uint32
	// conntrack: the rules untrack packets, so the labs run conntrack
	// (lab.Topology.Conntrack).
	conntrack bool
}

// seq is one probe's exchange.
type seq struct {
	rule  *rule
	probe *probe.Probe
	steps []probe.Step
	// also are other rules the probe is a hit probe of.
	also []*rule
	// randomNAT is set once a step met a NAT rule that picks ports at
	// random (randomPorts); only the goroutine sending the sequence
	// touches it.
	randomNAT bool
}

// limits of probe generation per condition.
const (
	missesPerCond = 2
	extraPerCond  = 1
)

func newPlan(m *model, maxWait time.Duration, sequences bool) (*plan, error) {
	p := &plan{whyNot: map[*rule][]string{}, byRule: map[*rule][]*seq{}}
	p.interfaces(m)
	p.marks = setMarks(m.ir)
	p.conntrack = untracks(m.ir)
	a, err := probe.NewAlloc(p.ifaces, p.out, mentioned(m.ir))
	if err != nil {
		return nil, err
	}
	p.alloc = a
	g := &probe.Gen{Ifaces: p.ifaces, In: p.in, Out: p.out, Alloc: a, Misses: missesPerCond, Extra: extraPerCond}
	p.gen = g
	seen := map[string]*seq{}
	for _, r := range m.rules {
		if !m.probed(r) {
			continue
		}
		// A rule no packet can reach gets its hits only (they test that
		// the rule that takes them does so on both sides); its misses
		// would be the same test again.
		dead := m.dead(r) != ""
		for _, t := range r.targets {
			ps, err := g.Probes(t)
			if err != nil {
				p.whyNot[r] = append(p.whyNot[r], fmt.Sprintf("%s: %v", t.Hook, err))
				continue
			}
			for _, pr := range ps {
				if dead && !pr.Hit {
					continue
				}
				key := pr.Spec.Key()
				if s := seen[key]; s != nil {
					if s.rule != r && pr.Hit {
						s.also = append(s.also, r) // the same probe serves both rules
					}
					continue
				}
				note := func(err error) {
					if pr.Kind == "hit" { // failed variants are not worth a reader's time
						p.whyNot[r] = append(p.whyNot[r], fmt.Sprintf("%s: %v", t.Hook, err))
					}
				}
				if err := a.Finish(pr.Spec); err != nil {
					note(err)
					continue
				}
				steps, err := probe.Realize(pr.Spec)
				if err != nil {
					note(err)
					continue
				}
				s := &seq{rule: r, probe: pr, steps: steps}
				seen[key] = s
				p.seqs = append(p.seqs, s)
				p.byRule[r] = append(p.byRule[r], s)
			}
		}
	}
	if sequences {
		p.stateful(m, g, maxWait)
	}
	return p, nil
}

// interfaces names the lab's links: every interface a rule names, one
// for every wildcard no named interface matches, and two neutral ones no
// rule matches (probes use them when no condition names one; the second
// is the uplink).
func (p *plan) interfaces(m *model) {
	var exact, wild []string
	have := map[string]bool{}
	forEachMatch(m.ir, func(_ *translate.Table, mt *translate.Match) {
		meta, ok := mt.Left.(*translate.Meta)
		if !ok || meta.Key != desc.MetaIifname && meta.Key != desc.MetaOifname {
			return
		}
		for _, n := range strs(mt.Right) {
			p.patterns = append(p.patterns, n)
			switch {
			case n == "" || n == "lo" || have[n]:
			case strings.HasSuffix(n, "*") && !strings.HasSuffix(n, `\*`):
				wild = append(wild, n)
			case len(n) <= 15 && !strings.ContainsAny(n, " /*\\"):
				have[n] = true
				exact = append(exact, n)
			}
		}
	})
	sort.Strings(exact)
	p.ifaces = exact
	sort.Strings(wild)
	for _, w := range wild {
		covered := false
		for _, n := range p.ifaces {
			covered = covered || probe.NameMatches(w, n)
		}
		if covered {
			continue
		}
		base := strings.TrimSuffix(w, "*")
		for _, suf := range []string{"0", "9", "x0"} {
			if n := base + suf; len(n) <= 15 && !have[n] {
				have[n] = true
				p.ifaces = append(p.ifaces, n)
				break
			}
		}
	}
	var neutral []string
	for i := 0; len(neutral) < 2 && i < 100; i++ {
		n := fmt.Sprintf("vfy%d", i)
		matched := have[n]
		for _, pat := range p.patterns {
			matched = matched || probe.NameMatches(pat, n)
		}
		if !matched {
			neutral = append(neutral, n)
		}
	}
	p.in, p.out = neutral[0], neutral[1]
	p.ifaces = append(p.ifaces, p.in, p.out)
}

// strs are the string constants of an expression (a name or a set of names).
func strs(e translate.Expr) []string {
	switch x := e.(type) {
	case *translate.Str:
		return []string{x.V}
	case *translate.SetLit:
		var out []string
		for _, el := range x.Elems {
			out = append(out, strs(el)...)
		}
		return out
	}
	return nil
}

// forEachMatch calls fn for every match statement of the ruleset.
func forEachMatch(rs *translate.Ruleset, fn func(*translate.Table, *translate.Match)) {
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				for _, s := range r.Stmts {
					if m, ok := s.(*translate.Match); ok {
						fn(t, m)
					}
				}
			}
		}
	}
}

// mentioned are the spans of every address constant of the ruleset (in
// matches, sets, NAT and dup statements), per family: the lab's own
// addresses stay clear of them.
func mentioned(rs *translate.Ruleset) [2]probe.Spans {
	var out [2]probe.Spans
	add := func(p netip.Prefix) {
		if p.Bits() == 0 {
			return
		}
		f := 0
		if p.Addr().Is6() {
			f = 1
		}
		out[f] = append(out[f], probe.PrefixSpan(p))
	}
	var walk func(e translate.Expr)
	walk = func(e translate.Expr) {
		switch x := e.(type) {
		case *translate.Addr:
			add(x.Prefix)
		case *translate.Range:
			lo, ok1 := x.Lo.(*translate.Addr)
			hi, ok2 := x.Hi.(*translate.Addr)
			if ok1 && ok2 && lo.Prefix.Addr().Is4() == hi.Prefix.Addr().Is4() {
				f := 0
				if lo.Prefix.Addr().Is6() {
					f = 1
				}
				out[f] = append(out[f], probe.Span{Lo: probe.AddrNum(lo.Prefix.Addr()), Hi: probe.AddrNum(hi.Prefix.Addr())})
			}
		case *translate.SetLit:
			for _, el := range x.Elems {
				walk(el)
			}
		case *translate.Concat:
			for _, el := range x.Exprs {
				walk(el)
			}
		case *translate.Binop:
			walk(x.Right)
		}
	}
	for _, t := range rs.Tables {
		for _, s := range t.Sets {
			for _, el := range s.Elems {
				walk(el)
			}
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, s := range r.Stmts {
					switch x := s.(type) {
					case *translate.Match:
						walk(x.Right)
					case *translate.NAT:
						walk(x.Addr)
					case *translate.Dup:
						walk(x.Addr)
					case *translate.Tproxy:
						walk(x.Addr)
					}
				}
			}
		}
	}
	out[0], out[1] = out[0].Norm(), out[1].Norm()
	return out
}

// round2 makes the probes of a second round from what the first showed:
// for a rule reached only by a probe on another path than its first, or
// by another rule's probe, the boundary variants around the probe that
// reached it; for a rule nothing reached, its hit with other protocols
// (when it tests none).
func (p *plan) round2(m *model, reached map[*rule]bool, by map[*rule]*seq) []*seq {
	var out []*seq
	add := func(r *rule, pr *probe.Probe) {
		if err := p.alloc.Finish(pr.Spec); err != nil {
			return
		}
		steps, err := probe.Realize(pr.Spec)
		if err != nil {
			return
		}
		s := &seq{rule: r, probe: pr, steps: steps}
		out = append(out, s)
		p.byRule[r] = append(p.byRule[r], s)
	}
	for _, r := range m.rules {
		if !m.probed(r) {
			continue
		}
		s := by[r]
		switch {
		case reached[r] && s != nil && (s.rule != r || strings.HasPrefix(s.probe.Kind, "path: ")) && len(s.steps) == 1:
			for _, t := range r.targets {
				for _, pr := range p.gen.Around(t, s.steps[0].Spec) {
					pr.Kind = "round 2: " + pr.Kind
					add(r, pr)
				}
				break
			}
		case !reached[r]:
			for _, t := range r.targets {
				for _, proto := range []uint64{6, 17, 1} {
					if t.V6 && proto == 1 {
						proto = 58
					}
					s, err := p.gen.Hit(t, map[probe.Key]probe.Num{probe.MetaKey(desc.MetaL4proto): probe.N(proto)})
					if err != nil {
						continue
					}
					variants := append(p.gen.Around(t, s), p.gen.OnLinks(t, s)...)
					add(r, &probe.Probe{Spec: s, Kind: "round 2: hit with another protocol", Hit: true})
					for _, v := range variants {
						v.Kind = "round 2: " + v.Kind
						add(r, v)
					}
				}
			}
		}
	}
	return out
}

// untracks reports whether a rule exempts packets from conntrack.
func untracks(rs *translate.Ruleset) bool {
	return slices.ContainsFunc(rs.Tables, mutate.Notracks)
}

// maxMarkRoutes bounds the marks routed by fwmark in a lab.
const maxMarkRoutes = 8

// setMarks are the constant values the rules give the packet or conntrack
// mark (meta mark set 0x3, ct mark set 0x42), at most maxMarkRoutes.
func setMarks(rs *translate.Ruleset) (out []uint32) {
	seen := map[uint32]bool{}
	defer func() {
		// Then the marks rules test (probes come with them preset): a
		// route chain that changes one re-routes the packet.
		forEachMatch(rs, func(_ *translate.Table, m *translate.Match) {
			meta, ok := m.Left.(*translate.Meta)
			n, isInt := m.Right.(*translate.Int)
			if ok && isInt && meta.Key == desc.MetaMark && n.V != 0 && n.V <= 0xffffffff && !seen[uint32(n.V)] && len(out) < maxMarkRoutes {
				seen[uint32(n.V)] = true
				out = append(out, uint32(n.V))
			}
		})
	}()
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, s := range r.Stmts {
					a, ok := s.(*translate.Assign)
					if !ok {
						continue
					}
					n, ok := a.Value.(*translate.Int)
					if !ok || n.V == 0 || n.V > 0xffffffff || seen[uint32(n.V)] {
						continue
					}
					var isMark bool
					switch k := a.Left.(type) {
					case *translate.Meta:
						isMark = k.Key == desc.MetaMark
					case *translate.CT:
						isMark = k.Key == desc.CTMark
					}
					if isMark && len(out) < maxMarkRoutes {
						seen[uint32(n.V)] = true
						out = append(out, uint32(n.V))
					}
				}
			}
		}
	}
	return out
}
