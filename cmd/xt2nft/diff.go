package main

import (
	"fmt"
	"strings"
)

// unifiedDiff returns a line-based unified diff that turns a into b, in the
// format of `diff -u` (without timestamps in the file header lines):
//
//	--- aName
//	+++ bName
//	@@ -l,s +l,s @@
//	 context
//	-removed
//	+added
//
// with context lines of context around each change (negative means 0).
// Hunks whose contexts touch or overlap are merged. A last line without a
// trailing newline is followed by "\ No newline at end of file", and is
// different from the same line with a newline, as in GNU diff. The result is
// "" when a and b are equal.
//
// The edit script is computed with Myers' O(ND) algorithm in linear space
// (divide and conquer on the middle snake) after setting aside lines that
// occur on one side only and trimming the common prefix and suffix; when the number of differences in a sub-problem becomes very
// large it settles for a non-minimal split, as GNU diff does, so that
// completely different inputs still take O(N·sqrt N) rather than O(N²).
func unifiedDiff(aName, bName string, a, b []byte, context int) string {
	if string(a) == string(b) {
		return ""
	}
	if context < 0 {
		context = 0
	}
	al, bl := udiffSplit(a), udiffSplit(b)
	ax, bx := udiffIntern(al, bl)
	ch := udiffCompute(ax, bx, 0)
	if len(ch) == 0 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	for i := 0; i < len(ch); {
		// A hunk is a run of changes whose contexts touch or overlap.
		j := i + 1
		for j < len(ch) && ch[j].a0-ch[j-1].a1 <= 2*context {
			j++
		}
		first, last := ch[i], ch[j-1]
		pre := min(context, first.a0)
		a0, b0 := first.a0-pre, first.b0-pre
		post := min(context, len(al)-last.a1)
		a1, b1 := last.a1+post, last.b1+post
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", udiffRange(a0, a1), udiffRange(b0, b1))
		ai, bi := a0, b0
		for _, c := range ch[i:j] {
			for ; ai < c.a0; ai, bi = ai+1, bi+1 {
				udiffLine(&sb, ' ', al[ai])
			}
			for ; ai < c.a1; ai++ {
				udiffLine(&sb, '-', al[ai])
			}
			for ; bi < c.b1; bi++ {
				udiffLine(&sb, '+', bl[bi])
			}
		}
		for ; ai < a1; ai++ {
			udiffLine(&sb, ' ', al[ai])
		}
		i = j
	}
	return sb.String()
}

// udiffRange formats the half-open 0-based line range [lo,hi) the way GNU
// diff does in unified hunk headers: "l,s", "l" when s is 1, and for an empty
// range the number of the line before it followed by ",0".
func udiffRange(lo, hi int) string {
	switch n := hi - lo; n {
	case 0:
		return fmt.Sprintf("%d,0", lo)
	case 1:
		return fmt.Sprint(lo + 1)
	default:
		return fmt.Sprintf("%d,%d", lo+1, n)
	}
}

func udiffLine(sb *strings.Builder, prefix byte, line string) {
	sb.WriteByte(prefix)
	sb.WriteString(line)
	if !strings.HasSuffix(line, "\n") {
		sb.WriteString("\n\\ No newline at end of file\n")
	}
}

// udiffSplit splits s into lines, each keeping its "\n"; only the last one
// may lack it.
func udiffSplit(s []byte) []string {
	if len(s) == 0 {
		return nil
	}
	str := string(s)
	n := strings.Count(str, "\n")
	if !strings.HasSuffix(str, "\n") {
		n++
	}
	lines := make([]string, 0, n)
	for len(str) > 0 {
		i := strings.IndexByte(str, '\n')
		if i < 0 {
			lines = append(lines, str)
			break
		}
		lines = append(lines, str[:i+1])
		str = str[i+1:]
	}
	return lines
}

// udiffIntern maps equal lines to equal small integers so that the diff
// compares ints, not strings.
func udiffIntern(a, b []string) (ax, bx []int32) {
	ids := make(map[string]int32, len(a))
	conv := func(lines []string) []int32 {
		x := make([]int32, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = int32(len(ids))
				ids[l] = id
			}
			x[i] = id
		}
		return x
	}
	return conv(a), conv(b)
}

// udiffChange says that lines a[a0:a1] are replaced by b[b0:b1]; at least
// one of the ranges is non-empty.
type udiffChange struct{ a0, a1, b0, b1 int }

// udiffCompute returns the changes that turn a into b, in order.
// tooExpensive bounds the edit distance explored for one split before a
// heuristic split is taken (0 picks a default from the input size).
func udiffCompute(a, b []int32, tooExpensive int) []udiffChange {
	if tooExpensive <= 0 {
		// As GNU diff: about sqrt(N+M) scaled, but at least 4096.
		tooExpensive = 1
		for d := len(a) + len(b) + 3; d != 0; d >>= 2 {
			tooExpensive <<= 1
		}
		tooExpensive = max(tooExpensive, 4096)
	}
	// A line that does not occur on the other side is in every edit
	// script: leave those out of the search (which keeps it minimal) and
	// mark them changed directly. This makes unrelated inputs cheap.
	delA, insB := make([]bool, len(a)), make([]bool, len(b))
	na, nb := 0, 0
	for _, id := range a {
		na = max(na, int(id)+1)
	}
	for _, id := range b {
		nb = max(nb, int(id)+1)
	}
	inA, inB := make([]bool, max(na, nb)), make([]bool, max(na, nb))
	for _, id := range a {
		inA[id] = true
	}
	for _, id := range b {
		inB[id] = true
	}
	filter := func(x []int32, other []bool, changed []bool) (kept []int32, idx []int) {
		for i, id := range x {
			if other[id] {
				kept = append(kept, id)
				idx = append(idx, i)
			} else {
				changed[i] = true
			}
		}
		return kept, idx
	}
	fa, ia := filter(a, inB, delA)
	fb, ib := filter(b, inA, insB)

	m := &udiffMyers{
		a: fa, b: fb,
		delA: make([]bool, len(fa)),
		insB: make([]bool, len(fb)),
		fd:   make([]int, len(fa)+len(fb)+3),
		bd:   make([]int, len(fa)+len(fb)+3),
		off:  len(fb) + 1,
		lim:  tooExpensive,
	}
	m.compare(0, len(fa), 0, len(fb))
	for i, d := range m.delA {
		delA[ia[i]] = d
	}
	for j, d := range m.insB {
		insB[ib[j]] = d
	}

	var ch []udiffChange
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if i < len(a) && j < len(b) && !delA[i] && !insB[j] {
			i, j = i+1, j+1
			continue
		}
		c := udiffChange{a0: i, b0: j}
		for i < len(a) && delA[i] {
			i++
		}
		for j < len(b) && insB[j] {
			j++
		}
		c.a1, c.b1 = i, j
		ch = append(ch, c)
	}
	return ch
}

type udiffMyers struct {
	a, b       []int32
	delA, insB []bool // lines of a deleted, lines of b inserted
	fd, bd     []int  // furthest x on each diagonal x-y, indexed by diagonal+off
	off        int
	lim        int
}

// compare marks the differences between a[aLo:aHi] and b[bLo:bHi].
func (m *udiffMyers) compare(aLo, aHi, bLo, bHi int) {
	for {
		for aLo < aHi && bLo < bHi && m.a[aLo] == m.b[bLo] {
			aLo, bLo = aLo+1, bLo+1
		}
		for aLo < aHi && bLo < bHi && m.a[aHi-1] == m.b[bHi-1] {
			aHi, bHi = aHi-1, bHi-1
		}
		if aLo == aHi || bLo == bHi {
			for i := aLo; i < aHi; i++ {
				m.delA[i] = true
			}
			for j := bLo; j < bHi; j++ {
				m.insB[j] = true
			}
			return
		}
		x, y := m.split(aLo, aHi, bLo, bHi)
		if (x == aLo && y == bLo) || (x == aHi && y == bHi) || x < aLo || x > aHi || y < bLo || y > bHi {
			// Cannot happen; never loop forever if it does.
			for i := aLo; i < aHi; i++ {
				m.delA[i] = true
			}
			for j := bLo; j < bHi; j++ {
				m.insB[j] = true
			}
			return
		}
		// Recurse on the smaller half, iterate on the other.
		if (x-aLo)+(y-bLo) < (aHi-x)+(bHi-y) {
			m.compare(aLo, x, bLo, y)
			aLo, bLo = x, y
		} else {
			m.compare(x, aHi, y, bHi)
			aHi, bHi = x, y
		}
	}
}

// split finds a point (x, y) on an optimal (or, past m.lim edit steps, a
// good) edit path through a[aLo:aHi] × b[bLo:bHi], by searching forward from
// the top left and backward from the bottom right until the paths meet
// (Myers 1986, section 4b; the structure follows GNU diffseq.h). The common
// prefix and suffix have been trimmed and both ranges are non-empty.
func (m *udiffMyers) split(aLo, aHi, bLo, bHi int) (int, int) {
	a, b, o := m.a, m.b, m.off
	fd, bd := m.fd, m.bd
	const maxInt = int(^uint(0) >> 1)
	dmin, dmax := aLo-bHi, aHi-bLo
	fmid, bmid := aLo-bLo, aHi-bHi
	fmin, fmax, bmin, bmax := fmid, fmid, bmid, bmid
	odd := (fmid-bmid)&1 != 0
	fd[o+fmid] = aLo
	bd[o+bmid] = aHi
	for c := 1; ; c++ {
		// Extend the forward search by one edit step on each diagonal.
		if fmin > dmin {
			fmin--
			fd[o+fmin-1] = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			fd[o+fmax+1] = -1
		} else {
			fmax--
		}
		for d := fmax; d >= fmin; d -= 2 {
			tlo, thi := fd[o+d-1], fd[o+d+1]
			x := tlo + 1
			if tlo < thi {
				x = thi
			}
			y := x - d
			for x < aHi && y < bHi && a[x] == b[y] {
				x, y = x+1, y+1
			}
			fd[o+d] = x
			if odd && bmin <= d && d <= bmax && bd[o+d] <= x {
				return x, y
			}
		}
		// And the backward search.
		if bmin > dmin {
			bmin--
			bd[o+bmin-1] = maxInt
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			bd[o+bmax+1] = maxInt
		} else {
			bmax--
		}
		for d := bmax; d >= bmin; d -= 2 {
			tlo, thi := bd[o+d-1], bd[o+d+1]
			x := thi - 1
			if tlo < thi {
				x = tlo
			}
			y := x - d
			for aLo < x && bLo < y && a[x-1] == b[y-1] {
				x, y = x-1, y-1
			}
			bd[o+d] = x
			if !odd && fmin <= d && d <= fmax && x <= fd[o+d] {
				return x, y
			}
		}

		if c < m.lim {
			continue
		}
		// Too expensive: take the forward diagonal that got furthest
		// (maximal x+y) or the backward one that did (minimal x+y),
		// whichever made more progress.
		fxy, fx := -1, 0
		for d := fmax; d >= fmin; d -= 2 {
			x := min(fd[o+d], aHi)
			y := x - d
			if y > bHi {
				x, y = bHi+d, bHi
			}
			if x+y > fxy {
				fxy, fx = x+y, x
			}
		}
		bxy, bx := maxInt, 0
		for d := bmax; d >= bmin; d -= 2 {
			x := max(bd[o+d], aLo)
			y := x - d
			if y < bLo {
				x, y = bLo+d, bLo
			}
			if x+y < bxy {
				bxy, bx = x+y, x
			}
		}
		if (aHi+bHi)-bxy < fxy-(aLo+bLo) {
			return fx, fxy - fx
		}
		return bx, bxy - bx
	}
}
