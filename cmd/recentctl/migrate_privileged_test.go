//go:build linux

package main

import (
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

const migrateRules = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 1000 -m recent --set --name mig --mask 255.255.255.255 --rsource
-A INPUT -p udp -m udp --dport 2000 -m recent --rcheck --seconds 30 --name mig --mask 255.255.255.255 --rsource -j ACCEPT
-A INPUT -p udp -m udp --dport 2000 -m recent --rcheck --seconds 20 --hitcount 3 --name mig --mask 255.255.255.255 --rsource -j DROP
-A INPUT -p udp -m udp --dport 1000 -m recent --set --name log --rsource
COMMIT
`

// TestPrivilegedMigrate fills an xt_recent list through real traffic, loads
// xt2nft's translation of the same rules beside it, runs "recentctl
// migrate", and checks every address and its remaining time (±1 s) in the
// nft sets against the ages xt_recent reported; and that a list no rule
// checks (log, only --set) is carried too, address for address.
func TestPrivilegedMigrate(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "go")
	bin := filepath.Join(t.TempDir(), "recentctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fw, cli := nstest.New(t, "migfw").Name, nstest.New(t, "migcl").Name
	sh := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	sh("", "ip", "link", "add", "eth0", "netns", fw, "type", "veth", "peer", "name", "eth0", "netns", cli)
	sh("", "ip", "-n", fw, "addr", "add", "10.77.0.1/24", "dev", "eth0")
	sh("", "ip", "-n", fw, "link", "set", "eth0", "up")
	srcs := []string{"10.77.0.2", "10.77.0.3", "10.77.0.4"}
	for _, a := range srcs {
		sh("", "ip", "-n", cli, "addr", "add", a+"/24", "dev", "eth0", "nodad")
	}
	sh("", "ip", "-n", cli, "link", "set", "eth0", "up")
	sh(migrateRules, "ip", "netns", "exec", fw, "iptables-legacy-restore")
	out := translate.Files([]translate.Input{{Name: "rules", Src: []byte(migrateRules)}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatal(out.Diags)
	}
	sh(string(out.Script), "ip", "netns", "exec", fw, "nft", "-f", "-")
	// Events: .2 three times, .3 once, a pause, then .4 twice. Each packet
	// is sent by this test binary re-run inside the client namespace.
	for _, p := range []struct {
		src   string
		n     int
		pause time.Duration
	}{{"10.77.0.2", 3, 0}, {"10.77.0.3", 1, 0}, {"10.77.0.4", 2, 1500 * time.Millisecond}} {
		time.Sleep(p.pause)
		for i := 0; i < p.n; i++ {
			cmd := exec.Command("ip", "netns", "exec", cli, os.Args[0], "-test.run=^TestHelperSend$")
			cmd.Env = append(os.Environ(), "RECENTCTL_TEST_SEND="+p.src)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("send from %s: %v\n%s", p.src, err, out)
			}
		}
	}
	procOut := sh("", "ip", "netns", "exec", fw, bin, "show", "mig", "--json", "--backend", "proc")
	var xt []recent.Entry
	if err := json.Unmarshal([]byte(procOut), &xt); err != nil || len(xt) != 3 {
		t.Fatalf("xt_recent entries: %v %s", err, procOut)
	}
	migrated := time.Now()
	sh("", "ip", "netns", "exec", fw, bin, "migrate")
	addrs := func(backend string) string {
		var es []recent.Entry
		js := sh("", "ip", "netns", "exec", fw, bin, "show", "log", "--json", "--backend", backend)
		if err := json.Unmarshal([]byte(js), &es); err != nil {
			t.Fatalf("%v: %s", err, js)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Addr.String())
		}
		return strings.Join(out, " ")
	}
	if p, n := addrs("proc"), addrs("nft"); p != n || p != strings.Join(srcs, " ") {
		t.Errorf("list log: xt_recent has %q, the nft sets %q", p, n)
	}
	nftOut := sh("", "ip", "netns", "exec", fw, bin, "show", "mig", "--json", "--backend", "nft")
	var got []recent.Entry
	if err := json.Unmarshal([]byte(nftOut), &got); err != nil {
		t.Fatalf("%v: %s", err, nftOut)
	}
	elapsed := time.Since(migrated)
	byAddr := map[netip.Addr]recent.Entry{}
	for _, e := range got {
		byAddr[e.Addr] = e
	}
	for _, x := range xt {
		g, ok := byAddr[x.Addr]
		if !ok {
			t.Errorf("%s was not migrated", x.Addr)
			continue
		}
		want := 30*time.Second - x.LastSeen - elapsed
		if d := g.Remaining - want; d > time.Second || d < -time.Second {
			t.Errorf("%s: remaining %v, want %v (±1s)", x.Addr, g.Remaining, want)
		}
		wantHits := x.Hits()
		if wantHits > 3 {
			wantHits = 3
		}
		if g.Hits() != wantHits {
			t.Errorf("%s: %d stamps in the ring, want %d", x.Addr, g.Hits(), wantHits)
		}
		t.Logf("%s: xt last_seen %v hits %d -> nft remaining %v hits %d", x.Addr, x.LastSeen, x.Hits(), g.Remaining, g.Hits())
		// The single-element lookup agrees with the full listing.
		one := sh("", "ip", "netns", "exec", fw, bin, "show", "mig", x.Addr.String(), "--json", "--backend", "nft")
		var l []recent.Entry
		if err := json.Unmarshal([]byte(one), &l); err != nil || len(l) != 1 {
			t.Fatalf("lookup of %s: %v %s", x.Addr, err, one)
		}
		if d := l[0].Remaining - g.Remaining; d > time.Second || d < -time.Second || l[0].Hits() != g.Hits() {
			t.Errorf("%s: lookup says remaining %v hits %d, listing %v hits %d", x.Addr, l[0].Remaining, l[0].Hits(), g.Remaining, g.Hits())
		}
	}
}

// TestHelperSend is not a test: re-run inside a namespace with
// RECENTCTL_TEST_SEND=SRC, it sends one UDP packet from SRC to 10.77.0.1:1000.
func TestHelperSend(t *testing.T) {
	src := os.Getenv("RECENTCTL_TEST_SEND")
	if src == "" {
		t.Skip("helper for TestPrivilegedMigrate")
	}
	c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(src)}, &net.UDPAddr{IP: net.IPv4(10, 77, 0, 1), Port: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
}
