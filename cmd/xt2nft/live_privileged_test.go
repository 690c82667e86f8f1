//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/ipt"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

const liveDump = `*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -m recent --name ssh --set
-A INPUT -p tcp --dport 22 -m recent --name ssh --rcheck --seconds 60 --hitcount 3 -j DROP
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
`

// xt runs the command in-process and returns its exit status and output.
func xt(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := run(args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func writeFile(t *testing.T, name, s string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func listing(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	out, stderr, err := ns.NFT("", "list", "ruleset")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	return out
}

// TestPrivilegedPlanApply: plan changes nothing and says what apply will
// do; apply does it; a second plan finds nothing to do; bad input and a
// ruleset the kernel refuses change nothing.
func TestPrivilegedPlanApply(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "cli-plan")
	rules := writeFile(t, "rules.v4", liveDump)

	before := listing(t, ns)
	code, out, errs := xt(t, "plan", "--netns", ns.Name, rules)
	if code != planChanges || !strings.Contains(out, "+table ip xt2nft {") || !strings.Contains(out, "+\t\ttcp dport 22 counter accept") {
		t.Fatalf("plan on an empty namespace: exit %d\n%s\n%s", code, out, errs)
	}
	if after := listing(t, ns); after != before {
		t.Fatalf("plan changed the ruleset:\n%s", after)
	}

	if code, _, errs := xt(t, "apply", "--netns", ns.Name, rules); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	applied := listing(t, ns)
	if !strings.Contains(applied, "tcp dport 22 counter packets 0 bytes 0 accept") {
		t.Fatalf("apply did not load the rules:\n%s", applied)
	}
	if code, out, errs := xt(t, "plan", "--netns", ns.Name, rules); code != planNoChanges || out != "" {
		t.Fatalf("plan after apply: exit %d\n%s\n%s", code, out, errs)
	}

	bad := writeFile(t, "bad.v4", "*filter\n-A INPUT -p tcp --dport 22 -j NOSUCHCHAIN\nCOMMIT\n")
	if code, _, errs := xt(t, "apply", "--netns", ns.Name, bad); code != exitError || !strings.Contains(errs, "bad.v4:2:") {
		t.Fatalf("apply of bad input: exit %d: %s", code, errs)
	}
	// A jump loop: the legacy kernel refuses it (ELOOP) and so does the
	// parser, at the jump that closes it.
	loop := writeFile(t, "loop.v4", "*filter\n:a - [0:0]\n:b - [0:0]\n-A INPUT -j a\n-A a -j b\n-A b -j a\nCOMMIT\n")
	code, _, errs = xt(t, "apply", "--netns", ns.Name, loop)
	if code != exitError || !regexp.MustCompile(`loop\.v4:6:\d+: jump loop`).MatchString(errs) || !strings.Contains(errs, "nothing was changed") {
		t.Fatalf("apply of a looping ruleset: exit %d: %s", code, errs)
	}
	// A ruleset only the kernel refuses: a conntrack helper it does not
	// have (xt2nft does not know the running kernel's helpers).
	helper := writeFile(t, "helper.v4", "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j CT --helper nosuchhelper\nCOMMIT\n")
	code, _, errs = xt(t, "apply", "--netns", ns.Name, helper)
	if code != exitError || !strings.Contains(errs, "kernel rejected") || !strings.Contains(errs, "nothing was changed") {
		t.Fatalf("apply of a ruleset the kernel refuses: exit %d: %s", code, errs)
	}
	if code, _, errs := xt(t, "plan", "--netns", ns.Name, helper); code != exitError || !strings.Contains(errs, "kernel rejected") {
		t.Fatalf("plan of a ruleset the kernel refuses: exit %d: %s", code, errs)
	}
	if now := listing(t, ns); now != applied {
		t.Fatalf("failed applies changed the ruleset:\n%s", now)
	}
}

// TestPrivilegedConfirm: without confirmation the previous ruleset comes
// back byte for byte; with `xt2nft confirm` the new one stays.
func TestPrivilegedConfirm(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "cli-confirm")
	first := writeFile(t, "first.v4", liveDump)
	second := writeFile(t, "second.v4", strings.Replace(liveDump, "--dport 22 -j ACCEPT", "--dport 2222 -j ACCEPT", 1))
	if code, _, errs := xt(t, "apply", "--netns", ns.Name, first); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	if _, stderr, err := ns.NFT("", "add", "element", "ip", "xt2nft", "recent_ssh_ptr0", "{ 10.1.2.3 }"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	before := listing(t, ns)
	code, _, errs := xt(t, "apply", "--netns", ns.Name, "--confirm", "300ms", second)
	if code != exitError || !strings.Contains(errs, "previous ruleset restored") {
		t.Fatalf("unconfirmed apply: exit %d: %s", code, errs)
	}
	after := listing(t, ns)
	// Remaining times shrink while the test runs; compare the rest.
	if strip(after) != strip(before) {
		t.Fatalf("rollback differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if !strings.Contains(after, "10.1.2.3") {
		t.Fatal("rollback lost the set element")
	}

	done := make(chan string)
	go func() {
		for i := 0; i < 50; i++ {
			time.Sleep(100 * time.Millisecond)
			if code, _, errs := xt(t, "confirm", "--netns", ns.Name); code == 0 {
				done <- ""
				return
			} else if i == 49 {
				done <- errs
			}
		}
	}()
	code, _, errs = xt(t, "apply", "--netns", ns.Name, "--confirm", "20s", second)
	if msg := <-done; code != 0 || msg != "" {
		t.Fatalf("confirmed apply: exit %d: %s %s", code, errs, msg)
	}
	if !strings.Contains(listing(t, ns), "tcp dport 2222") {
		t.Fatal("confirmed ruleset not live")
	}
}

// strip removes the "expires ..." parts of set elements.
func strip(s string) string {
	var b strings.Builder
	for _, f := range strings.Fields(s) {
		b.WriteString(f + " ")
	}
	out := b.String()
	for {
		i := strings.Index(out, " expires ")
		if i < 0 {
			return out
		}
		j := strings.IndexAny(out[i+9:], " ,}")
		out = out[:i] + out[i+9+j:]
	}
}

// TestPrivilegedIptablesBackend: the dumps go through iptables-restore in
// the namespace; plan diffs iptables-save output; --confirm rolls back.
func TestPrivilegedIptablesBackend(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save")
	ns := nstest.New(t, "cli-ipt")
	rules := writeFile(t, "rules.v4", liveDump)
	save := func() string {
		out, stderr, err := ns.Run("iptables-legacy-save")
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		return ipt.PlainSave([]byte(out))
	}
	code, out, errs := xt(t, "plan", "--backend", "iptables", "--iptables", "legacy", "--netns", ns.Name, rules)
	if code != planChanges || !strings.Contains(out, "+-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := xt(t, "apply", "--backend", "iptables", "--iptables", "legacy", "--netns", ns.Name, rules); code != 0 || !strings.Contains(errs, "table filter has 3 chains") {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	applied := save()
	if !strings.Contains(applied, "--dport 22 -j ACCEPT") {
		t.Fatalf("not loaded:\n%s", applied)
	}
	if code, out, errs := xt(t, "plan", "--backend", "iptables", "--iptables", "legacy", "--netns", ns.Name, rules); code != planNoChanges {
		t.Fatalf("plan after apply: exit %d\n%s\n%s", code, out, errs)
	}
	second := writeFile(t, "second.v4", strings.Replace(liveDump, "--dport 22 -j ACCEPT", "--dport 2222 -j ACCEPT", 1))
	code, _, errs = xt(t, "apply", "--backend", "iptables", "--iptables", "legacy", "--netns", ns.Name, "--confirm", "300ms", second)
	if code != exitError || !strings.Contains(errs, "previous ruleset restored") {
		t.Fatalf("unconfirmed apply: exit %d: %s", code, errs)
	}
	if now := save(); now != applied {
		t.Fatalf("rollback differs:\n%s\nwant:\n%s", now, applied)
	}
}

// TestPrivilegedRefusals: no privileges, or no iptables binary: a clear
// error, a non-zero exit, nothing changed.
func TestPrivilegedRefusals(t *testing.T) {
	nstest.Skip(t, "setpriv", "nft")
	ns := nstest.New(t, "cli-refuse")
	rules := writeFile(t, "rules.v4", liveDump)
	if err := os.Chmod(filepath.Dir(rules), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "xt2nft")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v: %s", err, out)
	}
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	before := listing(t, ns)
	for _, cmd := range []string{"plan", "apply"} {
		c := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, cmd, "--netns", ns.Name, rules)
		out, err := c.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "needs root") {
			t.Errorf("%s as nobody: %v: %s", cmd, err, out)
		}
	}
	path := os.Getenv("PATH")
	t.Setenv("PATH", t.TempDir())
	code, _, errs := xt(t, "apply", "--backend", "iptables", "--netns", ns.Name, rules)
	os.Setenv("PATH", path)
	if code != exitError || !strings.Contains(errs, "not found") {
		t.Errorf("apply without iptables binaries: exit %d: %s", code, errs)
	}
	if after := listing(t, ns); after != before {
		t.Errorf("ruleset changed:\n%s", after)
	}
}
