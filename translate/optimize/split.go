package optimize

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Split is a run of rules dispatched by address.
type Split struct {
	Chain   string
	Key     string // ip saddr, ip daddr
	Origins []parser.Pos
	Chains  int // subchains
	Copies  int // rules in them
}

// minSplit is the shortest run of rules worth a dispatch.
const minSplit = 64

// jumpStack is the kernel's limit on nested jumps and gotos
// (NFT_JUMP_STACK_SIZE): a dispatch adds two levels.
const jumpStack = 16

// split dispatches a long run of rules that all compare the source (or
// destination) address: one lookup of the address in an interval verdict
// map goes to a chain holding only the rules of the run that can match
// that address, in their order (a rule whose addresses span several
// ranges is in each of their chains; its counter is the sum of its
// copies'). Those chains and the dispatch end with goto a chain holding
// the rest of the original chain, so that a packet no rule of the run
// decides goes on there, and return in a copy still returns from the
// original chain (goto, unlike jump, does not come back). The run's
// order is kept for every address, so the first matching rule is the
// same; what changes is that a packet meets only the rules of its
// address. Rules with per-rule state (limit, quota, recent lists,
// connlimit) are never copied.
func (a *analyzer) split(t *translate.Table, c *translate.Chain) *Split {
	if len(c.Rules) < minSplit {
		return nil
	}
	l3 := desc.IPv4
	if a.fam == translate.FamilyIP6 {
		l3 = desc.IPv6
	}
	var keys []*key
	var ids []int
	for _, f := range []*desc.Field{l3.Saddr, l3.Daddr} {
		k := a.keyOf(&translate.Payload{Field: f})
		keys, ids = append(keys, k), append(ids, a.consID(k))
	}
	infos := make([]*rinfo, len(c.Rules))
	for i, r := range c.Rules {
		infos[i] = a.describeOn(r, ids...)
	}
	best, bs, be := (*key)(nil), 0, 0
	for ki, k := range keys {
		id := ids[ki]
		for i := 0; i < len(infos); {
			j := i
			for j < len(infos) && splittable(infos[j], k, id) {
				j++
			}
			if j-i > be-bs {
				best, bs, be = k, i, j
			}
			if j == i {
				j++
			}
			i = j
		}
	}
	if be-bs < minSplit {
		return nil
	}
	if a.depth(c.Name)+2+a.height(c) >= jumpStack || !a.everyPacket[c.Name] {
		return nil
	}
	run := infos[bs:be]
	id := a.consID(best)
	parts := a.partition(run, id, best.bits)
	if parts == nil {
		return nil // no partition of the addresses keeps the copies few
	}
	copies := 0
	for _, p := range parts {
		copies += len(p.rules)
	}
	if !a.splitPays(run, parts) {
		return nil
	}
	after := c.Rules[be:]
	var tail *translate.Chain
	if len(after) > 0 {
		tail = &translate.Chain{Name: a.chainName(c.Name + "_rest"),
			Comment: fmt.Sprintf("xt2nft --optimize: the rules of %s after its dispatch by %s", c.Name, best.text)}
	}
	set := &translate.Set{Name: a.setName(t, c.Name+"_by_"+keyWord(best)), Type: []*desc.Type{a.setType(best)},
		Data: []*desc.Type{desc.Verdict}, Flags: []translate.SetFlag{translate.SetConstant, translate.SetInterval},
		Origin: run[0].r.Origin}
	var subs []*translate.Chain
	sp := &Split{Chain: c.Name, Key: best.text, Chains: len(parts), Copies: copies}
	for _, ri := range run {
		sp.Origins = append(sp.Origins, ri.r.AllOrigins()...)
	}
	first := map[int]bool{}
	for _, p := range parts {
		sub := &translate.Chain{Name: a.chainName(c.Name + "_" + keyWord(best))}
		sub.Comment = fmt.Sprintf("xt2nft --optimize: the rules of %s for %s %s", c.Name, best.text, translate.RenderExpr(ivalExpr(p.iv, best.bits)))
		for _, j := range p.rules {
			sub.Rules = append(sub.Rules, copyRule(run[j].r, !first[j]))
			first[j] = true
		}
		if tail != nil {
			sub.Rules = append(sub.Rules, &translate.Rule{Origin: run[len(run)-1].r.Origin,
				Stmts: []translate.Stmt{&translate.Verdict{Kind: translate.VerdictGoto, Chain: tail.Name}}})
		}
		set.Elems = append(set.Elems, &translate.Elem{Key: ivalExpr(p.iv, best.bits),
			Value: &translate.Verdict{Kind: translate.VerdictGoto, Chain: sub.Name}})
		subs = append(subs, sub)
	}
	t.Sets = append(t.Sets, set)
	rules := append([]*translate.Rule(nil), c.Rules[:bs]...)
	rules = append(rules, &translate.Rule{Origin: run[0].r.Origin, Origins: sp.Origins,
		Stmts: []translate.Stmt{&translate.VMap{Key: best.expr, Map: &translate.SetRef{Name: set.Name}}}})
	if tail != nil {
		rules = append(rules, &translate.Rule{Origin: run[len(run)-1].r.Origin,
			Stmts: []translate.Stmt{&translate.Verdict{Kind: translate.VerdictGoto, Chain: tail.Name}}})
		tail.Rules = append([]*translate.Rule(nil), after...)
		subs = append(subs, tail)
	}
	c.Rules = rules
	for _, s := range subs {
		t.Chains = append(t.Chains, s)
		a.chains[s.Name] = s
	}
	a.sets[set.Name] = set
	a.chainW = map[string]writes{}
	a.heights = map[string]int{}
	a.depths = nil
	return sp
}

// part is one element of a dispatch: a range of addresses and the rules
// of the run (by index) that can match an address in it.
type part struct {
	iv    ival
	rules []int
}

// partition cuts the address space into blocks of one prefix length (a
// /16 per block for IPv4, say) and lists the rules of the run each block
// holds: the length is the one that gives the fewest rules per block
// while copying no more than a tenth of the rules once more (a /8 rule
// is in 256 blocks of /16) and keeping four rules per block on average.
// Adjacent blocks that hold the same rules are one range.
func (a *analyzer) partition(run []*rinfo, id, bits int) []part {
	lengths := []int{8, 12, 16, 20, 24}
	if bits == 128 {
		lengths = []int{16, 24, 32, 40, 48, 56, 64}
	}
	// A dispatch costs the kernel a chain per block and the copies: it
	// pays when each block holds several rules and few are copied.
	limit := len(run) + len(run)/10
	var best []part
	bestAvg := 0.0
	for _, n := range lengths {
		blocks := map[uint64][]int{}
		copies := 0
		for j, ri := range run {
			for _, iv := range find(ri.cons, id).vs {
				lo, hi := top(iv.lo, bits, n), top(iv.hi, bits, n)
				if hi-lo >= uint64(limit) {
					copies = limit + 1
					break
				}
				for b := lo; b <= hi; b++ {
					if l := blocks[b]; len(l) == 0 || l[len(l)-1] != j {
						blocks[b] = append(l, j)
						copies++
					}
				}
			}
			if copies > limit {
				break
			}
		}
		if copies > limit {
			continue
		}
		var keys []uint64
		for b := range blocks {
			keys = append(keys, b)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		var parts []part
		for _, b := range keys {
			iv := blockIval(b, bits, n)
			if k := len(parts); k > 0 && slices.Equal(parts[k-1].rules, blocks[b]) {
				if nx, ok := next(parts[k-1].iv.hi); ok && nx == iv.lo {
					parts[k-1].iv.hi = iv.hi
					continue
				}
			}
			parts = append(parts, part{iv, blocks[b]})
		}
		if len(parts) < 2 || len(parts) > len(run)/4 {
			continue
		}
		if avg := float64(copies) / float64(len(parts)); best == nil || avg < bestAvg {
			best, bestAvg = parts, avg
		}
	}
	return best
}

// splitPays compares the run folded as it is with its parts folded one
// by one: the dispatch must cut the rules a packet meets by four (one
// lookup, then its part's rules) and by at least 32, and the parts (their folded rules, a
// chain and a goto each) must still be at most half the run's rules, so
// that the kernel loads no more than half of what the literal run was.
func (a *analyzer) splitPays(run []*rinfo, parts []part) bool {
	fold := func(rs []*translate.Rule) int {
		return len(a.foldChain(&translate.Chain{Rules: rs}))
	}
	var rs []*translate.Rule
	for _, ri := range run {
		rs = append(rs, ri.r)
	}
	before := fold(rs)
	after := 0
	for _, p := range parts {
		rs = rs[:0]
		for _, j := range p.rules {
			rs = append(rs, run[j].r)
		}
		after += fold(rs) + 2
	}
	avg := float64(after) / float64(len(parts))
	return (1+avg)*4 <= float64(before) && float64(before)-(1+avg) >= 32 && after <= len(run)/2
}

// top is the first n bits of an address.
func top(p point, bits, n int) uint64 {
	if bits == 32 {
		return uint64(binary.BigEndian.Uint32(p[12:])) >> (32 - n)
	}
	return binary.BigEndian.Uint64(p[:8]) >> (64 - n)
}

// blockIval is the interval of addresses whose first n bits are b.
func blockIval(b uint64, bits, n int) ival {
	var lo point
	if bits == 32 {
		binary.BigEndian.PutUint32(lo[12:], uint32(b<<(32-n)))
	} else {
		binary.BigEndian.PutUint64(lo[:8], b<<(64-n))
	}
	hi := lo
	for i := n; i < bits; i++ {
		hi[16-bits/8+i/8] |= 0x80 >> (i % 8)
	}
	return ival{lo, hi}
}

// splittable: the rule compares the key, may be copied (no per-rule
// state) and does not change the key.
func splittable(ri *rinfo, k *key, id int) bool {
	c := find(ri.cons, id)
	if c == nil || len(c.vs) == 0 || ri.w.changes(k) || ri.r.Disabled != "" {
		return false
	}
	for _, st := range ri.r.Stmts {
		switch s := st.(type) {
		case *translate.Limit, *translate.Quota, *translate.SetStmt, *translate.CtCount, *translate.ObjRef:
			return false
		case *translate.Counter:
			if s.Name != "" {
				return false
			}
		case *translate.Match:
			if !pure(s) {
				return false
			}
		}
	}
	return true
}

// copyRule copies a rule for a dispatch chain; only the first copy keeps
// the counter's initial values (so that the copies add up to them).
func copyRule(r *translate.Rule, first bool) *translate.Rule {
	cp := *r
	cp.Stmts = make([]translate.Stmt, len(r.Stmts))
	for i, st := range r.Stmts {
		if c, ok := st.(*translate.Counter); ok {
			n := *c
			if !first {
				n.Packets, n.Bytes = 0, 0
			}
			st = &n
		}
		cp.Stmts[i] = st
	}
	return &cp
}

func keyWord(k *key) string {
	if k.loads.off == desc.IPv4.Saddr.Offset || k.loads.off == desc.IPv6.Saddr.Offset {
		return "saddr"
	}
	return "daddr"
}

// ivalExpr writes an interval of addresses as a prefix when it is one,
// else as a range.
func ivalExpr(iv ival, bits int) translate.Expr {
	addr := func(p point) netip.Addr {
		if bits == 32 {
			return netip.AddrFrom4([4]byte(p[12:]))
		}
		return netip.AddrFrom16(p)
	}
	lo, hi := addr(iv.lo), addr(iv.hi)
	for n := 0; n <= bits; n++ {
		if p := netip.PrefixFrom(lo, n).Masked(); p.Addr() == lo && pfxLast(p) == hi {
			return &translate.Addr{Prefix: p}
		}
	}
	return &translate.Range{Lo: &translate.Addr{Prefix: netip.PrefixFrom(lo, bits)}, Hi: &translate.Addr{Prefix: netip.PrefixFrom(hi, bits)}}
}

// pfxLast is the last address of a prefix.
func pfxLast(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// chainName returns base1, base2, ...: the first name no chain has.
func (a *analyzer) chainName(base string) string {
	for i := 1; ; i++ {
		n := base + strconv.Itoa(i)
		if a.chains[n] == nil {
			a.chains[n] = &translate.Chain{Name: n}
			return n
		}
	}
}

// targets are the chains a statement jumps or goes to.
func (a *analyzer) targets(st translate.Stmt) []string {
	switch s := st.(type) {
	case *translate.Verdict:
		if s.Kind == translate.VerdictJump || s.Kind == translate.VerdictGoto {
			return []string{s.Chain}
		}
	case *translate.VMap:
		ref, ok := s.Map.(*translate.SetRef)
		if !ok {
			return nil
		}
		var out []string
		for _, e := range a.sets[ref.Name].Elems {
			if el, ok := e.(*translate.Elem); ok {
				if v, ok := el.Value.(*translate.Verdict); ok && v.Chain != "" {
					out = append(out, v.Chain)
				}
			}
		}
		return out
	}
	return nil
}

// height is how many levels of jumps a chain's rules go down.
func (a *analyzer) height(c *translate.Chain) int {
	if h, ok := a.heights[c.Name]; ok {
		return h
	}
	a.heights[c.Name] = jumpStack // a loop: the kernel refuses it anyway
	h := 0
	for _, r := range c.Rules {
		for _, st := range r.Stmts {
			for _, n := range a.targets(st) {
				if x := a.chains[n]; x != nil {
					h = max(h, 1+a.height(x))
				}
			}
		}
	}
	a.heights[c.Name] = h
	return h
}

// depth is how many levels of jumps down from a base chain a chain is
// (the deepest way there). It also notes the chains packets of every
// kind go through: those a filter (or route) base chain reaches, not only
// a nat one, which sees just the first packet of each connection.
func (a *analyzer) depth(name string) int {
	if a.depths == nil {
		a.depths = map[string]int{}
		a.everyPacket = map[string]bool{}
		var walk func(c *translate.Chain, d int, every bool)
		walk = func(c *translate.Chain, d int, every bool) {
			old, seen := a.depths[c.Name]
			changed := !seen || d > old
			if changed {
				a.depths[c.Name] = d
			}
			if every && !a.everyPacket[c.Name] {
				a.everyPacket[c.Name], changed = true, true
			}
			if !changed || d > jumpStack {
				return
			}
			for _, r := range c.Rules {
				for _, st := range r.Stmts {
					for _, n := range a.targets(st) {
						if x := a.chains[n]; x != nil {
							walk(x, d+1, every)
						}
					}
				}
			}
		}
		for _, c := range a.t.Chains {
			if c.Base != nil {
				walk(c, 0, c.Base.Type != translate.TypeNAT)
			}
		}
	}
	return a.depths[name]
}
