//go:build linux

package nstest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
)

// Churn commits batches of batch short-lived IPv4 elements (10.200.0.0/16,
// each living 300 ms) into a set of a table of the namespace, one batch
// every period, until the test ends: the set loses elements all the time
// (the kernel's garbage collector removes them about a second after they
// expire) and the ruleset generation keeps changing. The set needs flags
// timeout. A period much under 100 ms starves the garbage collector (it
// gives up a run when a commit comes meanwhile).
func (ns *NS) Churn(t testing.TB, table, set string, batch int, period time.Duration) {
	t.Helper()
	f, err := os.Open("/run/netns/" + ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())))
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	// HasTimeout: google/nftables sends element timeouts only for a set
	// that says it has them.
	s := &nftables.Set{Table: &nftables.Table{Name: table, Family: nftables.TableFamilyIPv4}, Name: set, HasTimeout: true}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var cerr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(period):
			}
			els := make([]nftables.SetElement, batch)
			for j := range els {
				k := (i*batch + j) % 65536
				els[j] = nftables.SetElement{Key: []byte{10, 200, byte(k >> 8), byte(k)}, Timeout: 300 * time.Millisecond}
			}
			if err := c.SetAddElements(s, els); err == nil {
				err = c.Flush()
			}
			if err != nil {
				cerr = fmt.Errorf("churn in set %s: %w", set, err)
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
		f.Close()
		if cerr != nil {
			t.Error(cerr)
		}
	})
}
