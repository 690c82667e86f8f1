//go:build linux

package main

import (
	"net/netip"
	"os/exec"
	"testing"
	"time"
)

// TestPrivilegedMigrateGuardFlood: an address the SSH guard has blocked
// floods it (a handshake every 500 µs, so that several of its packets are
// in the rules at once, on both CPUs): iptables-legacy drops every one,
// and so must the translation once migrated. xt_recent runs a match under
// its lock; nft runs each set operation atomically but not the ring's
// event as a whole, and with the pointer deleted before the next one was
// added, a check between the two found no pointer and let the packet
// through (347 of 5,566 here; recentset.Advance, TestEventInterleavedCheck).
func TestPrivilegedMigrateGuardFlood(t *testing.T) {
	bin := xtBinaryOrSkip(t)
	l := newMigrateLab(t, "mgf")
	l.listen(l.fw, "0.0.0.0:22")
	tcp := func(src string) bool {
		ok, _ := l.tcpProbe(netip.MustParseAddr(src), netip.MustParseAddrPort("10.1.0.1:22"), 800*time.Millisecond)
		return ok
	}
	flood := func(firewall, src string) {
		t.Helper()
		for i, want := range []bool{true, true, true, false} {
			if got := tcp(src); got != want {
				t.Fatalf("%s: %s: attempt %d: connected %v, want %v", firewall, src, i+1, got, want)
			}
		}
		stop := make(chan struct{})
		res := stream(500*time.Microsecond, stop, func(int) bool { return tcp(src) })
		time.Sleep(2 * time.Second)
		close(stop)
		rs := res()
		passed := 0
		for _, r := range rs {
			if r.ok {
				passed++
			}
		}
		t.Logf("%s: %d of %d handshakes from the blocked address completed", firewall, passed, len(rs))
		if passed > 0 {
			t.Errorf("%s: %d of %d handshakes from a blocked address completed", firewall, passed, len(rs))
		}
	}
	flood("iptables-legacy", "10.1.0.66")
	if out, err := exec.Command(bin, "migrate", "--netns", l.fw.Name).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	flood("nft", "10.1.0.67")
}
