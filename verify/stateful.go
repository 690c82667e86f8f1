//go:build linux

package verify

// Stateful probes: timed sequences for -m recent lists (stamps up to the
// hitcount threshold, window edges, TTLs, masks, removal, reaping), and
// bursts for the statements that count packets (limit, quota, ct count,
// numgen inc). Each is a sequence of probes sent in order on one pair of
// labs; what each packet did is compared as for any probe.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
	"github.com/xt2nft/xt2nft/verify/probe"
)

// recentUse is one -m recent match of a rule.
type recentUse struct {
	r        *rule
	name     string
	cmd      string // set, rcheck, update, remove
	neg      bool
	seconds  uint32
	hitcount uint32
	rttl     bool
	reap     bool
	dest     bool
	mask     netip.Addr // zero: all ones
}

// recentUses reads the -m recent matches of every rule.
func recentUses(m *model) []*recentUse {
	var out []*recentUse
	for _, r := range m.rules {
		for _, mt := range r.src.Matches {
			if mt.Name != "recent" {
				continue
			}
			u := &recentUse{r: r, name: "DEFAULT"}
			for _, o := range mt.Options {
				switch o.Name {
				case "set", "rcheck", "update", "remove":
					u.cmd, u.neg = o.Name, o.Negated
				case "seconds":
					n, _ := strconv.ParseUint(o.Arg(0), 10, 32)
					u.seconds = uint32(n)
				case "hitcount":
					n, _ := strconv.ParseUint(o.Arg(0), 10, 32)
					u.hitcount = uint32(n)
				case "rttl":
					u.rttl = true
				case "reap":
					u.reap = true
				case "rdest":
					u.dest = true
				case "rsource":
					u.dest = false
				case "name":
					u.name = o.Arg(0)
				case "mask":
					if a, err := netip.ParseAddr(o.Arg(0)); err == nil {
						u.mask = a
					}
				}
			}
			out = append(out, u)
		}
	}
	return out
}

// stateful adds the stateful sequences to the plan.
func (p *plan) stateful(m *model, g *probe.Gen, maxWait time.Duration) {
	uses := recentUses(m)
	for _, u := range uses {
		if u.cmd == "set" || !m.probed(u.r) {
			continue // a --set rule is probed by its own hit (and by every check's sequence)
		}
		p.recentSeqs(m, g, u, uses, maxWait)
	}
	for _, r := range m.rules {
		if n, what := burst(m, r); n > 0 && m.probed(r) {
			p.burstSeq(g, r, n, what)
		}
	}
}

// stepSpec is one packet of a stateful sequence before it is allocated.
type stepSpec struct {
	spec  *probe.Spec
	what  string
	pause time.Duration
}

// recentSeqs makes the sequences of a check (or removal) on a list: with
// a fresh address X, the check before any stamp, then stamps from a rule
// that sets the list up to the hitcount and the check after each, the
// check inside and past the window, and the variants the options ask for.
func (p *plan) recentSeqs(m *model, g *probe.Gen, u *recentUse, uses []*recentUse, maxWait time.Duration) {
	check := p.recentHit(g, u.r, nil)
	if check == nil {
		return
	}
	if _, set := check.Addr(true); u.dest && !set {
		// A list keyed by destination: one no other probe goes to.
		if x, err := p.alloc.FreshDst(check); err == nil {
			check = p.recentHit(g, u.r, map[probe.Key]probe.Num{addrKey(u.r.fam, true): probe.AddrNum(x)})
		}
	}
	if check == nil || p.alloc.Finish(check) != nil {
		return
	}
	x, _ := check.Addr(u.dest)
	var setter *recentUse
	for _, s := range uses {
		if s.name == u.name && s.r.fam == u.r.fam && (s.cmd == "set" || s.cmd == "update") && !s.neg && s.r != u.r {
			setter = s
			break
		}
	}
	if setter == nil && u.cmd == "update" {
		setter = u // an --update stamps itself
	}
	if setter == nil {
		p.whyNot[u.r] = append(p.whyNot[u.r], fmt.Sprintf("no rule sets the recent list %q", u.name))
		return
	}
	stamp := func(ttl uint8, addr netip.Addr) *probe.Spec {
		fixed := map[probe.Key]probe.Num{addrKey(setter.r.fam, setter.dest): probe.AddrNum(addr)}
		if ttl != 0 {
			fixed[probe.FieldKey(ttlField(setter.r.fam))] = probe.N(uint64(ttl))
		}
		return p.recentHit(g, setter.r, fixed)
	}
	again := func(addr netip.Addr, ttl uint8) *probe.Spec {
		fixed := map[probe.Key]probe.Num{addrKey(u.r.fam, u.dest): probe.AddrNum(addr)}
		if ttl != 0 {
			fixed[probe.FieldKey(ttlField(u.r.fam))] = probe.N(uint64(ttl))
		}
		return p.recentHit(g, u.r, fixed)
	}
	h := max(int(u.hitcount), 1)
	var steps []stepSpec
	add := func(s *probe.Spec, what string, pause time.Duration) {
		if s != nil {
			steps = append(steps, stepSpec{s, what, pause})
		}
	}
	add(check, "the check before any stamp", 0)
	// Past the threshold once around the ring again: a hitcount list is a
	// ring of h slots, and each slot has a check of its own that only the
	// stamps after the h-th reach.
	n := h
	if h > 1 {
		n = 2 * h
	}
	for i := 1; i <= n; i++ {
		add(stamp(0, x), fmt.Sprintf("stamp %d (hitcount %d)", i, h), 0)
		if i >= h-1 {
			add(again(x, 0), fmt.Sprintf("the check after %d stamp(s)", i), 0)
		}
	}
	// With the list holding X: probes from X that miss another of the
	// check's conditions (the stamp must not make them match).
	for _, t := range u.r.targets {
		ps, err := g.Probes(t)
		if err != nil {
			continue
		}
		for _, pr := range ps {
			if pr.Hit || strings.Contains(pr.Kind, addrKey(u.r.fam, u.dest).Name) {
				continue
			}
			pr.Spec.SetAddr(u.dest, x)
			add(pr.Spec, "from the stamped address, "+pr.Kind, 0)
		}
		break
	}
	if w := time.Duration(u.seconds) * time.Second; w > 0 {
		if w > maxWait {
			p.note = append(p.note, fmt.Sprintf("%s: the %s window of recent list %q is longer than verify waits (%s): its edge is not probed", u.r.location(), w, u.name, maxWait))
		} else {
			add(again(x, 0), "the check just inside the window", w-min(w/2, edgeMargin))
			add(again(x, 0), "the check past the window", 2*min(w/2, edgeMargin))
		}
	}
	p.addSeq(u.r, "recent: stamps and window of "+u.name, steps)
	// (From an address of its own: the list holds X from the sequence
	// above.)
	var y netip.Addr
	if c := p.recentHit(g, u.r, nil); c != nil && !u.dest && p.alloc.Finish(c) == nil {
		y, _ = c.Addr(false)
	}
	if w := time.Duration(u.seconds) * time.Second; y.IsValid() && y != x && h > 1 && w > 0 && w <= maxWait {
		// The ring part expired: h-1 stamps, one more half a window later
		// (the threshold), then, once the early ones are past the window,
		// stamps and checks around the ring again. The first check then
		// fails where the ones before matched, and a check that stamps
		// (--update) stamps once instead of twice: the ring's slots are
		// checked in another order than without pauses, and each slot's
		// check is reached with its slot full.
		var ring []stepSpec
		for i := 1; i < h; i++ {
			ring = append(ring, stepSpec{stamp(0, y), fmt.Sprintf("stamps early (%d)", i), 0})
		}
		ring = append(ring, stepSpec{stamp(0, y), "stamps half a window later", w / 2})
		for j := 0; j <= h; j++ {
			pause := time.Duration(0)
			if j == 0 {
				pause = w/2 + edgeMargin
			}
			ring = append(ring, stepSpec{stamp(0, y), fmt.Sprintf("stamps once the early stamps expired (%d)", j+1), pause},
				stepSpec{again(y, 0), "checks after it", 0})
		}
		p.addSeq(u.r, "recent: the ring of "+u.name+" with part of the window expired", ring)
	}
	if u.rttl && u.cmd != "remove" {
		p.addSeq(u.r, "recent: --rttl, the last stamp's TTL differs", []stepSpec{
			{stamp(64, x), "stamp with TTL 64", 0}, {stamp(63, x), "stamp with TTL 63", 0}, {again(x, 64), "the check with TTL 64", 0}})
	}
	if u.mask.IsValid() {
		if y, ok := outsideMask(x, u.mask); ok {
			p.addSeq(u.r, "recent: --mask, another address of the masked entry", []stepSpec{
				{stamp(0, x), "stamp from " + x.String(), 0}, {again(y, 0), "the check from " + y.String(), 0}})
		}
	}
	if u.cmd == "remove" {
		p.addSeq(u.r, "recent: stamp then removal", []stepSpec{
			{stamp(0, x), "stamp", 0}, {again(x, 0), "the removal", 0}, {again(x, 0), "the removal again (nothing left)", 0}})
	}
	if u.reap && u.seconds > 0 && time.Duration(u.seconds)*time.Second <= maxWait {
		for _, w := range uses {
			if w.name == u.name && w.seconds == 0 && (w.cmd == "rcheck" || w.cmd == "update") && w.r != u.r {
				wait := time.Duration(u.seconds)*time.Second + edgeMargin
				p.addSeq(u.r, "recent: --reap, then a check without --seconds", []stepSpec{
					{stamp(0, x), "stamp", 0}, {again(x, 0), "the reaping check after the window", wait},
					{p.recentHitFixed(g, w, x), "the check without --seconds", 0}})
				break
			}
		}
	}
}

// edgeMargin is how far from a window's edge the timed checks are: enough
// for a loaded machine, well above the 4 ms by which nft's timeout and
// xt_recent's inclusive stamp comparison differ.
const edgeMargin = 500 * time.Millisecond

func (p *plan) recentHitFixed(g *probe.Gen, u *recentUse, x netip.Addr) *probe.Spec {
	return p.recentHit(g, u.r, map[probe.Key]probe.Num{addrKey(u.r.fam, u.dest): probe.AddrNum(x)})
}

// recentHit is a hit probe of r's first target with keys fixed.
func (p *plan) recentHit(g *probe.Gen, r *rule, fixed map[probe.Key]probe.Num) *probe.Spec {
	for _, t := range r.targets {
		if s, err := g.Hit(t, fixed); err == nil {
			return s
		}
	}
	return nil
}

func addrKey(fam parser.Family, dst bool) probe.Key {
	l3 := desc.IPv4
	if fam == parser.IPv6 {
		l3 = desc.IPv6
	}
	if dst {
		return probe.FieldKey(l3.Daddr)
	}
	return probe.FieldKey(l3.Saddr)
}

func ttlField(fam parser.Family) *desc.Field {
	if fam == parser.IPv6 {
		return desc.IP6Hoplimit
	}
	return desc.IPTTL
}

// outsideMask is x with the lowest bit the mask clears flipped (the same
// list entry, another address), if the mask clears any.
func outsideMask(x, mask netip.Addr) (netip.Addr, bool) {
	if x.BitLen() != mask.BitLen() {
		return x, false
	}
	m := probe.AddrNum(mask)
	free := m.Not(x.BitLen())
	if free.IsZero() {
		return x, false
	}
	y := probe.AddrNum(x).Xor(probe.Bit(free.LowBit()))
	return y.Addr(x.BitLen()), true
}

// addSeq allocates and realizes the steps of a sequence; a step that
// cannot be made ends it there.
func (p *plan) addSeq(r *rule, kind string, steps []stepSpec) {
	s := &seq{rule: r, probe: &probe.Probe{Kind: kind, Hit: true}}
	for _, st := range steps {
		if st.spec == nil {
			continue
		}
		if err := p.alloc.Finish(st.spec); err != nil {
			continue
		}
		ps, err := probe.Realize(st.spec)
		if err != nil {
			continue
		}
		ps[0].Pause = st.pause
		for i := range ps {
			if ps[i].Main {
				ps[i].What = st.what
			}
		}
		s.steps = append(s.steps, ps...)
	}
	if len(s.steps) > 1 {
		s.probe.Spec = s.steps[len(s.steps)-1].Spec
		p.seqs = append(p.seqs, s)
		p.byRule[r] = append(p.byRule[r], s)
	}
}

// maxBurst bounds the packets of a burst.
const maxBurst = 12

// burst is how many packets in a row show a rule's counting statement at
// work (one more than it lets through), and what it is; 0 for none or
// for one whose refill is too fast for the two labs to agree on.
func burst(m *model, r *rule) (int, string) {
	for _, nr := range r.nft {
		for _, s := range nr.Stmts {
			switch x := s.(type) {
			case *translate.Limit:
				if x.Bytes {
					continue
				}
				b := max(int(x.Burst), 5)
				if fastLimit(x) || b+2 > maxBurst {
					continue
				}
				return b + 2, "limit burst"
			case *translate.Quota:
				continue // bytes: the sizes of the probes decide it
			case *translate.SetStmt:
				for _, in := range x.Stmts {
					if l, ok := in.(*translate.Limit); ok && !fastLimit(l) {
						if b := max(int(l.Burst), 5); b+2 <= maxBurst {
							return b + 2, "hashlimit burst"
						}
					}
					if c, ok := in.(*translate.CtCount); ok && int(c.N)+2 <= maxBurst {
						return int(c.N) + 2, "connection count"
					}
				}
			}
		}
	}
	return 0, ""
}

// burstSeq sends n hit probes of r in a row, from one source (a
// per-source meter counts them together).
func (p *plan) burstSeq(g *probe.Gen, r *rule, n int, what string) {
	first := p.recentHit(g, r, nil)
	if first == nil {
		return
	}
	if err := p.alloc.Finish(first); err != nil {
		return
	}
	src, _ := first.Addr(false)
	steps := []stepSpec{{first, what + ": packet 1", 0}}
	for i := 2; i <= n; i++ {
		steps = append(steps, stepSpec{p.recentHit(g, r, map[probe.Key]probe.Num{addrKey(r.fam, false): probe.AddrNum(src)}), fmt.Sprintf("%s: packet %d", what, i), 0})
	}
	p.addSeq(r, what, steps)
}
