//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/live"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedKill9Trials kills xt2nft with SIGKILL at random moments:
// during a plain apply, during an apply --confirm (its snapshot, its apply
// or its wait), and during the rollback after an unconfirmed wait. Each
// time the namespace must end up holding the complete old ruleset or the
// complete new one (a plain apply), or the old one (with --confirm, once
// the guard is done), with the recent list's address kept and a bystander
// table untouched. XT2NFT_KILL_TRIALS (default 2) trials of each kind on
// XT2NFT_KILL_RULES (default 2000) rules; the counts are logged.
func TestPrivilegedKill9Trials(t *testing.T) {
	nstest.Skip(t, "nft")
	trials := envInt("XT2NFT_KILL_TRIALS", 2)
	rules := envInt("XT2NFT_KILL_RULES", 2000)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d trials of each kind, %d rules", seed, trials, rules)
	rng := rand.New(rand.NewPCG(seed, 1))
	oldRules := writeFile(t, "old.v4", trialDump(rules, 80))
	newRules := writeFile(t, "new.v4", trialDump(rules, 8080))
	bin := xtBinary(t)

	// The two complete states, and how long things take, from a reference
	// namespace.
	ref := nstest.New(t, "k9ref")
	trialSetup(t, ref, oldRules)
	oldState := state(t, ref)
	start := time.Now()
	if out, err := exec.Command(bin, "apply", "--netns", ref.Name, newRules).CombinedOutput(); err != nil {
		t.Fatalf("apply: %v: %s", err, out)
	}
	tApply := time.Since(start)
	newState := state(t, ref)
	trialSetup(t, ref, oldRules)
	start = time.Now()
	if out, err := exec.Command(bin, "apply", "--netns", ref.Name, "--confirm", "300ms", newRules).CombinedOutput(); err == nil {
		t.Fatalf("unconfirmed apply succeeded: %s", out)
	}
	tConfirm := time.Since(start) // snapshot, apply, wait, rollback
	t.Logf("apply %v, apply --confirm 300ms with its rollback %v", tApply, tConfirm)
	if oldState == newState {
		t.Fatal("old and new rulesets list the same")
	}

	counts := map[string]map[string]int{}
	for _, kind := range []string{"apply", "apply --confirm", "rollback"} {
		counts[kind] = map[string]int{}
		for i := 0; i < trials; i++ {
			ns := nstest.New(t, "k9")
			trialSetup(t, ns, oldRules)
			args := []string{"apply", "--netns", ns.Name}
			var delay time.Duration
			switch kind {
			case "apply":
				delay = time.Duration(rng.Int64N(int64(tApply * 12 / 10)))
			case "apply --confirm":
				args = append(args, "--confirm", "60s")
				delay = time.Duration(rng.Int64N(int64(tConfirm)))
			case "rollback":
				// The wait is 300ms; kill in the second half of the run,
				// where the rollback is.
				args = append(args, "--confirm", "300ms")
				delay = tConfirm/2 + time.Duration(rng.Int64N(int64(tConfirm*6/10)))
			}
			cmd := exec.Command(bin, append(args, newRules)...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay)
			cmd.Process.Kill()
			cmd.Wait()
			settle(t, ns)
			got := state(t, ns)
			switch {
			case got == oldState:
				counts[kind]["old"]++
			case got == newState && kind == "apply":
				counts[kind]["new"]++
			default:
				counts[kind]["neither"]++
				t.Errorf("%s killed after %v: the namespace holds neither the old nor the new ruleset:\n%s", kind, delay, got)
			}
			ns.Close()
		}
	}
	t.Logf("outcomes: %v", counts)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// trialDump is a ruleset of n rules plus an SSH guard (recent lists).
func trialDump(n, port int) string {
	var b strings.Builder
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n")
	b.WriteString("-A INPUT -p tcp --dport 22 -m recent --name ssh --set\n")
	b.WriteString("-A INPUT -p tcp --dport 22 -m recent --name ssh --rcheck --seconds 60 --hitcount 3 -j DROP\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "-A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", i/256%256, i%256, port+i%7)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// trialSetup puts the old ruleset live with an address in its recent
// list, next to a bystander table.
func trialSetup(t *testing.T, ns *nstest.NS, oldRules string) {
	t.Helper()
	ns.NFT("", "flush", "ruleset")
	if code, _, errs := xt(t, "apply", "--netns", ns.Name, oldRules); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	if _, stderr, err := ns.NFT("add element ip xt2nft recent_ssh_ptr0 { 10.7.7.7 }\ntable inet bystander { set s { type ipv4_addr; elements = { 10.0.0.1 }; }; chain c { counter; }; }\n"); err != nil {
		t.Fatal(stderr)
	}
}

var (
	counters    = regexp.MustCompile(`counter packets \d+ bytes \d+`)
	elemTimeout = regexp.MustCompile(`(\d+\.\d+\.\d+\.\d+) timeout [0-9hms]+`)
)

// state is what must be whole: the xt2nft table without counters and
// times (a carried element's timeout is the time it had left), set
// contents included, and the bystander table.
func state(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	out, _, _ := ns.NFT("", "list", "table", "ip", "xt2nft")
	by, _, err := ns.NFT("", "list", "table", "inet", "bystander")
	if err != nil {
		t.Fatalf("the bystander table is gone: %v", err)
	}
	return elemTimeout.ReplaceAllString(strip(counters.ReplaceAllString(out, "counter")), "$1") + "\n" + by
}

// settle waits until no xt2nft run holds the namespace and no journal is
// left (the guard, if any, is done).
func settle(t *testing.T, tn *nstest.NS) {
	t.Helper()
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	id, err := ns.ID()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(live.DefaultDir, fmt.Sprintf("ns-%d.", id))
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, jerr := os.Stat(base + "journal")
		held := false
		if fd, err := unix.Open(base+"lock", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			held = unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == syscall.EWOULDBLOCK
			unix.Close(fd)
		}
		if os.IsNotExist(jerr) && !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still held or journaled after 60s (journal: %v, lock held: %v)", jerr, held)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ext := range []string{"lock", "sock", "note"} {
		os.Remove(base + ext) // a killed run's leftovers; the namespace goes
	}
}
