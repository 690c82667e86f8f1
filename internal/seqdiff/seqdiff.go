// Package seqdiff compares two sequences by the shortest edit script
// (Myers' O(ND) algorithm): which elements of the first are removed and
// which of the second added, in runs (hunks) between the elements both
// keep. Plans compare the rules of a chain with it, a re-apply the digests
// of a chain's live rules with those of the new ones.
package seqdiff

// Hunk is a run of elements removed (Del: indexes into a) and added (Ins:
// indexes into b) between elements both keep. A and B are where it starts
// in a and in b: a hunk that only adds puts its elements before a[A].
type Hunk struct {
	Del, Ins []int
	A, B     int
}

// MaxEdits bounds the search for the shortest edit script: beyond it (a
// chain rewritten wholesale) the lines between the common head and tail
// are reported as removed and added, true but not minimal. The search
// keeps O(maxEdits²) words.
const MaxEdits = 2000

// Hunks compares a and b by the shortest edit script after their common
// head and tail.
func Hunks[T comparable](a, b []T) []Hunk {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	A, B := a[p:len(a)-s], b[p:len(b)-s]
	if len(A) == 0 && len(B) == 0 {
		return nil
	}
	ops, ok := myers(A, B)
	if !ok {
		h := Hunk{A: p, B: p}
		for i := range A {
			h.Del = append(h.Del, p+i)
		}
		for j := range B {
			h.Ins = append(h.Ins, p+j)
		}
		return []Hunk{h}
	}
	var out []Hunk
	var cur *Hunk
	for _, o := range ops {
		switch o.kind {
		case '=':
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, Hunk{A: p + o.i, B: p + o.j})
			cur = &out[len(out)-1]
		}
		if o.kind == '-' {
			cur.Del = append(cur.Del, p+o.i)
		} else {
			cur.Ins = append(cur.Ins, p+o.j)
		}
	}
	return out
}

type op struct {
	kind byte // '=', '-' (a[i] removed), '+' (b[j] added)
	i, j int
}

// myers returns the edit script from a to b in order, or ok false when it
// needs more than MaxEdits edits.
func myers[T comparable](a, b []T) ([]op, bool) {
	n, m := len(a), len(b)
	max := n + m
	v := make([]int32, 2*max+3)
	off := max + 1
	var trace [][]int32 // trace[d]: v before step d, for k in [-d-1, d+1]
	found := -1
	for d := 0; d <= max && d <= MaxEdits; d++ {
		trace = append(trace, append([]int32(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = int(v[off+k+1]) // down: an insertion
			} else {
				x = int(v[off+k-1]) + 1 // right: a deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = int32(x)
			if x >= n && y >= m {
				found = d
				break
			}
		}
		if found >= 0 {
			break
		}
	}
	if found < 0 {
		return nil, false
	}
	var rev []op
	x, y := n, m
	for d := found; d >= 0; d-- {
		t := trace[d]
		at := func(k int) int { return int(t[k+d+1]) }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := 0
		if d > 0 {
			px = at(pk)
		}
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, op{'=', x, y})
		}
		if d > 0 {
			if x == px {
				y--
				rev = append(rev, op{'+', x, y})
			} else {
				x--
				rev = append(rev, op{'-', x, y})
			}
		}
		x, y = px, py
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev, true
}
