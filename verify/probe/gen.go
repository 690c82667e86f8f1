package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Target is a rule to make probes for: its own conditions, those of the
// jumps that lead to its chain from a base chain (Pre), the hook of that
// base chain and the paths that pass it.
type Target struct {
	V6    bool
	Hook  translate.Hook
	Paths []Path
	Pre   []*Cond
	Own   []*Cond
	// Inputs are keys the rule's statements read (a mark CONNMARK saves or
	// restores, say) with values worth giving them: hits with each.
	Inputs map[Key][]Num
	// Passes are, per chain with a policy that drops on the way to the
	// rule's hook, the conditions of its accept rules: the hit probe meets
	// one of them where it can.
	Passes [][][]*Cond
	// Shadows are the conditions of the rules before it (in its chain and
	// before the jumps that lead there) that end the packet's way
	// (accept, drop, reject, return, NAT): the hit probe avoids them where
	// a key the rule does not test can.
	Shadows [][]*Cond
}

// Probe is one probe made for a target.
type Probe struct {
	Spec *Spec
	// Kind says what the probe tests: "hit", "hit: tcp dport 80",
	// "miss: tcp dport 23", "path: forward".
	Kind string
	// Hit: the rule's own conditions hold for the probe (as far as the
	// probe decides them).
	Hit bool
}

// Gen makes probes. Ifaces are the lab's interfaces (besides lo); In and
// Out are the neutral ones a probe uses when no condition names one.
type Gen struct {
	Ifaces  []string
	In, Out string
	Alloc   *Alloc
	// Misses and Extra bound the probes per condition: misses (values
	// just outside) and extra hits (its other boundary).
	Misses, Extra int
}

// ErrNoProbe wraps why no probe can satisfy a target on any path.
var ErrNoProbe = errors.New("no probe satisfies the rule")

// Probes makes the probes of t: a hit on the first path where one
// exists, its other boundary values, a miss just outside every condition
// of the rule, and a hit on every other path.
func (g *Gen) Probes(t *Target) ([]*Probe, error) {
	all := append(append([]*Cond(nil), t.Pre...), t.Own...)
	ctx := Ctx{Hook: t.Hook}
	var out []*Probe
	var whyNot []string
	for _, p := range t.Paths {
		s := g.base(t.V6, p)
		if err := g.solve(s, all, ctx, nil); err != nil {
			whyNot = append(whyNot, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		g.pass(s, t, all, ctx)
		g.avoid(s, t, all, ctx)
		if len(out) > 0 {
			out = append(out, &Probe{Spec: s, Kind: "path: " + p.String(), Hit: true})
			continue
		}
		out = append(out, &Probe{Spec: s, Kind: "hit", Hit: true})
		out = append(out, g.variants(s, t, ctx, all)...)
		out = append(out, g.inputs(s, t, ctx, all)...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoProbe, strings.Join(whyNot, "; "))
	}
	return out, nil
}

// pass gives s, for each dropping chain on its way, the conditions of the
// first of its accept rules they can be added to.
func (g *Gen) pass(s *Spec, t *Target, all []*Cond, ctx Ctx) {
	for _, alts := range t.Passes {
		// Accept rules that need no conntrack state first: one that needs
		// an established flow needs its reverse to get past this chain too.
		ordered := append([][]*Cond(nil), alts...)
		sort.SliceStable(ordered, func(i, j int) bool { return !usesCT(ordered[i]) && usesCT(ordered[j]) })
		for _, alt := range ordered {
			t := s.Clone()
			// The accept rule runs at an earlier hook: its interface
			// conditions are met by the same interfaces.
			if g.solve(t, append(append([]*Cond(nil), all...), alt...), ctx, nil) == nil {
				*s = *t
				break
			}
		}
	}
}

// avoid changes s so that no earlier rule that ends the packet's way
// takes it: for each such rule whose conditions all hold, one of them is
// given a value just outside it, if the target's own conditions still
// hold then.
func (g *Gen) avoid(s *Spec, t *Target, all []*Cond, ctx Ctx) {
	mine := map[Key]bool{}
	for _, c := range all {
		for _, k := range c.Keys {
			mine[k] = true
		}
	}
	for _, shadow := range t.Shadows {
		if !g.allHold(s, shadow, ctx) {
			continue
		}
	next:
		for _, c := range shadow {
			for _, k := range c.Keys {
				if mine[k] {
					continue next
				}
			}
			for _, cd := range g.misses(c, s) {
				t := s.Clone()
				if g.assign(t, c, cd, ctx) && g.allHold(t, all, ctx) {
					if h, ok := g.eval(t, c, ctx); ok && !h {
						*s = *t
						break next
					}
				}
			}
		}
	}
}

// allHold reports whether every condition holds (or is one the probe does
// not decide, for the target's own; a shadow's undecided condition counts
// as not holding).
func (g *Gen) allHold(s *Spec, cs []*Cond, ctx Ctx) bool {
	for _, c := range cs {
		if h, decided := g.eval(s, c, ctx); !h && (decided || g.unset(s, c, ctx)) {
			return false
		}
	}
	return true
}

// inputs are hits with the values of the keys the rule's statements read.
func (g *Gen) inputs(hit *Spec, t *Target, ctx Ctx, all []*Cond) []*Probe {
	var out []*Probe
	keys := make([]Key, 0, len(t.Inputs))
	for k := range t.Inputs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	for _, k := range keys {
		for _, v := range t.Inputs[k] {
			s := hit.Clone()
			if !g.assignKey(s, k, Value{N: v, Present: true}, ctx) || !g.allHold(s, all, ctx) {
				continue
			}
			out = append(out, &Probe{Spec: s, Kind: "hit with " + k.Name + " " + formatValue(k, Value{N: v}, s.V6), Hit: true})
		}
	}
	return out
}

// variants are the extra hits and the misses around a hit.
func (g *Gen) variants(hit *Spec, t *Target, ctx Ctx, all []*Cond) []*Probe {
	var out []*Probe
	for _, c := range t.Own {
		others := without(all, c)
		for i, cd := range g.hits(c, hit) {
			if i == 0 || i > g.Extra {
				continue // the first hit is the base probe's value (or close to it)
			}
			if s := g.variant(hit, c, cd, others, ctx); s != nil {
				out = append(out, &Probe{Spec: s, Kind: "hit: " + describe(c, cd), Hit: true})
			}
		}
		n := 0
		for _, cd := range g.misses(c, hit) {
			if n == g.Misses {
				break
			}
			if s := g.variant(hit, c, cd, others, ctx); s != nil {
				if h, ok := g.eval(s, c, ctx); ok && !h {
					out = append(out, &Probe{Spec: s, Kind: "miss: " + describe(c, cd)})
					n++
				}
			}
		}
	}
	return out
}

// variant is hit with c's keys set to cd and the other conditions solved
// again around them; nil when they cannot hold.
func (g *Gen) variant(hit *Spec, c *Cond, cd cand, others []*Cond, ctx Ctx) *Spec {
	s := hit.Clone()
	if !g.assign(s, c, cd, ctx) {
		return nil
	}
	fixed := map[Key]bool{}
	for _, k := range c.Keys {
		fixed[k] = true
	}
	if g.solve(s, others, ctx, fixed) != nil {
		return nil
	}
	return s
}

func without(cs []*Cond, c *Cond) []*Cond {
	var out []*Cond
	for _, x := range cs {
		if x != c {
			out = append(out, x)
		}
	}
	return out
}

// describe names a condition's candidate: "tcp dport 23".
func describe(c *Cond, cd cand) string {
	var parts []string
	for i, k := range c.Keys {
		parts = append(parts, k.Name+" "+formatValue(k, cd[i], c.V6))
	}
	return strings.Join(parts, " . ")
}

func formatValue(k Key, v Value, v6 bool) string {
	if k.IsStr() {
		if v.Str == "" {
			return `""`
		}
		return fmt.Sprintf("%q", v.Str)
	}
	if t := k.Type(); t != nil {
		if t == desc.IPv4Addr || t == desc.IPv6Addr {
			return v.N.Addr(t.Bits).String()
		}
		if k.Kind == KCT && k.CT.Type == nil {
			w := 32
			if v6 {
				w = 128
			}
			return v.N.Addr(w).String()
		}
		for name, n := range t.Syms {
			if N(n) == v.N && (t != desc.CTStateType || name != "untracked") {
				return name
			}
		}
	}
	if v.N.Hi != 0 {
		return fmt.Sprintf("%#x%016x", v.N.Hi, v.N.Lo)
	}
	return fmt.Sprintf("%d", v.N.Lo)
}

// base is a probe on path p before any condition: the neutral interfaces.
func (g *Gen) base(v6 bool, p Path) *Spec {
	s := &Spec{V6: v6, Path: p, Vals: map[Key]Num{}}
	switch p {
	case PathIn:
		s.In = g.In
	case PathFwd:
		s.In, s.Out = g.In, g.Out
	case PathOut:
		s.Out = g.Out
	}
	return s
}

// eval evaluates c on s: holds, and whether the probe decides it (a
// condition on a value the allocator has not given yet is undecided and
// does not count as holding).
func (g *Gen) eval(s *Spec, c *Cond, ctx Ctx) (holds, decided bool) {
	vals := make([]Value, len(c.Keys))
	for i, k := range c.Keys {
		vals[i] = s.Value(k, ctx)
		if vals[i].Unset {
			return false, false
		}
	}
	return c.Holds(vals)
}

// solve changes s until every condition holds (or is one no probe
// decides), keys in fixed left alone.
func (g *Gen) solve(s *Spec, conds []*Cond, ctx Ctx, fixed map[Key]bool) error {
	for pass := 0; pass < 4; pass++ {
		changed := false
		for _, c := range conds {
			h, decided := g.eval(s, c, ctx)
			if h || !decided && !g.unset(s, c, ctx) {
				continue
			}
			if !g.pick(s, c, conds, ctx, fixed) {
				return fmt.Errorf("nothing satisfies %q", c.Text)
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	for _, c := range conds {
		if h, decided := g.eval(s, c, ctx); !h && (decided || g.unset(s, c, ctx)) {
			return fmt.Errorf("%q contradicts the other conditions", c.Text)
		}
	}
	return nil
}

// unset reports whether c waits for a value the probe must choose.
func (g *Gen) unset(s *Spec, c *Cond, ctx Ctx) bool {
	if c.Open() {
		return false
	}
	for _, k := range c.Keys {
		if s.Value(k, ctx).Unset {
			return true
		}
	}
	return false
}

// pick gives c's keys the first candidate that satisfies c without
// breaking a condition that held.
func (g *Gen) pick(s *Spec, c *Cond, conds []*Cond, ctx Ctx, fixed map[Key]bool) bool {
	for _, k := range c.Keys {
		if fixed[k] {
			return false
		}
	}
	held := map[*Cond]bool{}
	for _, o := range conds {
		if h, _ := g.eval(s, o, ctx); h {
			held[o] = true
		}
	}
	for _, cd := range g.hits(c, s) {
		t := s.Clone()
		if !g.assign(t, c, cd, ctx) {
			continue
		}
		if h, _ := g.eval(t, c, ctx); !h {
			continue
		}
		ok := true
		for o := range held {
			if h, decided := g.eval(t, o, ctx); !h && decided {
				ok = false
				break
			}
		}
		if ok {
			*s = *t
			return true
		}
	}
	return false
}

// assign gives c's keys the candidate's values, through the parts of the
// spec that decide them (interfaces, conntrack state, protocol).
func (g *Gen) assign(s *Spec, c *Cond, cd cand, ctx Ctx) bool {
	for i, k := range c.Keys {
		if !g.assignKey(s, k, cd[i], ctx) {
			return false
		}
	}
	return true
}

func (g *Gen) assignKey(s *Spec, k Key, v Value, ctx Ctx) bool {
	switch {
	case k.Kind == KMeta && (k.Meta == desc.MetaIifname || k.Meta == desc.MetaOifname):
		return g.assignIface(s, k.Meta == desc.MetaOifname, v.Str, ctx)
	case k.Kind == KCT && k.CT == desc.CTState:
		return s.assignState(v.N.Lo)
	case k.Kind == KCT && k.CT == desc.CTDirection:
		switch {
		case v.N.Lo == 1 && (s.State == StNew || s.State == StEstOrig):
			s.State = StEstReply
		case v.N.Lo == 0 && s.State == StEstReply:
			s.State = StEstOrig
		}
		return true
	case isProtoKey(k):
		if v.N.Lo > 255 {
			return false
		}
		s.setProto(uint8(v.N.Lo))
		return true
	case k.Kind == KCT:
		if f := s.tupleField(k); f != nil {
			s.Set(FieldKey(f), v.N)
			return true
		}
		if k.CT == desc.CTMark {
			s.Set(CTKey(desc.CTMark), v.N)
			return true
		}
		return false
	case k.Kind == KRaw:
		return s.setRaw(k, v.N.Lo)
	case k.Kind == KFib:
		return g.assignFibType(s, v.N.Lo)
	case k.Kind == KField && (k.Field == s.L3().Saddr || k.Field == s.L3().Daddr):
		if g.Alloc != nil && !g.Alloc.Fits(s, k.Field == s.L3().Daddr, v.N.Addr(s.L3().AddrBits)) {
			return false
		}
	}
	s.Set(k, v.N)
	return true
}

// assignState sets the state whose ct state bit is bits.
func (s *Spec) assignState(bits uint64) bool {
	switch bits {
	case 8:
		s.State = StNew
	case 2:
		if s.State != StEstOrig {
			s.State = StEstReply
		}
	case 4:
		s.State = StRelated
		s.Proto = 1
		if s.V6 {
			s.Proto = 58
		}
	case 1:
		s.State = StInvalid
		if s.Proto != 17 {
			s.Proto = 6
		}
	default:
		return false
	}
	return true
}

// tupleField is the packet field a conntrack tuple key reads (see tupleValue).
func (s *Spec) tupleField(k Key) *desc.Field {
	src := k.CT == desc.CTSaddr || k.CT == desc.CTIPSaddr || k.CT == desc.CTIP6Saddr || k.CT == desc.CTProtoSrc
	if s.State == StEstReply {
		src = !src
	}
	if k.Dir == desc.CTReply {
		src = !src
	}
	switch k.CT {
	case desc.CTProtoSrc, desc.CTProtoDst:
		h := desc.HeaderOf(s.proto())
		if h == nil || h.Sport == nil {
			return nil
		}
		if src {
			return h.Sport
		}
		return h.Dport
	case desc.CTSaddr, desc.CTDaddr, desc.CTIPSaddr, desc.CTIPDaddr, desc.CTIP6Saddr, desc.CTIP6Daddr:
		if src {
			return s.L3().Saddr
		}
		return s.L3().Daddr
	}
	return nil
}

// assignIface gives the probe the input or output interface name, if its
// path has one at the hook.
func (g *Gen) assignIface(s *Spec, out bool, name string, ctx Ctx) bool {
	if s.ifname(out, ctx.Hook) == name {
		return true
	}
	if name == "" || name == "lo" {
		return false // the path decides these
	}
	known := false
	for _, n := range g.Ifaces {
		known = known || n == name
	}
	if !known {
		return false
	}
	switch {
	case !out && (s.Path == PathIn || s.Path == PathFwd):
		if s.Path == PathFwd && name == s.Out && g.neutral(s.Out) {
			s.Out = g.other(name) // out and in the same link only where a condition asks
		}
		s.In = name
	case out && (s.Path == PathFwd || s.Path == PathOut):
		if s.Path == PathFwd && name == s.In && g.neutral(s.In) {
			s.In = g.other(name)
		}
		s.Out = name
	default:
		return false
	}
	return s.ifname(out, ctx.Hook) == name
}

// neutral reports whether name is one of the interfaces no rule names.
func (g *Gen) neutral(name string) bool { return name == g.In || name == g.Out }

// other is a neutral interface that is not name (a forwarded probe leaves
// by another link than the one it came in on).
func (g *Gen) other(name string) string {
	if name == g.Out {
		return g.In
	}
	return g.Out
}

// setProto changes the transport protocol, dropping the fields of any
// other transport header (a probe that becomes UDP has no tcp dport).
func (s *Spec) setProto(p uint8) {
	if p == s.proto() {
		s.Proto = p
		return
	}
	for k := range s.Vals {
		if k.Kind != KField && k.Kind != KExthdr {
			continue
		}
		h := k.Hdr
		if k.Kind == KField {
			h = k.Field.Proto
		}
		if h.Parent != nil {
			h = h.Parent
		}
		if h.Kind == desc.Payload && h.Base == desc.TransportHeader {
			delete(s.Vals, k)
		}
	}
	s.Proto = p
}

// Hit is a hit probe of t on its first path where one exists, with the
// keys of fixed given their values first and kept (a setter's source
// fixed to the address a check will test, say).
func (g *Gen) Hit(t *Target, fixed map[Key]Num) (*Spec, error) {
	all := append(append([]*Cond(nil), t.Pre...), t.Own...)
	ctx := Ctx{Hook: t.Hook}
	keep := map[Key]bool{}
	for k := range fixed {
		keep[k] = true
	}
	var whyNot []string
	for _, p := range t.Paths {
		s := g.base(t.V6, p)
		for k, v := range fixed {
			s.Set(k, v)
		}
		if err := g.solve(s, all, ctx, keep); err != nil {
			whyNot = append(whyNot, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		g.avoid(s, t, all, ctx)
		for k, v := range fixed {
			if s.Vals[k] != v {
				s.Set(k, v) // avoid may not move a fixed key
			}
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNoProbe, strings.Join(whyNot, "; "))
}

// assignFibType gives the probe a destination of the address type a fib
// lookup tests: the limited broadcast address, the all-hosts group, one of
// the firewall's (the path decides) or a routed one.
func (g *Gen) assignFibType(s *Spec, t uint64) bool {
	syms := desc.FibAddr.Syms
	all := netip.MustParseAddr("224.0.0.1")
	if s.V6 {
		all = netip.MustParseAddr("ff02::1")
	}
	switch {
	case t == syms["broadcast"] && !s.V6 && s.Path == PathIn:
		s.SetAddr(true, limitedBroadcast)
	case t == syms["multicast"] && s.Path == PathIn:
		s.SetAddr(true, all)
	case t == syms["local"]:
		return s.Path == PathIn || s.Path == PathLoop
	case t == syms["unicast"]:
		return s.Path == PathFwd || s.Path == PathOut
	default:
		return false
	}
	return true
}

// Around are the variants (other boundary hits and misses) of t around a
// probe known to reach it: on the path where it did.
func (g *Gen) Around(t *Target, hit *Spec) []*Probe {
	all := append(append([]*Cond(nil), t.Pre...), t.Own...)
	ctx := Ctx{Hook: t.Hook}
	base := hit.Clone()
	// Variants get flows of their own: drop what the allocator chose.
	for _, f := range []*desc.Field{base.L3().Saddr} {
		delete(base.Vals, FieldKey(f))
	}
	if h := desc.HeaderOf(base.proto()); h != nil && h.Sport != nil {
		delete(base.Vals, FieldKey(h.Sport))
	}
	if g.solve(base, all, ctx, nil) != nil {
		base = hit.Clone()
	}
	return g.variants(base, t, ctx, all)
}

func usesCT(cs []*Cond) bool {
	for _, c := range cs {
		for _, k := range c.Keys {
			if k.Kind == KCT {
				return true
			}
		}
	}
	return false
}

// OnLinks are hit, an exchange (a reply, a flow's later packet, an error
// about a flow), moved to each other link its target's conditions still
// hold on: the ruleset may drop the packet that opens the flow where it
// comes in on one link and pass it on another, and the exchange then
// reaches its rule there only.
func (g *Gen) OnLinks(t *Target, hit *Spec) []*Probe {
	if hit.State == StNew || hit.State == StInvalid {
		return nil
	}
	all := append(append([]*Cond(nil), t.Pre...), t.Own...)
	ctx := Ctx{Hook: t.Hook}
	var out []*Probe
	for _, n := range g.Ifaces {
		s := hit.Clone()
		switch {
		case hit.Path == PathFwd && n != hit.Out && n != hit.In:
			s.Out = n
		case hit.Path == PathIn && n != hit.In:
			s.In = n
		default:
			continue
		}
		if g.allHold(s, all, ctx) {
			out = append(out, &Probe{Spec: s, Kind: "hit on link " + n, Hit: true})
		}
	}
	return out
}
