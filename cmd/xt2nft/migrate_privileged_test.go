//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// probeKind is one stream of probes from the client and what the legacy
// firewall does with it.
type probeKind struct {
	name   string
	accept bool
	probe  func(seq int) bool
}

// TestPrivilegedMigrateTraffic migrates the lab's host with traffic
// flowing: every stream the legacy firewall accepts is accepted before,
// during and after the switch, every stream it drops is dropped at every
// moment; the guard's blocked address stays blocked; connections made
// before survive; the heartbeats stay untracked; once confirmed the legacy
// tables are empty, and --persist wrote a file that loads in a fresh
// namespace and lists as what is live.
func TestPrivilegedMigrateTraffic(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore", "ipset", "conntrack")
	bin := xtBinaryOrSkip(t)
	l := newMigrateLab(t, "mgt")
	for _, a := range []string{"0.0.0.0:22", "0.0.0.0:80", "0.0.0.0:23", "[::]:80"} {
		l.listen(l.fw, a)
	}
	l.listen(l.srv, "0.0.0.0:80")
	heartbeats := l.udpServe("0.0.0.0:694", false)
	l.udpServe("10.3.0.1:5353", true)
	hbConn, _ := l.udpClient("10.1.0.2")
	policyConn, replies := l.udpClient("10.9.0.2")

	// Before: the attacker makes its attempts and is blocked on the 4th;
	// a good client keeps an SSH session and a forwarded connection open.
	tcp := func(src, dst string) bool {
		ok, err := l.tcpProbe(netip.MustParseAddr(src), netip.MustParseAddrPort(dst), 800*time.Millisecond)
		if err != nil {
			t.Logf("probe %s -> %s: %v", src, dst, err)
		}
		return ok
	}
	// Two attackers are blocked (the first keeps trying through the
	// switch, the second is quiet until after it), a third client has
	// made two of its three allowed attempts.
	attempts := func(src string, wants ...bool) {
		t.Helper()
		for i, want := range wants {
			if got := tcp(src, "10.1.0.1:22"); got != want {
				t.Fatalf("%s: attempt %d: connected %v, want %v", src, i+1, got, want)
			}
		}
	}
	attempts("10.1.0.66", true, true, true, false)
	attempts("10.1.0.67", true, true, true, false)
	attempts("10.1.0.68", true, true)
	ssh, err := l.dial("10.1.0.3", "10.1.0.1:22")
	if err != nil {
		t.Fatalf("ssh session: %v", err)
	}
	defer ssh.Close()
	fwd, err := l.dial("10.1.0.2", "10.1.0.1:8080")
	if err != nil {
		t.Fatalf("forwarded connection: %v", err)
	}
	defer fwd.Close()
	var estMu sync.Mutex
	var estErr error
	established := func(c net.Conn, name string, stop <-chan struct{}, wg *sync.WaitGroup) {
		defer wg.Done()
		fail := func(err error) {
			estMu.Lock()
			estErr = errors.Join(estErr, fmt.Errorf("%s: %w", name, err))
			estMu.Unlock()
		}
		buf := make([]byte, 16)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			c.SetDeadline(time.Now().Add(3 * time.Second))
			msg := fmt.Sprintf("%06d\n", i)
			if _, err := c.Write([]byte(msg)); err != nil {
				fail(fmt.Errorf("write %d: %w", i, err))
				return
			}
			if n, err := readFull(c, buf[:len(msg)]); err != nil || string(buf[:n]) != msg {
				fail(fmt.Errorf("echo %d: %q %v", i, buf[:n], err))
				return
			}
		}
	}

	kinds := []probeKind{
		{"web (accepted)", true, func(int) bool { return tcp("10.1.0.2", "10.1.0.1:80") }},
		{"port forward (accepted)", true, func(int) bool { return tcp("10.1.0.2", "10.1.0.1:8080") }},
		{"web over IPv6 (accepted)", true, func(int) bool { return tcp("fd01::2", "[fd01::1]:80") }},
		{"policy-routed UDP (accepted)", true, func(seq int) bool {
			k := fmt.Sprintf("p%d", seq)
			if _, err := policyConn.WriteTo([]byte(k), udpAddr("10.3.0.1:5353")); err != nil {
				return false
			}
			for deadline := time.Now().Add(800 * time.Millisecond); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
				if replies.has(k) {
					return true
				}
			}
			return false
		}},
		{"untracked heartbeat (accepted)", true, func(seq int) bool {
			k := fmt.Sprintf("h%d", seq)
			if _, err := hbConn.WriteTo([]byte(k), udpAddr("10.1.0.1:694")); err != nil {
				return false
			}
			for deadline := time.Now().Add(800 * time.Millisecond); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
				if heartbeats.has(k) {
					return true
				}
			}
			return false
		}},
		{"ssh from the blocked attacker (dropped)", false, func(int) bool { return tcp("10.1.0.66", "10.1.0.1:22") }},
		{"web from the ipset blocklist (dropped)", false, func(int) bool { return tcp("10.1.0.99", "10.1.0.1:80") }},
		{"port forward from the blocklist (dropped)", false, func(int) bool { return tcp("10.1.0.99", "10.1.0.1:8080") }},
		{"closed port (dropped)", false, func(int) bool { return tcp("10.1.0.2", "10.1.0.1:23") }},
	}
	before, ipsetsBefore, _ := l.legacySnapshot()

	stop := make(chan struct{})
	var estWG sync.WaitGroup
	estWG.Add(2)
	go established(ssh, "ssh session", stop, &estWG)
	go established(fwd, "forwarded connection", stop, &estWG)
	results := make([]func() []probeResult, len(kinds))
	for i, k := range kinds {
		results[i] = stream(4*time.Millisecond, stop, k.probe)
	}
	// On a fatal error too, the probes end before the lab is torn down
	// (a probe on a closed worker panics).
	stopAll := sync.OnceFunc(func() {
		close(stop)
		estWG.Wait()
		for _, r := range results {
			r()
		}
	})
	defer stopAll()
	time.Sleep(400 * time.Millisecond)

	persist := filepath.Join(t.TempDir(), "nftables.conf")
	mig := exec.Command(bin, "migrate", "--netns", l.fw.Name, "--confirm", "60s", "--persist", persist)
	var out bytes.Buffer
	pr, pw, _ := os.Pipe()
	mig.Stderr = pw
	if err := mig.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	sawPrompt, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "xt2nft confirm") {
				once.Do(func() { close(sawPrompt) })
			}
		}
	}()
	select {
	case <-sawPrompt:
	case <-ended:
		mig.Wait()
		t.Fatalf("migrate ended without asking for confirmation:\n%s", out.String())
	case <-time.After(60 * time.Second):
		mig.Process.Kill()
		t.Fatalf("migrate never asked for confirmation:\n%s", out.String())
	}
	time.Sleep(300 * time.Millisecond) // nft alone, not confirmed yet
	if o, err := exec.Command(bin, "confirm", "--netns", l.fw.Name).CombinedOutput(); err != nil {
		t.Fatalf("confirm: %v: %s", err, o)
	}
	if err := mig.Wait(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	time.Sleep(400 * time.Millisecond)
	stopAll()
	t.Logf("migrate:\n%s", out.String())
	from, to := switchWindow(t, out.String())

	for i, k := range kinds {
		rs := results[i]()
		var n, inWindow, bad, badInWindow int
		for _, r := range rs {
			n++
			during := !r.at.Before(from.Add(-time.Millisecond)) && !r.at.After(to)
			if during {
				inWindow++
			}
			if r.ok != k.accept {
				bad++
				if during {
					badInWindow++
				}
				t.Logf("%s: the probe sent %v after the nft tables went live was not %s", k.name,
					r.at.Sub(from).Round(time.Millisecond), map[bool]string{true: "accepted", false: "dropped"}[k.accept])
			}
		}
		t.Logf("%-42s %4d probes, %3d sent while both firewalls were live (%v), %d not as the legacy firewall did (%d of them in that window)",
			k.name, n, inWindow, to.Sub(from).Round(time.Microsecond), bad, badInWindow)
		if bad > 0 {
			t.Errorf("%s: %d of %d probes were not %s", k.name, bad, n, map[bool]string{true: "accepted", false: "dropped"}[k.accept])
		}
		if inWindow == 0 {
			t.Errorf("%s: no probe was sent while both firewalls were live", k.name)
		}
	}
	if estErr != nil {
		t.Errorf("a connection made before the switch did not survive it: %v", estErr)
	}

	// After: the attacker is still blocked, a good client still gets in,
	// the heartbeats are still untracked.
	if tcp("10.1.0.67", "10.1.0.1:22") {
		t.Error("the address the guard had blocked before the switch, quiet during it, is not blocked after it")
	}
	if !tcp("10.1.0.68", "10.1.0.1:22") || tcp("10.1.0.68", "10.1.0.1:22") {
		t.Error("a client with two SSH attempts before the switch is not allowed exactly one more after it: its hit history was not carried")
	}
	if !tcp("10.1.0.3", "10.1.0.1:22") {
		t.Error("a good client's second SSH connection is refused after the switch")
	}
	if ct, _, _ := l.fw.Run("conntrack", "-L", "-p", "udp", "--dport", "694"); strings.Contains(ct, "dport=694") {
		t.Errorf("the heartbeats are tracked after the switch:\n%s", ct)
	}
	after, ipsetsAfter, lists := l.legacySnapshot()
	if strings.Contains(after, "-A ") || strings.Contains(after, ":"+"xt2nft-keep") || strings.Contains(after, "DROP") {
		t.Errorf("the legacy tables are not empty after a confirmed switch:\n%s", after)
	}
	if len(lists) != 0 {
		t.Errorf("xt_recent lists left after a confirmed switch: %v", lists)
	}
	if ipsetsAfter != ipsetsBefore {
		t.Errorf("ipsets changed:\n%s\nwant\n%s", ipsetsAfter, ipsetsBefore)
	}
	if before == after {
		t.Fatal("nothing was migrated")
	}

	// --persist: loaded into a fresh namespace, the file lists as what is
	// live (without set contents: those of the recent lists are runtime
	// state), and the sets made from ipsets have the same elements.
	fresh := nstest.New(t, "mgt-fresh")
	if _, stderr, err := fresh.Run("nft", "-f", persist); err != nil {
		t.Fatalf("the persisted file does not load: %v: %s", err, stderr)
	}
	for _, args := range [][]string{{"-s", "-t", "list", "ruleset"}, {"-s", "list", "set", "ip", "xt2nft", "blocklist"}} {
		want, _, _ := l.fw.NFT("", args...)
		got, _, _ := fresh.NFT("", args...)
		if args[2] == "set" {
			want, got = stripTimeouts(want), stripTimeouts(got)
		}
		if got != want {
			t.Errorf("nft %s: the persisted ruleset lists\n%s\nwhat is live lists\n%s", strings.Join(args, " "), got, want)
		}
	}
}

func stripTimeouts(s string) string { return elemTimeout.ReplaceAllString(s, "$1") }

func udpAddr(s string) *net.UDPAddr {
	a, _ := net.ResolveUDPAddr("udp", s)
	return a
}

func readFull(c interface{ Read([]byte) (int, error) }, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := c.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
