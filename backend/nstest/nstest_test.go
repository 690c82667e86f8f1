//go:build linux

package nstest

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

// TestPrivilegedSweep leaves a namespace as a killed run would (named for a
// process that does not exist) beside one of a live process, and checks
// that New removes the first and keeps the second.
func TestPrivilegedSweep(t *testing.T) {
	Skip(t)
	stale, live := "xt2nft-sweep-2147483647-1", "xt2nft-sweep-1-1" // no pid 2^31-1; pid 1 is init
	for _, n := range []string{stale, live} {
		if out, err := exec.Command("ip", "netns", "add", n).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", n, err, out)
		}
	}
	defer exec.Command("ip", "netns", "del", live).Run()
	defer exec.Command("ip", "netns", "del", stale).Run()
	sweep = sync.Once{} // sweep again, whatever ran before in this process
	New(t, "sweep")
	if _, err := os.Stat("/run/netns/" + stale); !os.IsNotExist(err) {
		t.Errorf("%s (no such process) was not removed: %v", stale, err)
	}
	if _, err := os.Stat("/run/netns/" + live); err != nil {
		t.Errorf("%s (a live process) was removed: %v", live, err)
	}
}
