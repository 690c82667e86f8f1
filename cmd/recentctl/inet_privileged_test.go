//go:build linux

package main

import (
	"encoding/json"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// The same list in an IPv4 and an IPv6 dump: xt_recent keeps both
// families' entries in one list.
const (
	inetRules4 = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 1000 -m recent --set --name both --mask 255.255.255.255 --rsource
-A INPUT -p udp -m udp --dport 2000 -m recent --rcheck --seconds 30 --name both --mask 255.255.255.255 --rsource -j ACCEPT
-A INPUT -p udp -m udp --dport 2001 -m recent --rcheck --seconds 20 --hitcount 2 --name both --mask 255.255.255.255 --rsource -j ACCEPT
COMMIT
`
	inetRules6 = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 1000 -m recent --set --name both --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource
-A INPUT -p udp -m udp --dport 2000 -m recent --rcheck --seconds 30 --name both --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource -j ACCEPT
COMMIT
`
)

// TestPrivilegedInetList: a list whose sets live in one inet table, an ip
// and an ip6 family of sets, is one list to recentctl: migrate carries the
// xt_recent list's IPv4 and IPv6 entries into their family's sets, show
// lists both, add and del put each address in (and take it from) its own
// family's sets only, and flush empties both.
func TestPrivilegedInetList(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore", "go")
	bin := filepath.Join(t.TempDir(), "recentctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := nstest.New(t, "inetlist")
	run := func(stdin string, args ...string) string {
		t.Helper()
		stdout, stderr, err := ns.RunInput(stdin, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
		}
		return stdout
	}
	// The legacy list, filled by hand as /proc allows (one address a write).
	run(inetRules6, "ip6tables-legacy-restore")
	run(inetRules4, "iptables-legacy-restore")
	for _, a := range []string{"10.77.0.2", "10.77.0.3", "fd77::2"} {
		run("", "sh", "-c", "echo +"+a+" > /proc/net/xt_recent/both")
	}
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(inetRules4)}, {Name: "rules.v6", Src: []byte(inetRules6)}},
		parser.Options{}, translate.Options{Layout: translate.LayoutInet})
	if out.Failed {
		t.Fatal(out.Diags)
	}
	run(string(out.Script), "nft", "-f", "-")
	show := func() map[netip.Addr]recent.Entry {
		t.Helper()
		var es []recent.Entry
		if err := json.Unmarshal([]byte(run("", bin, "show", "both", "--json", "--backend", "nft")), &es); err != nil {
			t.Fatal(err)
		}
		m := map[netip.Addr]recent.Entry{}
		for _, e := range es {
			m[e.Addr] = e
		}
		return m
	}
	// in reports whether the address is an element of the set.
	in := func(set, addr string) bool {
		_, _, err := ns.Run("nft", "get", "element", "inet", "xt2nft", set, "{", addr, "}")
		return err == nil
	}
	run("", bin, "migrate")
	got := show()
	for _, a := range []string{"10.77.0.2", "10.77.0.3", "fd77::2"} {
		if _, ok := got[netip.MustParseAddr(a)]; !ok {
			t.Errorf("migrate did not carry %s: %v", a, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("show lists %d entries, want 3: %v", len(got), got)
	}
	if !in("recent_both_ip_last_30", "10.77.0.2") || !in("recent_both_ip6_last_30", "fd77::2") {
		t.Error("migrated entries are not in their family's window sets")
	}
	run("", bin, "add", "both", "10.77.0.9", "fd77::9", "--backend", "nft")
	if !in("recent_both_ip_last_30", "10.77.0.9") || !in("recent_both_ip6_last_30", "fd77::9") || !in("recent_both_ip_w20_s0", "10.77.0.9") {
		t.Error("add did not put each address in its family's sets")
	}
	if got := show(); len(got) != 5 {
		t.Errorf("after add: %d entries, want 5: %v", len(got), got)
	}
	run("", bin, "del", "both", "fd77::9", "--backend", "nft")
	if in("recent_both_ip6_last_30", "fd77::9") || !in("recent_both_ip_last_30", "10.77.0.9") {
		t.Error("del fd77::9 did not remove exactly that address")
	}
	var one []recent.Entry
	if err := json.Unmarshal([]byte(run("", bin, "show", "both", "fd77::2", "--json", "--backend", "nft")), &one); err != nil || len(one) != 1 || one[0].Addr != netip.MustParseAddr("fd77::2") {
		t.Errorf("lookup of fd77::2: %v %v", one, err)
	}
	if l := run("", bin, "list", "--backend", "nft"); !strings.Contains(l, "both") || strings.Count(l, "\n") != 1 {
		t.Errorf("list shows the list once: %q", l)
	}
	run("", bin, "flush", "both", "--backend", "nft")
	if got := show(); len(got) != 0 {
		t.Errorf("after flush: %v", got)
	}
}
