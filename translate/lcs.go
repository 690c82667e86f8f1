package translate

import "sort"

// lcsPairs returns the index pairs (i, j), ascending, of a longest common
// subsequence of a and b, where "" equals nothing (not even ""). The common
// prefix and suffix are taken first; the rest is Hunt-Szymanski, in time
// O((n + r) log n) for r pairs of equal elements, which is small for rule
// lists (two families' rules are mostly distinct or mostly alike). When r
// is large (many equal rules in both), only the elements that occur once
// in each middle are paired: still a common subsequence, so the merge
// stays correct, only perhaps not the longest.
func lcsPairs(a, b []string) [][2]int {
	var out [][2]int
	lo := 0
	for lo < len(a) && lo < len(b) && a[lo] != "" && a[lo] == b[lo] {
		out = append(out, [2]int{lo, lo})
		lo++
	}
	ha, hb := len(a), len(b)
	for ha > lo && hb > lo && a[ha-1] != "" && a[ha-1] == b[hb-1] {
		ha, hb = ha-1, hb-1
	}
	out = append(out, hunt(a[lo:ha], b[lo:hb], lo)...)
	for k := 0; ha+k < len(a); k++ {
		out = append(out, [2]int{ha + k, hb + k})
	}
	return out
}

// maxPairs bounds the equal pairs hunt examines (beyond it: unique
// elements only).
const maxPairs = 1 << 22

// hunt is Hunt-Szymanski on a and b, indexes offset by off.
func hunt(a, b []string, off int) [][2]int {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	at := map[string][]int{}
	for j, k := range b {
		if k != "" {
			at[k] = append(at[k], j)
		}
	}
	r := 0
	for _, k := range a {
		r += len(at[k])
	}
	if r > maxPairs {
		inA := map[string]int{}
		for _, k := range a {
			inA[k]++
		}
		for k, js := range at {
			if len(js) != 1 || inA[k] != 1 {
				delete(at, k)
			}
		}
	}
	type node struct {
		i, j int
		prev *node
	}
	// thresh[k] is the smallest j that ends a common subsequence of
	// length k+1; last[k] its node.
	var thresh []int
	var last []*node
	for i, k := range a {
		js := at[k]
		for x := len(js) - 1; x >= 0; x-- { // descending j: one pair per i
			j := js[x]
			n := sort.SearchInts(thresh, j)
			if n < len(thresh) && thresh[n] == j {
				continue // no shorter end for this length
			}
			var prev *node
			if n > 0 {
				prev = last[n-1]
			}
			nd := &node{i, j, prev}
			if n == len(thresh) {
				thresh, last = append(thresh, j), append(last, nd)
			} else {
				thresh[n], last[n] = j, nd
			}
		}
	}
	if len(last) == 0 {
		return nil
	}
	out := make([][2]int, len(last))
	for n, k := last[len(last)-1], len(last)-1; n != nil; n, k = n.prev, k-1 {
		out[k] = [2]int{n.i + off, n.j + off}
	}
	return out
}
