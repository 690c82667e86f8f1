package live

// hunk is a run of lines removed (indexes into the live lines) and added
// (indexes into the new ones) between lines both keep.
type hunk struct{ del, ins []int }

// maxEdits bounds the search for the shortest edit script: beyond it (a
// chain rewritten wholesale) the lines between the common head and tail
// are reported as removed and added, true but not minimal. The search
// keeps O(maxEdits²) words.
const maxEdits = 2000

// hunks compares two sequences of lines by the shortest edit script
// (Myers' O(ND) algorithm) after their common head and tail.
func hunks(a, b []string) []hunk {
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
		h := hunk{}
		for i := range A {
			h.del = append(h.del, p+i)
		}
		for j := range B {
			h.ins = append(h.ins, p+j)
		}
		return []hunk{h}
	}
	var out []hunk
	var cur *hunk
	for _, o := range ops {
		switch o.kind {
		case '=':
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, hunk{})
			cur = &out[len(out)-1]
		}
		if o.kind == '-' {
			cur.del = append(cur.del, p+o.i)
		} else {
			cur.ins = append(cur.ins, p+o.j)
		}
	}
	return out
}

type op struct {
	kind byte // '=', '-' (a[i] removed), '+' (b[j] added)
	i, j int
}

// myers returns the edit script from a to b in order, or ok false when it
// needs more than maxEdits edits.
func myers(a, b []string) ([]op, bool) {
	n, m := len(a), len(b)
	max := n + m
	v := make([]int32, 2*max+3)
	off := max + 1
	var trace [][]int32 // trace[d]: v before step d, for k in [-d-1, d+1]
	found := -1
	for d := 0; d <= max && d <= maxEdits; d++ {
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
