//go:build linux

package translate_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
)

// countSide is one way of loading rules that only count (no target) into
// a lab: iptables-legacy's (legacy, v6 for ip6tables) or nft's.
type countSide struct {
	name       string
	legacy, v6 bool
	load       func(l *lab.Lab) error
}

// matchRows sends the probes, in order, through a lab per side (in
// parallel) holding a chain of n rules that only count, and says for each
// side, probe and rule whether the rule matched the probe: rows[side][k][i].
// One packet meets every rule, so the counters after each probe tell
// which rules it matched; this costs a counter read per probe, where a
// probe per rule and fate costs a lab per rule.
func matchRows(t *testing.T, sides []countSide, n int, probes []lab.Probe) [][][]bool {
	t.Helper()
	rows := make([][][]bool, len(sides))
	errs := make([]error, len(sides))
	var wg sync.WaitGroup
	for s, side := range sides {
		l := lab.New(t, inetTopo())
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[s] = func() error {
				counts := func() ([]int64, error) {
					var c lab.Counters
					var err error
					if side.legacy {
						c, err = l.IPTablesCounters(side.v6)
					} else {
						c, err = l.NFTCounters()
					}
					if err != nil {
						return nil, err
					}
					for _, v := range c {
						if len(v) == n {
							return v, nil
						}
					}
					return nil, fmt.Errorf("no chain of %d rules in %v", n, c)
				}
				if err := side.load(l); err != nil {
					return err
				}
				before, err := counts()
				if err != nil {
					return err
				}
				for k, p := range probes {
					if _, err := l.Send(p); err != nil {
						return fmt.Errorf("probe %d: %v", k, err)
					}
					after, err := counts()
					if err != nil {
						return err
					}
					row := make([]bool, n)
					for i := range row {
						row[i] = after[i] > before[i]
					}
					rows[s] = append(rows[s], row)
					before = after
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	for s, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", sides[s].name, err)
		}
	}
	return rows
}
