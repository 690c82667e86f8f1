//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// fillLists gives the lab's list a history: three addresses with stamps
// of different ages (written through /proc, a stamp each, 50 ms apart),
// and real SSH attempts, which also set the entries' TTL.
func (l *migrateLab) fillLists() {
	t := l.t
	t.Helper()
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3", "192.0.2.1"} {
		if _, stderr, err := l.fw.Run("sh", "-c", "echo +"+a+" > /proc/net/xt_recent/ssh"); err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 2; i++ {
		l.tcpProbe(netip.MustParseAddr("10.1.0.68"), netip.MustParseAddrPort("10.1.0.1:22"), time.Second)
	}
	l.tcpProbe(netip.MustParseAddr("10.1.0.2"), netip.MustParseAddrPort("10.1.0.1:80"), time.Second)
}

// procText is every list of fw as /proc prints it, lines sorted.
func (l *migrateLab) procText() string {
	out, _, _ := l.fw.Run("sh", "-c", `for f in /proc/net/xt_recent/*; do [ -e "$f" ] && sed "s|^|${f##*/} |" "$f"; done; true`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// savedWithCounters is both families' legacy tables with counters, without
// comments.
func (l *migrateLab) savedWithCounters() string {
	var b strings.Builder
	for _, prog := range []string{"iptables-legacy-save", "ip6tables-legacy-save"} {
		out, _, err := l.fw.Run(prog, "-c")
		if err != nil {
			l.t.Fatal(err)
		}
		for _, line := range strings.Split(out, "\n") {
			if !strings.HasPrefix(line, "#") {
				b.WriteString(line + "\n")
			}
		}
	}
	return b.String()
}

// migrateWaiting starts migrate --confirm and returns once it waits for
// confirmation.
func migrateWaiting(t *testing.T, bin, ns string, confirm string) (*exec.Cmd, *bytes.Buffer, time.Time) {
	t.Helper()
	cmd := exec.Command(bin, "migrate", "--netns", ns, "--confirm", confirm)
	out := &bytes.Buffer{}
	pr, pw, _ := os.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	prompt := make(chan time.Time, 1)
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.HasPrefix(sc.Text(), "applied; run `xt2nft confirm`") {
				prompt <- time.Now()
			}
		}
	}()
	select {
	case at := <-prompt:
		return cmd, out, at
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("migrate never waited for confirmation:\n%s", out)
	}
	return nil, nil, time.Time{}
}

var reCounter = regexp.MustCompile(`\[(\d+):(\d+)\]`)

// countersKept checks that every counter of after is at least the one
// of before on the same line (the host's own packets, IPv6 neighbour
// discovery say, may count meanwhile), and that some were not zero.
func countersKept(before, after string) error {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	nonzero := false
	for i := range b {
		cb, ca := reCounter.FindStringSubmatch(b[i]), reCounter.FindStringSubmatch(a[i])
		if cb == nil {
			continue
		}
		var pb, pa uint64
		fmt.Sscan(cb[1], &pb)
		fmt.Sscan(ca[1], &pa)
		if pa < pb {
			return fmt.Errorf("%q was %q", a[i], b[i])
		}
		nonzero = nonzero || pb > 0
	}
	if !nonzero {
		return fmt.Errorf("every counter was zero before: nothing to check")
	}
	return nil
}

// TestPrivilegedMigrateRollback: a migration that is not confirmed (the
// deadline passes, or SIGHUP, SIGTERM, SIGINT) puts everything back: the
// legacy tables with their counters, every xt_recent list with the same
// addresses, last_seen (within 1 s; the lists are kept, so in fact the
// same jiffies) and stamps, the same ipsets, and no xt2nft table.
func TestPrivilegedMigrateRollback(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore", "ipset")
	bin := xtBinaryOrSkip(t)
	for _, how := range []string{"deadline", "SIGHUP", "SIGTERM", "SIGINT"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			l := newMigrateLab(t, "mgr")
			l.fillLists()
			tables := l.savedWithCounters()
			_, ipsets, lists := l.legacySnapshot()
			proc := l.procText()
			if len(lists["ssh"]) < 4 {
				t.Fatalf("the list has too few entries to prove anything: %v", lists)
			}
			confirm := "60s"
			if how == "deadline" {
				confirm = "1s"
			}
			cmd, out, waiting := migrateWaiting(t, bin, l.fw.Name, confirm)
			if l.nftTables() == "" || strings.Contains(l.savedWithCounters(), "-A INPUT") {
				t.Fatalf("migrate waits, but the switch is not done:\n%s", out)
			}
			from := waiting.Add(time.Second)
			switch how {
			case "SIGHUP":
				from = time.Now()
				cmd.Process.Signal(syscall.SIGHUP)
			case "SIGTERM":
				from = time.Now()
				cmd.Process.Signal(syscall.SIGTERM)
			case "SIGINT": // Ctrl-C
				from = time.Now()
				cmd.Process.Signal(syscall.SIGINT)
			}
			err := cmd.Wait()
			rollback := time.Since(from)
			if err == nil {
				t.Fatalf("an unconfirmed migrate exited 0:\n%s", out)
			}
			t.Logf("%s: rolled back in %v (from the %s to the exit)", how, rollback.Round(time.Millisecond), map[bool]string{true: "deadline", false: "signal"}[how == "deadline"])
			got := l.savedWithCounters()
			if strip := func(s string) string { return reCounter.ReplaceAllString(s, "") }; strip(got) != strip(tables) {
				t.Errorf("the legacy tables are not as before:\n%s\nwant\n%s", got, tables)
			} else if err := countersKept(tables, got); err != nil {
				t.Errorf("the legacy counters were not restored: %v", err)
			}
			_, gotIPSets, gotLists := l.legacySnapshot()
			if gotIPSets != ipsets {
				t.Errorf("ipsets: %s, want %s", gotIPSets, ipsets)
			}
			for name, entries := range lists {
				for addr, last := range entries {
					now, ok := gotLists[name][addr]
					switch {
					case !ok:
						t.Errorf("list %s lost %s", name, addr)
					case now > last+250 || last > now+250: // HZ 250 here; 1 s in any case below
						t.Errorf("list %s: %s last_seen %d, was %d", name, addr, now, last)
					}
				}
				if len(gotLists[name]) != len(entries) {
					t.Errorf("list %s has %d entries, had %d", name, len(gotLists[name]), len(entries))
				}
			}
			if got := l.procText(); got != proc {
				t.Errorf("the lists' stamps are not as before:\n%s\nwant\n%s", got, proc)
			}
			if n := l.nftTables(); n != "" {
				t.Errorf("xt2nft tables remain: %s", n)
			}
		})
	}
}

// TestPrivilegedMigrateKill9: migrate killed with SIGKILL at random
// moments leaves the complete legacy state (its guard rolls back) or the
// complete nft state, never a host with neither, and a second migrate
// finishes the job; every other trial runs with --confirm and is killed
// before or during its wait, which only the legacy state may survive.
// XT2NFT_MIGRATE_KILL_TRIALS (default 3) trials of
// XT2NFT_MIGRATE_KILL_RULES (default 500) extra rules.
func TestPrivilegedMigrateKill9(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore", "ipset")
	bin := xtBinaryOrSkip(t)
	trials := envInt("XT2NFT_MIGRATE_KILL_TRIALS", 3)
	extra := envInt("XT2NFT_MIGRATE_KILL_RULES", 500)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 2))
	t.Logf("seed %d, %d trials, %d extra rules", seed, trials, extra)
	var more strings.Builder
	more.WriteString("*filter\n")
	for i := 0; i < extra; i++ {
		fmt.Fprintf(&more, "-A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", 100+i/256%100, i%256, 1000+i%9)
	}
	more.WriteString("COMMIT\n")
	setup := func(name string) *migrateLab {
		l := newMigrateLab(t, name)
		if _, stderr, err := l.fw.RunInput(more.String(), "iptables-legacy-restore", "--noflush"); err != nil {
			t.Fatal(stderr)
		}
		l.fillLists()
		return l
	}
	// The nft state without counts and elements, and without the rules
	// that carry a base chain's policy counters: migrate carries the
	// legacy counters, and a policy that has counted nothing yet (the
	// lab's own traffic decides) has no such rule.
	policyCounter := regexp.MustCompile(`(?m)^\s*counter comment "policy (accept|drop)"\n`)
	terse := func(l *migrateLab) string {
		out, _, _ := l.fw.NFT("", "-s", "-t", "list", "ruleset")
		return policyCounter.ReplaceAllString(out, "")
	}
	legacyEmpty := func(l *migrateLab) bool {
		tables, _, _ := l.legacySnapshot()
		return !strings.Contains(strings.ReplaceAll(tables, "-A xt2nft-keep-lists ", ""), "-A ") && !strings.Contains(tables, " DROP")
	}

	ref := setup("mgkref")
	legacy, _, lists := ref.legacySnapshot()
	start := time.Now()
	if out, err := exec.Command(bin, "migrate", "--netns", ref.fw.Name).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v: %s", err, out)
	}
	took := time.Since(start)
	nftState := terse(ref)
	t.Logf("a migrate takes %v", took.Round(time.Millisecond))

	counts := map[string]int{}
	for i := 0; i < trials; i++ {
		l := setup("mgk")
		// Every other trial waits for a confirmation that never comes:
		// killed before or during the wait, only the legacy state may
		// remain (the guard rolls back).
		confirm := i%2 == 1
		delay := time.Duration(rng.Int64N(int64(took * 12 / 10)))
		args := []string{"migrate", "--netns", l.fw.Name}
		if confirm {
			delay = time.Duration(rng.Int64N(int64(took * 15 / 10)))
			args = append(args, "--confirm", "60s")
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		settle(t, l.fw)
		tables, _, gotLists := l.legacySnapshot()
		sameLists := fmt.Sprint(keys(gotLists["ssh"])) == fmt.Sprint(keys(lists["ssh"]))
		switch {
		case tables == legacy && sameLists && l.nftTables() == "":
			counts[fmt.Sprintf("legacy (confirm %v)", confirm)]++
		case legacyEmpty(l) && terse(l) == nftState && !confirm:
			counts["nft"]++
		default:
			counts["neither"]++
			t.Errorf("killed after %v (confirm %v): neither the legacy state nor the nft state:\nlegacy:\n%s\nlists %v\nnft:\n%s", delay, confirm, tables, gotLists, terse(l))
		}
		if out, err := exec.Command(bin, "migrate", "--netns", l.fw.Name).CombinedOutput(); err != nil {
			t.Errorf("killed after %v: a second migrate failed: %v: %s", delay, err, out)
		}
		tables, _, gotLists = l.legacySnapshot()
		if !legacyEmpty(l) || strings.Contains(tables, "xt2nft-keep-lists") || len(gotLists) != 0 || terse(l) != nftState {
			t.Errorf("killed after %v: a second migrate did not finish the job:\n%s\n%v\n%s", delay, tables, gotLists, terse(l))
		}
		l.fw.Close()
		l.cli.Close()
		l.srv.Close()
	}
	t.Logf("outcomes of %d kill -9 trials: %v", trials, counts)
}

func keys(m map[string]uint64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
