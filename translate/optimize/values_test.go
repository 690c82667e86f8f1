package optimize

import (
	"math/rand/v2"
	"testing"
)

// bits is a value set over 0..63 as a bitmap, the model vsets are checked
// against.
func bitsOf(s vset) uint64 {
	var b uint64
	for _, iv := range s {
		for v := iv.lo[15]; ; v++ {
			b |= 1 << v
			if v == iv.hi[15] {
				break
			}
		}
	}
	return b
}

func randSet(r *rand.Rand) ([]ival, uint64) {
	var ivs []ival
	var b uint64
	for n := r.IntN(4); n > 0; n-- {
		lo := r.Uint64N(64)
		hi := lo + r.Uint64N(64-lo)
		if r.IntN(2) == 0 {
			hi = lo
		}
		ivs = append(ivs, ival{num(lo), num(hi)})
		for v := lo; v <= hi; v++ {
			b |= 1 << v
		}
	}
	return ivs, b
}

// TestValueSets checks normalize, union, insert, intersect, complement and
// disjoint against bitmaps on random sets of 0..63.
func TestValueSets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	top := num(63)
	for i := 0; i < 20000; i++ {
		ai, ab := randSet(r)
		bi, bb := randSet(r)
		a, b := normalize(ai), normalize(bi)
		if bitsOf(a) != ab || bitsOf(b) != bb {
			t.Fatalf("normalize(%v) = %v", ai, a)
		}
		for j := 1; j < len(a); j++ {
			if n, _ := next(a[j-1].hi); cmp(n, a[j].lo) >= 0 {
				t.Fatalf("normalize(%v) = %v: not merged", ai, a)
			}
		}
		if got := bitsOf(append(vset(nil), a...).union(b)); got != ab|bb {
			t.Fatalf("%v ∪ %v: got %x want %x", a, b, got, ab|bb)
		}
		if got := bitsOf(a.intersect(b)); got != ab&bb {
			t.Fatalf("%v ∩ %v: got %x want %x", a, b, got, ab&bb)
		}
		if got := bitsOf(a.complement(top)); got != ^ab {
			t.Fatalf("complement %v: got %x want %x", a, got, ^ab)
		}
		if a.disjoint(b) != (ab&bb == 0) {
			t.Fatalf("disjoint(%v, %v) = %v", a, b, a.disjoint(b))
		}
	}
}
