package probe

import (
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Candidate values of a condition: the values that satisfy it at its
// boundaries (hits) and the nearest values that do not (misses). Only
// values a probe can have are offered: a ct state the lab can produce, a
// protocol the lab can craft, an interface the lab has.

// maxCands bounds the candidates a condition offers.
const maxCands = 4

// cand is a candidate: one value per key of the condition.
type cand []Value

// hits are the values that satisfy c, boundaries first.
func (g *Gen) hits(c *Cond, s *Spec) []cand {
	return g.cands(c, s, true)
}

// misses are the values just outside c.
func (g *Gen) misses(c *Cond, s *Spec) []cand {
	return g.cands(c, s, false)
}

func (g *Gen) cands(c *Cond, s *Spec, want bool) []cand {
	if c.Dynamic != "" {
		return nil
	}
	for _, k := range c.Keys {
		if k.Kind == KOpaque || !assignable(k) {
			return nil
		}
	}
	var raw []cand
	switch {
	case c.Names != nil:
		for _, n := range g.names(c.Keys[0]) {
			raw = append(raw, cand{{Str: n, Present: true}})
		}
	case len(c.Keys) == 1 && domain(c.Keys[0], s.V6) != nil:
		for _, v := range domain(c.Keys[0], s.V6) {
			raw = append(raw, cand{{N: v, Present: true}})
		}
		// The values a probe is likely to meet (another protocol, another
		// state) before the numeric boundaries.
		raw = append(raw, g.spanCands(c, want)...)
	default:
		raw = g.spanCands(c, want)
	}
	var out []cand
	seen := map[string]bool{}
	for _, cd := range raw {
		if h, ok := c.Holds(cd); !ok || h != want {
			continue
		}
		if !realizable(c, cd, s) {
			continue
		}
		key := candKey(cd)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, cd)
		if len(out) == maxCands {
			break
		}
	}
	return out
}

func candKey(c cand) string {
	b := make([]byte, 0, 32)
	for _, v := range c {
		b = append(b, v.Str...)
		for i := 0; i < 8; i++ {
			b = append(b, byte(v.N.Hi>>(8*i)), byte(v.N.Lo>>(8*i)))
		}
		b = append(b, '|')
	}
	return string(b)
}

// spanCands proposes values at the edges of every element: inside (lo,
// hi) for hits, outside (lo-1, hi+1) for misses; for a negated condition
// the other way round. Masked keys get values whose bits outside the mask
// vary too.
func (g *Gen) spanCands(c *Cond, want bool) []cand {
	if !c.Flags.IsZero() {
		return flagCands(c)
	}
	inside := want != c.Neg
	var out []cand
	for _, tuple := range c.Elems {
		for part := range tuple {
			for _, v := range edges(tuple[part], c.width(part), inside) {
				var cd cand
				for i, sp := range tuple {
					x := Value{Present: true}
					switch {
					case i == part:
						x.N = v
					case len(sp) > 0:
						x.N = sp[0].Lo
					}
					cd = append(cd, x)
				}
				if len(c.Keys) == 1 {
					for _, p := range preimages(cd[0].N, c.Ops, c.width(0)) {
						out = append(out, cand{{N: p, Present: true}})
					}
					continue
				}
				out = append(out, cd)
			}
		}
	}
	if !inside && len(c.Elems) == 0 {
		out = append(out, cand{{N: Num{}, Present: true}}) // an empty set: anything is outside
	}
	return out
}

// edges are the boundary values of spans: the first and last values
// inside, or the nearest values outside.
func edges(s Spans, w int, inside bool) []Num {
	var out []Num
	for _, sp := range s {
		if inside {
			out = append(out, sp.Lo)
			if sp.Hi != sp.Lo {
				out = append(out, sp.Hi)
			}
			continue
		}
		if v, ok := sp.Lo.Sub1(); ok {
			out = append(out, v)
		}
		if v, ok := sp.Hi.Add1(w); ok {
			out = append(out, v)
		}
	}
	return out
}

// flagCands are single bits of the condition's type, and zero.
func flagCands(c *Cond) []cand {
	var out []cand
	for i := 0; i <= c.Flags.HighBit()+1 && i < 64; i++ {
		out = append(out, cand{{N: Bit(i), Present: true}})
	}
	return append(out, cand{{Present: true}})
}

// preimages are values v with apply(v, ops) == t: t itself, and t with the
// lowest bit a mask ignores set (so that a wider or narrower mask shows).
func preimages(t Num, ops []binop, w int) []Num {
	if len(ops) == 0 {
		return []Num{t}
	}
	vs := []Num{t}
	for i := len(ops) - 1; i >= 0; i-- {
		o := ops[i]
		var next []Num
		for _, v := range vs {
			switch o.op {
			case "&":
				if !v.And(o.v.Not(w)).IsZero() {
					continue // bits the mask clears cannot be set
				}
				next = append(next, v)
				if out := o.v.Not(w); !out.IsZero() {
					next = append(next, v.Or(Bit(out.LowBit())))
				}
			case ">>":
				next = append(next, v.Shl(uint(o.v.Lo)))
			case "<<":
				next = append(next, v.Shr(uint(o.v.Lo)))
			case "^":
				next = append(next, v.Xor(o.v))
			case "|":
				if v.And(o.v) == o.v {
					next = append(next, v.And(o.v.Not(w)), v)
				}
			}
		}
		vs = next
	}
	var out []Num
	for _, v := range vs {
		if apply(v, ops) == t {
			out = append(out, v)
		}
	}
	return out
}

// names are the interface names a condition on k may be given.
func (g *Gen) names(k Key) []string {
	return append(append([]string(nil), g.Ifaces...), "lo", "")
}

// domain lists the values a probe can give keys with few of them (nil:
// any value of the key's width).
func domain(k Key, v6 bool) []Num {
	switch {
	case k.Kind == KCT && k.CT == desc.CTState:
		return []Num{N(8), N(2), N(4), N(1)}
	case k.Kind == KCT && k.CT == desc.CTDirection:
		return []Num{N(0), N(1)}
	case k.Kind == KExthdr:
		return []Num{N(1), N(0)}
	case k.Kind == KFib && k.Fib == desc.FibResultType:
		t := desc.FibAddr.Syms
		return []Num{N(t["local"]), N(t["unicast"]), N(t["broadcast"]), N(t["multicast"])}
	case isProtoKey(k):
		icmp := uint64(1)
		if v6 {
			icmp = 58
		}
		return []Num{N(6), N(17), N(icmp), N(132), N(33), N(50), N(51), N(108)}
	}
	return nil
}

func isProtoKey(k Key) bool {
	return k.Kind == KField && (k.Field == desc.IPProtocol || k.Field == desc.IP6Nexthdr) ||
		k.Kind == KMeta && k.Meta == desc.MetaL4proto || k.Kind == KCT && k.CT == desc.CTProtocol
}

// assignable reports whether a probe can choose k's value.
func assignable(k Key) bool {
	switch k.Kind {
	case KField:
		return k.Field.Proto != desc.Ether && k.Field.Name != "checksum" && k.Field.Name != "version"
	case KMeta:
		switch k.Meta {
		case desc.MetaIifname, desc.MetaOifname, desc.MetaMark, desc.MetaL4proto, desc.MetaLength, desc.MetaSkuid, desc.MetaSkgid:
			return true
		}
		return false
	case KCT:
		switch k.CT {
		case desc.CTState, desc.CTMark, desc.CTDirection, desc.CTProtocol,
			desc.CTSaddr, desc.CTDaddr, desc.CTIPSaddr, desc.CTIPDaddr, desc.CTIP6Saddr, desc.CTIP6Daddr, desc.CTProtoSrc, desc.CTProtoDst:
			return true
		}
		return false
	case KExthdr, KRaw:
		return true
	case KFib:
		return k.Fib == desc.FibResultType && k.FibFlags == desc.FibDaddr.Bit
	}
	return false
}

// realizable reports whether the lab can give a probe the candidate.
func realizable(c *Cond, cd cand, s *Spec) bool {
	for i, k := range c.Keys {
		v := cd[i]
		switch {
		case k.Kind == KMeta && (k.Meta == desc.MetaIifname || k.Meta == desc.MetaOifname):
			continue // path decides: checked when assigned
		case k.Kind == KField && (k.Field == s.L3().Saddr || k.Field == s.L3().Daddr):
			if !s.usable(v.N.Addr(s.L3().AddrBits), k.Field == s.L3().Daddr) {
				return false
			}
		case k.Kind == KMeta && (k.Meta == desc.MetaSkuid || k.Meta == desc.MetaSkgid):
			if s.Path != PathOut && s.Path != PathLoop {
				return false // only the firewall's own packets have a socket
			}
		case k.Kind == KField && k.Field.Len > 64:
			continue
		case k.Kind == KMeta && k.Meta == desc.MetaLength, k.Kind == KField && k.Field.Name == "length" && k.Field.Proto.Kind == desc.Payload:
			if v.N.Lo < 28 || v.N.Lo > 1400 {
				return false // shorter than any probe (the realizer refuses what its headers do not fit), or more than the lab's MTU
			}
		}
	}
	return true
}
