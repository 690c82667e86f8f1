//go:build linux

package ipt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// Every privileged test runs in its own network namespace (Backend.Netns):
// the root namespace's firewall is never touched.

// flavour is one family and variant under test.
type flavour struct {
	family  int
	variant Variant
}

func (f flavour) String() string { return fmt.Sprintf("%s%d", f.variant, f.family) }

func (f flavour) prefix() string {
	if f.family == 6 {
		return "ip6tables"
	}
	return "iptables"
}

// restoreProg is the iptables-restore of the flavour, used to set up
// namespaces independently of the code under test.
func (f flavour) restoreProg() string { return f.prefix() + "-" + string(f.variant) + "-restore" }

// addr returns an address (or network) of the flavour's family.
func (f flavour) addr(v4 string) string {
	if f.family == 4 {
		return v4
	}
	return map[string]string{
		"10.0.0.0/8": "2001:db8::/32",
		"1.2.3.4":    "2001:db8::1234",
		"5.6.7.8":    "2001:db8::5678",
	}[v4]
}

// forEach runs test for every flavour whose programs are installed, each
// in a fresh namespace.
func forEach(t *testing.T, test func(t *testing.T, f flavour, b *Backend, ns *nstest.NS)) {
	nstest.Skip(t)
	for _, f := range []flavour{{4, Legacy}, {4, NFT}, {6, Legacy}, {6, NFT}} {
		t.Run(f.String(), func(t *testing.T) {
			nstest.Skip(t, f.restoreProg(), f.prefix()+"-"+string(f.variant)+"-save", f.prefix()+"-"+string(f.variant))
			ns := nstest.New(t, "ipt")
			test(t, f, &Backend{Family: f.family, Variant: f.variant, Netns: ns.Name}, ns)
		})
	}
}

func (f flavour) base() string {
	return fmt.Sprintf(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:old - [0:0]
-A INPUT -s %s -j old
-A old -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o eth9 -j MASQUERADE
COMMIT
`, f.addr("5.6.7.8"))
}

func (f flavour) good() string {
	return fmt.Sprintf(`# a new ruleset
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:web - [0:0]
-A INPUT -p tcp -m tcp --dport 80 -j web
-A web -s %s -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
`, f.addr("10.0.0.0/8"))
}

// bad passes `iptables-restore --test` but its second table fails in the
// kernel (DNAT is only valid in PREROUTING and OUTPUT; the kernel checks
// the hooks), after the first table has been committed.
func (f flavour) bad() string {
	return fmt.Sprintf(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s %s -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -j DNAT --to-destination %s
COMMIT
`, f.addr("1.2.3.4"), f.addr("5.6.7.8"))
}

// load sets up the namespace with dump through iptables-restore directly.
func load(t *testing.T, f flavour, ns *nstest.NS, dump string) {
	t.Helper()
	if _, stderr, err := ns.RunInput(dump, f.restoreProg()); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
}

func save(t *testing.T, b *Backend, tables []string) string {
	t.Helper()
	out, err := b.Save(tables)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// uncomment drops the comment lines of iptables-save output (they carry
// the date); counters stay.
func uncomment(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "#") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// TestPrivilegedApply applies a filter + nat dump and reads it back.
func TestPrivilegedApply(t *testing.T) {
	forEach(t, func(t *testing.T, f flavour, b *Backend, ns *nstest.NS) {
		if err := b.Check("good", []byte(f.good())); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Apply("good", []byte(f.good())); err != nil {
			t.Fatal(err)
		}
		all := save(t, b, nil)
		if got, want := Tables([]byte(all)), []string{"filter", "nat"}; !cmp.Equal(sorted(got), want) {
			t.Errorf("tables after Apply = %q, want %q", got, want)
		}
		for _, want := range []string{
			"*filter\n:INPUT ACCEPT\n:FORWARD DROP\n:OUTPUT ACCEPT\n:web -\n-A INPUT -p tcp -m tcp --dport 80 -j web\n-A web -s " + f.addr("10.0.0.0/8") + " -j ACCEPT\nCOMMIT\n",
			"*nat\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n",
		} {
			if !strings.Contains(normalize([]byte(all)), want) {
				t.Errorf("Save after Apply lacks\n%s\nin\n%s", want, all)
			}
		}
		if !strings.Contains(all, "[0:0] -A POSTROUTING") {
			t.Errorf("Save has no counters:\n%s", all)
		}
		nat := save(t, b, []string{"nat"})
		if got := Tables([]byte(nat)); !cmp.Equal(got, []string{"nat"}) {
			t.Errorf("Save(nat) has tables %q:\n%s", got, nat)
		}
		chains, err := b.Chains("filter")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"INPUT", "FORWARD", "OUTPUT", "web"}; !cmp.Equal(chains, want) {
			t.Errorf("Chains(filter) = %q, want %q", chains, want)
		}
	})
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestPrivilegedRollback loads a dump whose second table fails in the
// kernel after the first was committed; Apply must leave the ruleset as it
// was, byte for byte apart from the dated comments.
func TestPrivilegedRollback(t *testing.T) {
	forEach(t, func(t *testing.T, f flavour, b *Backend, ns *nstest.NS) {
		load(t, f, ns, f.base())
		before := save(t, b, nil)
		if err := b.Check("bad", []byte(f.bad())); err != nil {
			t.Fatalf("Check should pass (the failure is only in the kernel): %v", err)
		}
		// Show that the dump does fail part-way, leaving filter changed.
		probe := nstest.New(t, "iptprobe")
		load(t, f, probe, f.base())
		if _, _, err := probe.RunInput(f.bad(), f.restoreProg()); err == nil {
			t.Fatal("the bad dump loads")
		}
		pb := &Backend{Family: f.family, Variant: f.variant, Netns: probe.Name}
		if !strings.Contains(save(t, pb, []string{"filter"}), "-A INPUT -s "+f.addr("1.2.3.4")) {
			t.Fatal("the bad dump's first table was not committed: the test does not test rollback")
		}

		snap, err := b.Apply("bad", []byte(f.bad()))
		if err == nil || snap != nil {
			t.Fatalf("Apply(bad) = %v, %v; want an error", snap, err)
		}
		t.Log(err)
		var de *DumpError
		if !errors.As(err, &de) || de.Name != "bad" || (de.Line != 12 && de.Line != 13) {
			t.Errorf("error %v: want a DumpError at bad:12 (the rule) or bad:13 (its COMMIT)", err)
		}
		if !strings.HasSuffix(err.Error(), " (table filter had been committed and was rolled back)") {
			t.Errorf("error does not say what was rolled back: %v", err)
		}
		if after := save(t, b, nil); uncomment(after) != uncomment(before) {
			t.Errorf("ruleset changed:\n%s", cmp.Diff(uncomment(before), uncomment(after)))
		}
	})
}

// TestPrivilegedRollbackAbsent is TestPrivilegedRollback with nat absent
// before: nft deletes it again, legacy can only leave it empty.
func TestPrivilegedRollbackAbsent(t *testing.T) {
	forEach(t, func(t *testing.T, f flavour, b *Backend, ns *nstest.NS) {
		load(t, f, ns, strings.SplitAfter(f.base(), "COMMIT\n")[0])
		before := save(t, b, nil)
		if got := Tables([]byte(before)); !cmp.Equal(got, []string{"filter"}) {
			t.Fatalf("tables before = %q", got)
		}
		if _, err := b.Apply("bad", []byte(f.bad())); err == nil {
			t.Fatal("Apply(bad) succeeded")
		}
		after := save(t, b, nil)
		if got := save(t, b, []string{"filter"}); uncomment(got) != uncomment(before) {
			t.Errorf("filter changed:\n%s", cmp.Diff(uncomment(before), uncomment(got)))
		}
		if f.variant == NFT {
			if uncomment(after) != uncomment(before) {
				t.Errorf("ruleset changed:\n%s", cmp.Diff(uncomment(before), uncomment(after)))
			}
			return
		}
		// Legacy: asking for nat (--test does) instantiated it, empty.
		want := "*nat\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\nCOMMIT\n"
		if got := normalize([]byte(save(t, b, []string{"nat"}))); got != want {
			t.Errorf("nat after rollback:\n%s\nwant\n%s", got, want)
		}
	})
}

// TestPrivilegedSnapshotRestore rolls a successful Apply back.
func TestPrivilegedSnapshotRestore(t *testing.T) {
	forEach(t, func(t *testing.T, f flavour, b *Backend, ns *nstest.NS) {
		load(t, f, ns, f.base())
		// A third table the dump does not touch must stay as it is.
		load(t, f, ns, "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A OUTPUT -j MARK --set-xmark 0x7/0xffffffff\nCOMMIT\n")
		before := save(t, b, nil)
		snap, err := b.Apply("good", []byte(f.good()))
		if err != nil {
			t.Fatal(err)
		}
		if mid := save(t, b, nil); normalize([]byte(mid)) == normalize([]byte(before)) {
			t.Fatal("Apply changed nothing")
		} else if !strings.Contains(mid, "-A OUTPUT -j MARK --set-xmark 0x7/0xffffffff") {
			t.Errorf("Apply touched mangle:\n%s", mid)
		}
		if err := snap.Restore(); err != nil {
			t.Fatal(err)
		}
		if after := save(t, b, nil); uncomment(after) != uncomment(before) {
			t.Errorf("Restore did not give back the ruleset:\n%s", cmp.Diff(uncomment(before), uncomment(after)))
		}
	})
}

// TestPrivilegedSnapshotRestoreAbsent rolls back an Apply into an empty
// namespace.
func TestPrivilegedSnapshotRestoreAbsent(t *testing.T) {
	forEach(t, func(t *testing.T, f flavour, b *Backend, ns *nstest.NS) {
		if before := save(t, b, nil); Tables([]byte(before)) != nil {
			t.Fatalf("fresh namespace has tables:\n%s", before)
		}
		snap, err := b.Apply("good", []byte(f.good()))
		if err != nil {
			t.Fatal(err)
		}
		if err := snap.Restore(); err != nil {
			t.Fatal(err)
		}
		after := normalize([]byte(save(t, b, nil)))
		want := ""
		if f.variant == Legacy {
			want = "*filter\n:INPUT ACCEPT\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\nCOMMIT\n" +
				"*nat\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\nCOMMIT\n"
			after = sortedSections(after)
		}
		if after != want {
			t.Errorf("after Restore:\n%s\nwant:\n%s", after, want)
		}
	})
}

// sortedSections orders the tables of normalized output by name (legacy
// lists them in the order the kernel created them).
func sortedSections(s string) string {
	secs := sections([]byte(s))
	var names []string
	for n := range secs {
		names = append(names, n)
	}
	var b strings.Builder
	for _, n := range sorted(names) {
		b.Write(secs[n])
	}
	return b.String()
}

// TestPrivilegedCheck positions errors and changes nothing.
func TestPrivilegedCheck(t *testing.T) {
	forEach(t, func(t *testing.T, f flavour, b *Backend, ns *nstest.NS) {
		load(t, f, ns, f.base())
		before := save(t, b, nil)
		dump := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n"
		err := b.Check("port", []byte(dump))
		var de *DumpError
		if !errors.As(err, &de) || err.Error() != "port:3: invalid port/service `99999' specified" {
			t.Errorf("Check = %v", err)
		}
		if _, err := b.Apply("port", []byte(dump)); err == nil || err.Error() != "port:3: invalid port/service `99999' specified" {
			t.Errorf("Apply = %v", err)
		}
		// A jump to a missing chain: legacy --test finds it, nft only at load.
		dump = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j nosuch\nCOMMIT\n"
		if _, err := b.Apply("jump", []byte(dump)); err == nil || !strings.HasPrefix(err.Error(), "jump:3: ") && !strings.HasPrefix(err.Error(), "jump:4: ") {
			t.Errorf("Apply = %v", err)
		} else {
			t.Log(err)
		}
		if after := save(t, b, nil); uncomment(after) != uncomment(before) {
			t.Errorf("ruleset changed:\n%s", cmp.Diff(uncomment(before), uncomment(after)))
		}
	})
}

// TestPrivilegedDetect leaves the variant to detection.
func TestPrivilegedDetect(t *testing.T) {
	nstest.Skip(t, "iptables")
	out, err := exec.Command("iptables", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := Legacy
	if strings.Contains(string(out), "nf_tables") {
		want = NFT
	}
	ns := nstest.New(t, "iptdetect")
	b := &Backend{Netns: ns.Name}
	tl, err := b.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if tl.b.Variant != want || tl.b.Family != 4 {
		t.Errorf("resolved %+v from %q", tl.b, out)
	}
	if _, err := b.Apply("x", []byte("*filter\n:INPUT DROP [0:0]\nCOMMIT\n")); err != nil {
		t.Fatal(err)
	}
	chains, err := b.Chains("filter")
	if err != nil || len(chains) != 3 {
		t.Errorf("Chains = %q, %v", chains, err)
	}
}

// TestPrivilegedNoNetns names a namespace that does not exist.
func TestPrivilegedNoNetns(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save", "iptables-legacy")
	b := &Backend{Variant: Legacy, Netns: "xt2nft-no-such-namespace"}
	if _, err := b.Save(nil); err == nil || !strings.Contains(err.Error(), "xt2nft-no-such-namespace") {
		t.Errorf("Save = %v", err)
	}
	if _, err := b.Chains("filter"); err == nil || !strings.Contains(err.Error(), "xt2nft-no-such-namespace") {
		t.Errorf("Chains = %v", err)
	}
}

// TestPrivilegedUnprivileged runs the backend as nobody (this test binary
// re-run through setpriv, inside a namespace) and checks that every call
// says that privileges are missing.
func TestPrivilegedUnprivileged(t *testing.T) {
	nstest.Skip(t, "setpriv", "iptables-legacy-restore", "iptables-nft-restore")
	dir, err := os.MkdirTemp("", "xt2nft-ipt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "ipt.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ns := nstest.New(t, "iptnobody")
	stdout, stderr, err := ns.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
		"env", "XT2NFT_IPT_HELPER=unprivileged", "XT2NFT_IPT_NETNS="+ns.Name, bin, "-test.run=^TestHelperUnprivileged$", "-test.v")
	t.Log(stdout)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "--- PASS: TestHelperUnprivileged") {
		t.Fatal("helper did not run")
	}
}

// TestHelperUnprivileged is run by TestPrivilegedUnprivileged.
func TestHelperUnprivileged(t *testing.T) {
	if os.Getenv("XT2NFT_IPT_HELPER") != "unprivileged" {
		t.Skip("helper for TestPrivilegedUnprivileged")
	}
	if os.Geteuid() == 0 {
		t.Fatal("running as root")
	}
	dump := []byte("*filter\n:INPUT DROP [0:0]\nCOMMIT\n")
	for _, b := range []*Backend{
		{Variant: Legacy}, {Variant: NFT}, {Family: 6, Variant: NFT},
		{Variant: NFT, Netns: os.Getenv("XT2NFT_IPT_NETNS")},
	} {
		_, saveErr := b.Save(nil)
		_, applyErr := b.Apply("x", dump)
		_, chainsErr := b.Chains("filter")
		for what, err := range map[string]error{"Save": saveErr, "Check": b.Check("x", dump), "Apply": applyErr, "Chains": chainsErr} {
			t.Logf("%+v %s: %v", *b, what, err)
			if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "permission denied: run as root") {
				t.Errorf("%+v %s: %v: not a permission error", *b, what, err)
			}
		}
	}
}
