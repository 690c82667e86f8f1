package seqdiff

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// replay applies hunks to a as a re-apply does (removing a's elements,
// inserting b's before a[A+len(Del)]): it must give b, and each hunk's B
// must be where its first addition lands.
func replay(a, b []string, hs []Hunk) []string {
	var out []string
	i := 0
	for _, h := range hs {
		out = append(out, a[i:h.A]...)
		if len(h.Del) > 0 && h.Del[0] != h.A || len(h.Ins) > 0 && h.Ins[0] != h.B || len(out) != h.B {
			return nil
		}
		i = h.A + len(h.Del)
		for _, j := range h.Ins {
			out = append(out, b[j])
		}
	}
	return append(out, a[i:]...)
}

func TestHunksRebuildTheNewLines(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "d", "e"}
	gen := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = words[r.IntN(len(words))]
		}
		return s
	}
	for trial := 0; trial < 2000; trial++ {
		a, b := gen(r.IntN(12)), gen(r.IntN(12))
		hs := Hunks(a, b)
		got := replay(a, b, hs)
		if fmt.Sprint(got) != fmt.Sprint(b) {
			t.Fatalf("a=%v b=%v hunks=%v: replay gives %v", a, b, hs, got)
		}
		// Minimal: the edits are no more than the LCS bound.
		edits := 0
		for _, h := range hs {
			edits += len(h.Del) + len(h.Ins)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("a=%v b=%v: %d edits, the shortest script has %d", a, b, edits, want)
		}
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = 1 + dp[i+1][j+1]
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestHunksBeyondTheBound(t *testing.T) {
	var a, b []string
	for i := 0; i < 3*MaxEdits; i++ {
		a = append(a, fmt.Sprint("old", i))
		b = append(b, fmt.Sprint("new", i))
	}
	a = append([]string{"same"}, a...)
	b = append([]string{"same"}, b...)
	hs := Hunks(a, b)
	if len(hs) != 1 || len(hs[0].Del) != 3*MaxEdits || len(hs[0].Ins) != 3*MaxEdits || hs[0].Del[0] != 1 {
		t.Fatalf("a wholesale rewrite: %d hunks", len(hs))
	}
	if got := replay(a, b, hs); fmt.Sprint(got) != fmt.Sprint(b) {
		t.Fatal("replay differs")
	}
}
