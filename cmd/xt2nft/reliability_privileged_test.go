//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/live"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// Each test here fails with the xt2nft from before these fixes: set
// XT2NFT_TEST_BIN to another build to run them against it.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// xtBinary is the xt2nft program under test (built once).
func xtBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("XT2NFT_TEST_BIN"); p != "" {
		return p
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xt2nft-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "xt2nft")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// waiting is an `xt2nft apply --confirm` started as a process, stopped at
// its prompt.
type waiting struct {
	cmd    *exec.Cmd
	stderr *syncBuf
	done   chan struct{}
	code   int
	sig    syscall.Signal
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startApply starts the program and waits until it asks for confirmation.
func startApply(t *testing.T, args ...string) *waiting {
	t.Helper()
	w := &waiting{cmd: exec.Command(xtBinary(t), args...), stderr: &syncBuf{}, done: make(chan struct{})}
	w.cmd.Stderr = w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := w.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			ws := ee.Sys().(syscall.WaitStatus)
			w.code, w.sig = ws.ExitStatus(), ws.Signal()
		}
		close(w.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(w.stderr.String(), "applied; run `xt2nft confirm`") {
		select {
		case <-w.done:
			t.Fatalf("apply ended before asking for confirmation (exit %d): %s", w.code, w.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no prompt: %s", w.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return w
}

func (w *waiting) wait(t *testing.T) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		t.Fatalf("apply did not end: %s", w.stderr)
	}
}

// liveSetup applies the first ruleset and adds a bystander table, and
// returns the listing that a rollback must bring back.
func liveSetup(t *testing.T, ns *nstest.NS) (first, second string, before string) {
	t.Helper()
	first = writeFile(t, "first.v4", liveDump)
	second = writeFile(t, "second.v4", strings.Replace(liveDump, "--dport 22 -j ACCEPT", "--dport 2222 -j ACCEPT", 1))
	if code, _, errs := xt(t, "apply", "--netns", ns.Name, first); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	if _, stderr, err := ns.NFT("table inet bystander { set s { type ipv4_addr; elements = { 10.0.0.1 }; }; chain c { counter; }; }\n"); err != nil {
		t.Fatal(stderr)
	}
	return first, second, listing(t, ns)
}

// byTable is a listing's tables sorted (a table created again lists
// after the others), with remaining times dropped.
func byTable(listing string) string {
	var tables []string
	for _, b := range strings.SplitAfter(listing, "\n}\n") {
		if strings.TrimSpace(b) != "" {
			tables = append(tables, strip(b))
		}
	}
	sort.Strings(tables)
	return strings.Join(tables, "")
}

func sameRuleset(t *testing.T, ns *nstest.NS, want, what string) {
	t.Helper()
	if got := listing(t, ns); byTable(got) != byTable(want) {
		t.Errorf("%s: the ruleset is not the one from before:\n%s\nwant:\n%s", what, got, want)
	}
}

// TestPrivilegedStopSignalsRollBack (issue 9.1): SIGHUP (the ssh session
// dropped), SIGINT, SIGTERM and SIGQUIT during the wait all restore the
// previous ruleset before the program ends.
func TestPrivilegedStopSignalsRollBack(t *testing.T) {
	nstest.Skip(t, "nft")
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			ns := nstest.New(t, "sig")
			_, second, before := liveSetup(t, ns)
			w := startApply(t, "apply", "--netns", ns.Name, "--confirm", "30s", second)
			if !strings.Contains(listing(t, ns), "dport 2222") {
				t.Fatal("the new ruleset is not live during the wait")
			}
			w.cmd.Process.Signal(sig)
			w.wait(t)
			if w.code != exitError || w.sig != -1 && w.sig != 0 {
				t.Errorf("exit %d, signal %v; want exit 1: %s", w.code, w.sig, w.stderr)
			}
			if !strings.Contains(w.stderr.String(), "previous ruleset restored") {
				t.Errorf("stderr: %s", w.stderr)
			}
			sameRuleset(t, ns, before, sig.String())
		})
	}
}

// TestPrivilegedClosedStderrRollsBack (issue 9.2): `... 2>&1 | head -n 3`:
// stderr's reader is gone when the rollback comes; the rollback happens
// all the same, and the program does not die of SIGPIPE.
func TestPrivilegedClosedStderrRollsBack(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "epipe")
	_, second, before := liveSetup(t, ns)
	cmd := exec.Command(xtBinary(t), "apply", "--netns", ns.Name, "--confirm", "1s", second)
	r, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(r)
	for i := 0; i < 3; i++ { // head -n 3
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	err = cmd.Wait()
	ee, _ := err.(*exec.ExitError)
	if ee == nil || ee.Sys().(syscall.WaitStatus).Signaled() || ee.ExitCode() != exitError {
		t.Errorf("exit: %v (want status 1, not a signal)", err)
	}
	sameRuleset(t, ns, before, "after the rollback with stderr closed")
}

// TestPrivilegedKill9DuringWaitRollsBack (issue 9.4): kill -9 during the
// wait: the guard restores the previous ruleset at once and leaves a note
// that the next run shows.
func TestPrivilegedKill9DuringWaitRollsBack(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "kill9")
	_, second, before := liveSetup(t, ns)
	w := startApply(t, "apply", "--netns", ns.Name, "--confirm", "30s", second)
	w.cmd.Process.Kill()
	w.wait(t)
	waitRestored(t, ns, before)
	code, _, errs := xt(t, "plan", "--netns", ns.Name, writeFile(t, "first.v4", liveDump))
	if code != planNoChanges || !strings.Contains(errs, "its guard") {
		t.Errorf("the next plan: exit %d: %s", code, errs)
	}
}

// waitRestored waits (a few seconds at most) for the ruleset to be want.
func waitRestored(t *testing.T, ns *nstest.NS, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for byTable(listing(t, ns)) != byTable(want) {
		if time.Now().After(deadline) {
			t.Fatalf("not restored:\n%s\nwant:\n%s", listing(t, ns), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPrivilegedKill9OfApplyAndGuard: with the guard killed as well, the
// next run finds the journal: plan refuses to compare against the
// unconfirmed ruleset and says how to finish, rollback restores.
func TestPrivilegedKill9OfApplyAndGuard(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "kill9both")
	first, second, before := liveSetup(t, ns)
	w := startApply(t, "apply", "--netns", ns.Name, "--confirm", "30s", second)
	guards := guardsOf(t, w.cmd.Process.Pid)
	if len(guards) != 1 {
		t.Fatalf("%d guards", len(guards))
	}
	syscall.Kill(guards[0], syscall.SIGKILL)
	w.cmd.Process.Kill()
	w.wait(t)
	time.Sleep(100 * time.Millisecond)
	if !strings.Contains(listing(t, ns), "dport 2222") {
		t.Fatal("the unconfirmed ruleset is gone: the guard was not killed in time")
	}
	code, _, errs := xt(t, "plan", "--netns", ns.Name, first)
	if code != exitError || !strings.Contains(errs, "died before its ruleset was confirmed") || !strings.Contains(errs, "xt2nft rollback --netns "+ns.Name) {
		t.Errorf("plan over a dead apply: exit %d: %s", code, errs)
	}
	if code, _, errs := xt(t, "rollback", "--netns", ns.Name); code != 0 {
		t.Errorf("rollback: exit %d: %s", code, errs)
	}
	sameRuleset(t, ns, before, "after xt2nft rollback")
}

// guardsOf finds the guard processes of pid (xt2nft __guard, a child).
func guardsOf(t *testing.T, pid int) []int {
	t.Helper()
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		var self, ppid int
		var state string
		fmt.Sscanf(s[:strings.IndexByte(s, ' ')], "%d", &self)
		fmt.Sscanf(s[i+2:], "%s %d", &state, &ppid)
		if ppid != pid {
			continue
		}
		if cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline")); bytes.Contains(cmdline, []byte("__guard")) {
			out = append(out, self)
		}
	}
	return out
}

// TestPrivilegedConcurrentConfirm (issue 9.3): while one apply --confirm
// waits, a second apply and a plan are refused at once, saying who waits;
// the first one's confirmation then keeps the first one's ruleset.
func TestPrivilegedConcurrentConfirm(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "concurrent")
	first, second, _ := liveSetup(t, ns)
	w := startApply(t, "apply", "--netns", ns.Name, "--confirm", "30s", second)
	start := time.Now()
	code, _, errs := xt(t, "apply", "--netns", ns.Name, "--confirm", "30s", first)
	if code != exitError || !strings.Contains(errs, "is waiting for confirmation") || !strings.Contains(errs, "nothing was changed") {
		t.Errorf("second apply: exit %d: %s", code, errs)
	}
	if code, _, errs := xt(t, "plan", "--netns", ns.Name, first); code != exitError || !strings.Contains(errs, "is waiting for confirmation") {
		t.Errorf("plan: exit %d: %s", code, errs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refused after %v", d)
	}
	if code, _, errs := xt(t, "confirm", "--netns", ns.Name); code != 0 {
		t.Fatalf("confirm: %s", errs)
	}
	w.wait(t)
	if w.code != 0 || !strings.Contains(w.stderr.String(), "keeping the new ruleset") {
		t.Errorf("first apply: exit %d: %s", w.code, w.stderr)
	}
	if !strings.Contains(listing(t, ns), "dport 2222") {
		t.Error("the confirmed ruleset is not live")
	}
}

// TestPrivilegedRollbackReportsOtherTools (issue 9.3): what another tool
// does during the wait is said by the rollback: a rule added to xt2nft's
// table is undone with the apply (and reported), another tool's table is
// untouched.
func TestPrivilegedRollbackReportsOtherTools(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "othertools")
	_, second, before := liveSetup(t, ns)
	w := startApply(t, "apply", "--netns", ns.Name, "--confirm", "30s", second)
	if _, stderr, err := ns.NFT("add rule ip xt2nft filter_INPUT udp dport 53 accept\nadd table ip latecomer\n"); err != nil {
		t.Fatal(stderr)
	}
	if code, _, errs := xt(t, "rollback", "--netns", ns.Name); code != 0 {
		t.Fatalf("rollback: %s", errs)
	}
	w.wait(t)
	if !strings.Contains(w.stderr.String(), "another program changed table ip xt2nft after the apply") {
		t.Errorf("the foreign change is not reported: %s", w.stderr)
	}
	now := listing(t, ns)
	if !strings.Contains(now, "table ip latecomer") {
		t.Errorf("another tool's table was dropped:\n%s", now)
	}
	if byTable(strings.Replace(now, "table ip latecomer {\n}\n", "", 1)) != byTable(before) {
		t.Errorf("not restored:\n%s\nwant:\n%s", now, before)
	}
}

// TestPrivilegedRollbackOfUnreadableListing (issue 9.4): the rollback of
// a ruleset that nft lists in a form it cannot parse back (`iifname "a"b"`)
// works: it does not go through nft's listing. The translator refuses such
// a name now, so the test makes the table as an older xt2nft or another
// tool could: nft's JSON input can say it.
func TestPrivilegedRollbackOfUnreadableListing(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "unreadable")
	if _, stderr, err := ns.NFT("table ip xt2nft { comment \"managed by xt2nft\"; }\n"); err != nil {
		t.Fatal(stderr)
	}
	const rule = `{"nftables":[
{"add":{"chain":{"family":"ip","table":"xt2nft","name":"filter_INPUT","type":"filter","hook":"input","prio":0,"policy":"accept"}}},
{"add":{"rule":{"family":"ip","table":"xt2nft","chain":"filter_INPUT","expr":[{"match":{"op":"==","left":{"meta":{"key":"iifname"}},"right":"a\"b"}},{"accept":null}]}}}]}`
	if _, stderr, err := ns.NFT(rule, "-j", "-f", "-"); err != nil {
		t.Fatal(stderr)
	}
	before := listing(t, ns)
	if _, stderr, err := ns.NFT(before, "-c", "-f", "-"); err == nil || !strings.Contains(stderr, "syntax error") {
		t.Logf("nft reads its own listing back now (%v): the test no longer shows what it is for", err)
	}
	second := writeFile(t, "second.v4", liveDump)
	code, _, errs := xt(t, "apply", "--netns", ns.Name, "--confirm", "300ms", second)
	if code != exitError || !strings.Contains(errs, "previous ruleset restored") || strings.Contains(errs, "ROLLBACK FAILED") {
		t.Errorf("apply --confirm: exit %d: %s", code, errs)
	}
	sameRuleset(t, ns, before, "after the rollback")
}

// TestPrivilegedRefusesUnrestorable (issue 9.4): when the tables apply
// would replace cannot be saved in a form known to restore (one owned by
// another process), apply --confirm refuses before changing anything.
func TestPrivilegedRefusesUnrestorable(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "unrestorable")
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "nft", "-i")
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	io.WriteString(in, "add table ip xt2nft { flags owner; }\n")
	for i := 0; !strings.Contains(listing(t, ns), "table ip xt2nft"); i++ {
		if i == 100 {
			t.Fatal("no owned table")
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := listing(t, ns)
	code, _, errs := xt(t, "apply", "--netns", ns.Name, "--replace-foreign", "--confirm", "10s", writeFile(t, "r.v4", liveDump))
	if code != exitError || !strings.Contains(errs, "cannot guarantee a rollback") || !strings.Contains(errs, "nothing was changed") {
		t.Errorf("apply --confirm: exit %d: %s", code, errs)
	}
	if now := listing(t, ns); now != before {
		t.Errorf("changed:\n%s", now)
	}
}

// TestPrivilegedIptablesPlanLeavesNoNamespace (issue 9.7): plan --backend
// iptables killed at any moment leaves no namespace behind.
func TestPrivilegedIptablesPlanLeavesNoNamespace(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save")
	ns := nstest.New(t, "iplan")
	var dump strings.Builder
	dump.WriteString("*filter\n:INPUT ACCEPT [0:0]\n")
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&dump, "-A INPUT -s 10.%d.%d.0/24 -j ACCEPT\n", i/256, i%256)
	}
	dump.WriteString("COMMIT\n")
	rules := writeFile(t, "big.v4", dump.String())
	names := func() string {
		out, _ := exec.Command("ip", "netns", "list").Output()
		var own []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "xt2nft-plan-") {
				own = append(own, l)
			}
		}
		return strings.Join(own, ",")
	}
	start := names()
	// A plan killed leaves its lock file (unlocked, harmless) behind; this
	// namespace goes away with the test, so its file goes too.
	if h, err := netns.Open(ns.Name); err == nil {
		if id, err := h.ID(); err == nil {
			t.Cleanup(func() { os.Remove(filepath.Join(live.DefaultDir, fmt.Sprintf("ns-%d.lock", id))) })
		}
		h.Close()
	}
	for i, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL, syscall.SIGKILL, syscall.SIGTERM} {
		cmd := exec.Command(xtBinary(t), "plan", "--backend", "iptables", "--iptables", "legacy", "--netns", ns.Name, rules)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+40*i) * time.Millisecond)
		cmd.Process.Signal(sig)
		cmd.Wait()
		if now := names(); now != start {
			t.Errorf("after %v at %dms: namespaces %q left", sig, 150+40*i, now)
			for _, n := range strings.Split(now, ",") {
				if n != "" && !strings.Contains(start, n) {
					exec.Command("ip", "netns", "del", strings.Fields(n)[0]).Run()
				}
			}
		}
	}
}

// TestPrivilegedForeignTable (issue 9.11): --layout iptables apply does not
// replace iptables-nft's own `table ip filter` unless told to; told to,
// with --confirm, its rollback gives iptables-nft its table back.
func TestPrivilegedForeignTable(t *testing.T) {
	nstest.Skip(t, "nft", "iptables-nft")
	ns := nstest.New(t, "foreign")
	if _, stderr, err := ns.Run("iptables-nft", "-A", "INPUT", "-s", "10.9.9.9", "-j", "DROP"); err != nil {
		t.Fatal(stderr)
	}
	before := listing(t, ns)
	rules := writeFile(t, "r.v4", liveDump)
	code, _, errs := xt(t, "apply", "--netns", ns.Name, "--layout", "iptables", rules)
	if code != exitError || !regexp.MustCompile(`table ip filter exists and was not created by xt2nft.*--replace-foreign`).MatchString(errs) {
		t.Errorf("apply over iptables-nft's table: exit %d: %s", code, errs)
	}
	if now := listing(t, ns); now != before {
		t.Errorf("replaced:\n%s", now)
	}
	if code, _, errs := xt(t, "plan", "--netns", ns.Name, "--layout", "iptables", rules); code != planChanges || !strings.Contains(errs, "note: table ip filter exists") {
		t.Errorf("plan: exit %d: %s", code, errs)
	}
	code, _, errs = xt(t, "apply", "--netns", ns.Name, "--layout", "iptables", "--replace-foreign", "--confirm", "300ms", rules)
	if code != exitError || !strings.Contains(errs, "previous ruleset restored") {
		t.Errorf("apply --replace-foreign --confirm: exit %d: %s", code, errs)
	}
	sameRuleset(t, ns, before, "after the rollback")
	if out, _, err := ns.Run("iptables-nft", "-S", "INPUT"); err != nil || !strings.Contains(out, "-A INPUT -s 10.9.9.9/32 -j DROP") {
		t.Errorf("iptables-nft cannot read its table back: %v\n%s", err, out)
	}
	if code, _, errs := xt(t, "apply", "--netns", ns.Name, "--layout", "iptables", "--replace-foreign", rules); code != 0 {
		t.Fatalf("apply --replace-foreign: %s", errs)
	}
	if out := listing(t, ns); !strings.Contains(out, `comment "managed by xt2nft"`) {
		t.Errorf("the table xt2nft created is not marked:\n%s", out)
	}
}
