package optimize

import (
	"bytes"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// A value of a key is a point of a 16-byte space: numbers and addresses
// big-endian and right-aligned (so that they order as numbers), interface
// names left-aligned (so that "eth*" is the range of everything starting
// with eth). Every key's values have one layout, so comparing two values
// of one key is comparing bytes.
type point [16]byte

// ival is the closed interval [lo, hi] of points.
type ival struct{ lo, hi point }

// vset is a set of values: sorted, disjoint, non-adjacent intervals.
type vset []ival

func cmp(a, b point) int { return bytes.Compare(a[:], b[:]) }

// num is the point of a number.
func num(n uint64) point {
	var p point
	for i := 15; i >= 8; i-- {
		p[i] = byte(n)
		n >>= 8
	}
	return p
}

// maxPoint is the largest value of a key bits wide (right-aligned).
func maxPoint(bits int) point {
	var p point
	for i := 0; i < bits && i < 128; i++ {
		p[15-i/8] |= 1 << (i % 8)
	}
	return p
}

// next returns p+1 and whether it did not overflow.
func next(p point) (point, bool) {
	for i := 15; i >= 0; i-- {
		p[i]++
		if p[i] != 0 {
			return p, true
		}
	}
	return p, false
}

// prev returns p-1 and whether it did not underflow.
func prev(p point) (point, bool) {
	for i := 15; i >= 0; i-- {
		p[i]--
		if p[i] != 0xff {
			return p, true
		}
	}
	return p, false
}

// normalize sorts and merges intervals (overlapping or adjacent).
func normalize(ivs []ival) vset {
	if len(ivs) == 0 {
		return nil
	}
	if len(ivs) == 1 {
		return vset{ivs[0]}
	}
	s := append([]ival(nil), ivs...)
	sort.Slice(s, func(i, j int) bool { return cmp(s[i].lo, s[j].lo) < 0 })
	out := vset{s[0]}
	for _, iv := range s[1:] {
		last := &out[len(out)-1]
		if n, ok := next(last.hi); !ok || cmp(iv.lo, n) <= 0 {
			if cmp(iv.hi, last.hi) > 0 {
				last.hi = iv.hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// disjoint reports whether no value is in both sets.
func (a vset) disjoint(b vset) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if cmp(a[i].hi, b[j].lo) < 0 {
			i++
		} else if cmp(b[j].hi, a[i].lo) < 0 {
			j++
		} else {
			return false
		}
	}
	return true
}

// union returns a ∪ b; it may reuse a's storage (callers own a).
func (a vset) union(b vset) vset {
	if len(a) == 0 {
		return append(vset(nil), b...)
	}
	for _, iv := range b {
		a = a.insert(iv)
	}
	return a
}

// insert adds one interval to a, merging it with those it touches.
func (a vset) insert(iv ival) vset {
	// the first interval that ends at or after iv.lo-1
	lo := iv.lo
	if p, ok := prev(lo); ok {
		lo = p
	}
	i := sort.Search(len(a), func(i int) bool { return cmp(a[i].hi, lo) >= 0 })
	hi := iv.hi
	if n, ok := next(hi); ok {
		hi = n
	}
	j := i
	for j < len(a) && cmp(a[j].lo, hi) <= 0 {
		if cmp(a[j].lo, iv.lo) < 0 {
			iv.lo = a[j].lo
		}
		if cmp(a[j].hi, iv.hi) > 0 {
			iv.hi = a[j].hi
		}
		j++
	}
	if j == i {
		a = append(a, ival{})
		copy(a[i+1:], a[i:])
		a[i] = iv
		return a
	}
	a[i] = iv
	return append(a[:i+1], a[j:]...)
}

func (a vset) intersect(b vset) vset {
	var out vset
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := a[i].lo, a[i].hi
		if cmp(b[j].lo, lo) > 0 {
			lo = b[j].lo
		}
		if cmp(b[j].hi, hi) < 0 {
			hi = b[j].hi
		}
		if cmp(lo, hi) <= 0 {
			out = append(out, ival{lo, hi})
		}
		if cmp(a[i].hi, b[j].hi) < 0 {
			i++
		} else {
			j++
		}
	}
	return out
}

// complement is every value of the key's space [0, top] not in a.
func (a vset) complement(top point) vset {
	var out vset
	var lo point
	open := true
	for _, iv := range a {
		if cmp(iv.lo, lo) > 0 {
			p, _ := prev(iv.lo)
			out = append(out, ival{lo, p})
		}
		n, ok := next(iv.hi)
		if !ok {
			open = false
			break
		}
		lo = n
	}
	if open && cmp(lo, top) <= 0 {
		out = append(out, ival{lo, top})
	}
	return out
}

// value is one constant of a selector with its interval: an address,
// prefix, range, port, interface name (or wildcard), mark, symbol.
type value struct {
	e  translate.Expr
	iv ival
}

// values splits the right side of "key == right" into its constants, or
// says it cannot (a named set, an expression, an unknown symbol).
func (k *key) values(right translate.Expr) ([]value, bool) {
	if s, ok := right.(*translate.SetLit); ok {
		var out []value
		for _, e := range s.Elems {
			if _, nested := e.(*translate.SetLit); nested {
				return nil, false
			}
			vs, ok := k.values(e)
			if !ok {
				return nil, false
			}
			out = append(out, vs...)
		}
		return out, len(out) > 0
	}
	if f, ok := right.(*translate.Flags); ok {
		// A flag list is a bit test; for a key whose values have exactly
		// one bit set (ct state) it is the list of those values.
		if !k.oneBit {
			return nil, false
		}
		var out []value
		for _, n := range f.Names {
			iv, ok := k.interval(&translate.Sym{Name: n})
			if !ok {
				return nil, false
			}
			out = append(out, value{&translate.Sym{Name: n}, iv})
		}
		return out, true
	}
	iv, ok := k.constant(right)
	if !ok {
		return nil, false
	}
	return []value{{right, iv}}, true
}

// constant is the interval of a right side that is one constant (not a
// set literal, not a flag list), or says it is none.
func (k *key) constant(right translate.Expr) (ival, bool) {
	if !single(right) {
		return ival{}, false
	}
	if k.flags && !k.oneBit {
		return ival{}, false // a bare constant of a flag type tests bits
	}
	return k.interval(right)
}

// single reports whether a right side is one constant (values of it are
// at most one value).
func single(right translate.Expr) bool {
	switch right.(type) {
	case *translate.SetLit, *translate.Flags:
		return false
	}
	return true
}

// interval is the interval one constant covers.
func (k *key) interval(e translate.Expr) (ival, bool) {
	switch v := e.(type) {
	case *translate.Range:
		lo, ok1 := k.interval(v.Lo)
		hi, ok2 := k.interval(v.Hi)
		if !ok1 || !ok2 || cmp(lo.lo, hi.hi) > 0 {
			return ival{}, false
		}
		return ival{lo.lo, hi.hi}, true
	case *translate.Int:
		if k.str || k.bits < 64 && v.V>>uint(k.bits) != 0 {
			return ival{}, false
		}
		p := num(v.V)
		return ival{p, p}, true
	case *translate.Sym:
		if k.typ == nil {
			return ival{}, false
		}
		n, ok := k.typ.Symbol(v.Name)
		if !ok || k.bits < 64 && n>>uint(k.bits) != 0 {
			return ival{}, false
		}
		p := num(n)
		return ival{p, p}, true
	case *translate.Str:
		if !k.str || len(v.V) > 16 {
			return ival{}, false
		}
		var lo, hi point
		name, wild := strings.CutSuffix(v.V, "*")
		if v.V == `\*` {
			name, wild = "*", false // nft's escaped literal star
		}
		copy(lo[:], name)
		hi = lo
		if wild {
			for i := len(name); i < 16; i++ {
				hi[i] = 0xff
			}
		}
		return ival{lo, hi}, true
	case *translate.Addr:
		if k.typ != desc.IPv4Addr && k.typ != desc.IPv6Addr && !(k.typ == nil && k.addr) {
			return ival{}, false
		}
		a := v.Prefix.Masked().Addr().AsSlice()
		if len(a)*8 != k.bits {
			return ival{}, false
		}
		var lo point
		copy(lo[16-len(a):], a)
		hi := lo
		for i := v.Prefix.Bits(); i < len(a)*8; i++ {
			hi[16-len(a)+i/8] |= 0x80 >> (i % 8)
		}
		return ival{lo, hi}, true
	case *translate.MAC:
		if k.bits != 48 {
			return ival{}, false
		}
		var p point
		copy(p[10:], v.V[:])
		return ival{p, p}, true
	}
	return ival{}, false
}

// isRange reports whether a value is more than one point (the set that
// holds it needs the interval flag).
func (v value) isRange() bool { return v.iv.lo != v.iv.hi }
