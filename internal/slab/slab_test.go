package slab

import "testing"

func TestTake(t *testing.T) {
	var s Slab[int]
	a := s.Take(3)
	b := s.Take(2)
	if len(a) != 3 || cap(a) != 3 || len(b) != 2 || cap(b) != 2 {
		t.Fatalf("len/cap %d/%d %d/%d, want 3/3 2/2", len(a), cap(a), len(b), cap(b))
	}
	a = append(a, 7) // must not write into b
	if b[0] != 0 {
		t.Fatalf("an append to one piece wrote into the next")
	}
	big := s.Take(10 * maxLen)
	if len(big) != 10*maxLen {
		t.Fatalf("a piece larger than an array: len %d", len(big))
	}
	p := s.New()
	*p = 5
	s.Reset()
	if q := s.New(); *q != 0 || q != p {
		t.Fatalf("after Reset: %d at %p, want 0 at %p", *q, q, p)
	}
}

// TestReuse checks that a slab reset after every round makes no arrays
// once it has made those of its largest round.
func TestReuse(t *testing.T) {
	var s Slab[[4]int]
	round := func() {
		for i := 0; i < 3*maxLen; i++ {
			s.New()[0] = i + 1
		}
		s.Reset()
	}
	round()
	if n := testing.AllocsPerRun(10, round); n != 0 {
		t.Errorf("%v allocations a round after the first, want 0", n)
	}
	if v := s.New()[0]; v != 0 {
		t.Errorf("a value handed out again is %d, not zero", v)
	}
}
