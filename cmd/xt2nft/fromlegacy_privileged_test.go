//go:build linux

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedFromLegacy: --from-legacy reads the running legacy ruleset
// of both families (with counters under --counters), for translate and for
// plan alike, and names a refused rule by the line the dump prints it on.
func TestPrivilegedFromLegacy(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save", "ip6tables-legacy-restore")
	ns := nstest.New(t, "fromlegacy")
	v4 := "*filter\n:INPUT DROP [0:0]\n[7:420] -A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
	v6 := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ipv6-icmp -j ACCEPT\nCOMMIT\n"
	if _, stderr, err := ns.RunInput(v4, "iptables-legacy-restore", "-c"); err != nil {
		t.Fatal(stderr)
	}
	if _, stderr, err := ns.RunInput(v6, "ip6tables-legacy-restore"); err != nil {
		t.Fatal(stderr)
	}
	h, err := netns.Open(ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	inNS := func(args ...string) (int, string, string) {
		var code int
		var o, e bytes.Buffer
		if err := h.Do(func() error { code = run(args, strings.NewReader(""), &o, &e); return nil }); err != nil {
			t.Fatal(err)
		}
		return code, o.String(), e.String()
	}
	code, out, stderr := inNS("--from-legacy", "--counters")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"table ip xt2nft", "tcp dport 22 counter packets 7 bytes 420 accept", "table ip6 xt2nft", "meta l4proto ipv6-icmp"} {
		if !strings.Contains(out, want) {
			t.Errorf("translation lacks %q:\n%s", want, out)
		}
	}
	// plan reads the namespace's legacy ruleset through --netns.
	code, _, stderr = xt(t, "plan", "--from-legacy", "--netns", ns.Name)
	if code != planChanges {
		t.Errorf("plan --from-legacy: exit %d, want %d (changes): %s", code, planChanges, stderr)
	}
	// A refused rule is named by the dump's own line.
	if _, stderr, err := ns.RunInput("*filter\n:INPUT DROP [0:0]\n-A INPUT -m string --algo bm --string evil -j DROP\nCOMMIT\n", "iptables-legacy-restore"); err != nil {
		t.Skipf("no xt_string here: %s", stderr)
	}
	code, _, stderr = inNS("--from-legacy")
	if code != 1 || !strings.Contains(stderr, "iptables-legacy-save:") || !strings.Contains(stderr, "-m string") {
		t.Errorf("exit %d, want 1 with the rule named by iptables-legacy-save's line:\n%s", code, stderr)
	}
}
