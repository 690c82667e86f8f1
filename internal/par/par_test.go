package par

import (
	"strconv"
	"sync/atomic"
	"testing"
)

func TestRangesCover(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 1001} {
		for _, min := range []int{0, 50, 2000} {
			seen := make([]atomic.Int32, n)
			last := make([]int, Parts(n, min))
			Ranges(n, min, func(part, lo, hi int) {
				if lo >= hi && n > 0 {
					t.Errorf("n %d: part %d empty", n, part)
				}
				last[part] = hi
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if seen[i].Load() != 1 {
					t.Fatalf("n %d min %d: item %d seen %d times", n, min, i, seen[i].Load())
				}
			}
			if len(last) > 0 && last[len(last)-1] != n {
				t.Errorf("n %d: last part ends at %d", n, last[len(last)-1])
			}
		}
	}
}

func TestEachOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 50} {
		seen := make([]atomic.Int32, n)
		Each(n, func(i int) { seen[i].Add(1) })
		for i := range seen {
			if seen[i].Load() != 1 {
				t.Fatalf("n %d: item %d seen %d times", n, i, seen[i].Load())
			}
		}
	}
}

func TestTryFirstError(t *testing.T) {
	bad := map[int]bool{30: true, 900: true}
	err := Try(1000, 10, func(_, lo, hi int) error {
		for i := lo; i < hi; i++ {
			if bad[i] {
				return errAt(i)
			}
		}
		return nil
	})
	if err == nil || err.Error() != "item 30" {
		t.Fatalf("got %v, want the error at item 30", err)
	}
	if err := Try(1000, 10, func(_, lo, hi int) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

type errAt int

func (e errAt) Error() string { return "item " + strconv.Itoa(int(e)) }
