//go:build linux

package main

import (
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// policyCounters are a chain's policy counters in iptables-save -c, which
// the namespace's own IPv6 neighbour discovery moves.
var policyCounters = regexp.MustCompile(`(?m)^(:\S+ \S+) \[\d+:\d+\]$`)

// migrateState is what neither --dry-run nor a refused migrate may
// change: the legacy tables with their rules' counters, every list's
// lines, the ipsets, and (none of) the xt2nft tables.
func (l *migrateLab) migrateState() string {
	_, ipsets, _ := l.legacySnapshot()
	return policyCounters.ReplaceAllString(l.savedWithCounters(), "$1") + "\n--\n" + l.procText() + "\n--\n" + ipsets + "\n--\n" + l.nftTables()
}

// TestPrivilegedMigrateDryRun: --dry-run shows the nft tables, the lists
// and sets carried and the order the legacy tables would be emptied in,
// and changes nothing.
func TestPrivilegedMigrateDryRun(t *testing.T) {
	bin := xtBinaryOrSkip(t)
	l := newMigrateLab(t, "mgd")
	l.fillLists()
	before := l.migrateState()
	cmd := exec.Command(bin, "migrate", "--dry-run", "--netns", l.fw.Name)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("migrate --dry-run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"+table ip xt2nft", "+table ip6 xt2nft", "@recent_ssh_"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the plan does not show %q:\n%s", want, stdout.String())
		}
	}
	for _, want := range []string{
		"the legacy tables would be emptied in this order",
		"ipv4 mangle (4 rules); ipv4 raw (2 rules); ipv4 nat (2 rules); ipv4 filter",
		"ipset blocklist (hash:ip): 2 elements carried",
		`xt_recent list "ssh": 4 entries carried`,
		"nothing was changed",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("migrate --dry-run does not say %q:\n%s", want, stderr.String())
		}
	}
	if after := l.migrateState(); after != before {
		t.Errorf("migrate --dry-run changed the host:\n%s\nwas\n%s", after, before)
	}
}

// TestPrivilegedMigrateRefuses: a host with a rule xt2nft cannot translate
// is refused with exit 1, each such rule named (position and the rule as
// iptables-legacy-save lists it), and nothing changes.
func TestPrivilegedMigrateRefuses(t *testing.T) {
	bin := xtBinaryOrSkip(t)
	l := newMigrateLab(t, "mgu")
	if _, stderr, err := l.fw.Run("iptables-legacy", "-I", "INPUT", "2", "-p", "tcp", "--dport", "25",
		"-m", "recent", "--name", "mail", "--rcheck", "--hitcount", "2", "-j", "RETURN"); err != nil {
		t.Fatal(stderr)
	}
	l.fillLists()
	before := l.migrateState()
	out, err := exec.Command(bin, "migrate", "--netns", l.fw.Name, "--confirm", "60s").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("migrate of an untranslatable host: %v, want exit 1:\n%s", err, out)
	}
	for _, want := range []string{
		"iptables-legacy-save:", "cannot translate rule: recent: --hitcount above 1",
		"-A INPUT -p tcp -m tcp --dport 25 -m recent --rcheck --hitcount 2 --name mail",
		"1 of the live legacy rules cannot be translated", "nothing was changed",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("migrate does not say %q:\n%s", want, out)
		}
	}
	if after := l.migrateState(); after != before {
		t.Errorf("a refused migrate changed the host:\n%s\nwas\n%s", after, before)
	}
}
