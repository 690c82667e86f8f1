// Package par runs the parts of a big loop on the machine's processors.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Ranges calls f(part, lo, hi) for consecutive ranges that cover [0, n),
// each in a goroutine of its own, one per processor (GOMAXPROCS, at most
// 8), and returns when all have; below least items it calls f(0, 0, n)
// alone. Part i covers the i-th slice of [0, n).
func Ranges(n, least int, f func(part, lo, hi int)) {
	parts := Parts(n, least)
	if parts == 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range parts {
		lo, hi := i*n/parts, (i+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, lo, hi)
		}()
	}
	wg.Wait()
}

// Parts is the number of ranges Ranges makes of n items.
func Parts(n, least int) int {
	p := runtime.GOMAXPROCS(0)
	if n < least || n < 2 || p < 2 {
		return 1
	}
	return min(p, 8, n)
}

// Each calls f(i) for every i in [0, n), on as many goroutines as there
// are processors, each taking the next i when done with one (items of
// very different sizes: give the biggest the smallest i). It returns when
// all have.
func Each(n int, f func(i int)) {
	workers := Parts(n, 2)
	if workers == 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// Try is Ranges for parts that may fail: each part stops at its first
// error, and Try returns the error of the first part that failed (the
// first error in [0, n)'s order, when each part fails at its first bad
// item).
func Try(n, least int, f func(part, lo, hi int) error) error {
	errs := make([]error, Parts(n, least))
	Ranges(n, least, func(part, lo, hi int) { errs[part] = f(part, lo, hi) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
