// Package slab hands out values and slices carved from big arrays, so that
// a program making millions of small, long-lived objects of one type (the
// rules of a big ruleset and their statements) makes a few big allocations
// instead: less work for the allocator, no per-object rounding up to a size
// class, and fewer objects for the collector to find.
package slab

// Slab hands out pieces of one array at a time, and another array when it
// is used up; what was handed out before stays where it is, alive as long
// as anything refers to any piece of its array. The zero Slab is ready.
type Slab[T any] struct {
	buf  []T
	n    int
	used [][]T // the arrays used up since the last Reset
	free [][]T // the arrays of before the last Reset, zeroed, to use again
}

// minLen is the length of a slab's first array.
const minLen = 64

// maxLen caps the growth of a slab's arrays, so that the last one wastes
// little.
const maxLen = 4096

// Take returns k zero values, as a slice of length and capacity k (an
// append to it copies it elsewhere, never into another piece).
func (s *Slab[T]) Take(k int) []T {
	if s.n+k > len(s.buf) {
		s.next(k)
	}
	r := s.buf[s.n : s.n+k : s.n+k]
	s.n += k
	return r
}

// next makes the current array one with room for k.
func (s *Slab[T]) next(k int) {
	if s.buf != nil {
		s.used = append(s.used, s.buf)
	}
	s.n = 0
	for len(s.free) > 0 {
		b := s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
		if len(b) >= k {
			s.buf = b
			return
		}
	}
	s.buf = make([]T, max(min(2*len(s.buf), maxLen), k, minLen))
}

// New returns a pointer to one zero value.
func (s *Slab[T]) New() *T { return &s.Take(1)[0] }

// Reset zeroes what was handed out, to hand it out again: nothing may
// refer to it any more. A slab reset after every round of work (a chunk of
// a file) makes its arrays once, in the first rounds.
func (s *Slab[T]) Reset() {
	clear(s.buf[:s.n])
	s.n = 0
	for _, b := range s.used {
		clear(b)
		s.free = append(s.free, b)
	}
	s.used = s.used[:0]
}

// Forget drops the slab's hold on the arrays it used up, so that each goes
// as soon as nothing else refers to it: for values let go piece by piece
// (a big translation rendered a chain at a time), in a slab that is not
// Reset afterwards (a forgotten array is not used again).
func (s *Slab[T]) Forget() {
	clear(s.used)
	s.used = s.used[:0]
}
