package nlraw

import (
	"testing"
	"time"

	"github.com/google/nftables"
)

// TestPassExact: a pass is proved complete only by equal counts around it
// and as many elements; without counts, by an unchanged generation and no
// element twice.
func TestPassExact(t *testing.T) {
	three := []Elem{{Key: []byte{1}}, {Key: []byte{2}}, {Key: []byte{3}}}
	counted := func(before, after int) *pass {
		return &pass{before: SetInfo{Count: before, gen: 1}, after: SetInfo{Count: after, gen: 2}, elems: three, gens: map[uint16]bool{1: true, 2: true}}
	}
	uncounted := func(g1, g2 uint16, gens map[uint16]bool, dups int) *pass {
		return &pass{before: SetInfo{Count: -1, gen: g1}, after: SetInfo{Count: -1, gen: g2}, elems: three, gens: gens, dups: dups}
	}
	for _, c := range []struct {
		name string
		p    *pass
		want bool
	}{
		{"counts agree (the generation changing elsewhere does not matter)", counted(3, 3), true},
		{"one element missed", counted(4, 4), false},
		{"an element left meanwhile", counted(4, 3), false},
		{"an element came meanwhile", counted(3, 4), false},
		{"no counts, nothing changed", uncounted(5, 5, map[uint16]bool{5: true}, 0), true},
		{"no counts, a commit meanwhile", uncounted(5, 6, map[uint16]bool{5: true}, 0), false},
		{"no counts, a commit between chunks", uncounted(5, 5, map[uint16]bool{5: true, 6: true}, 0), false},
		{"no counts, an element twice", uncounted(5, 5, map[uint16]bool{5: true}, 1), false},
	} {
		if got := c.p.exact(); got != c.want {
			t.Errorf("%s: exact %v, want %v", c.name, got, c.want)
		}
	}
	p := counted(3, 3)
	p.intr = true
	if p.exact() {
		t.Error("a pass the kernel flagged NLM_F_DUMP_INTR counted as exact")
	}
	p = counted(3, 3)
	p.after.Handle = 9
	if p.exact() {
		t.Error("a pass across a set replaced by another of the same name counted as exact")
	}
}

// TestRefreshedBefore: an element's age is its timeout minus its time
// left, its own timeout when it has one.
func TestRefreshedBefore(t *testing.T) {
	s := &nftables.Set{Timeout: time.Hour}
	at := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		e    Elem
		t    time.Time
		want bool
	}{
		{Elem{Expires: time.Hour - 10*time.Second}, at.Add(-5 * time.Second), true},              // refreshed 10 s ago
		{Elem{Expires: time.Hour - 2*time.Second}, at.Add(-5 * time.Second), false},              // 2 s ago: after t
		{Elem{Timeout: time.Minute, Expires: 30 * time.Second}, at.Add(-20 * time.Second), true}, // its own timeout: 30 s ago
		{Elem{Timeout: time.Minute, Expires: 50 * time.Second}, at.Add(-20 * time.Second), false},
		{Elem{}, at, true}, // no timeout: as old as any
	} {
		if got := refreshedBefore(c.e, s, at, c.t); got != c.want {
			t.Errorf("%+v before %v: %v, want %v", c.e, c.t.Sub(at), got, c.want)
		}
	}
}
