//go:build linux

package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedCheck: check lists the features a translation needs with
// the rule that first needs each, tries them on the running kernel, and
// fails on a kernel configuration that lacks one.
func TestPrivilegedCheck(t *testing.T) {
	nstest.Skip(t)
	rules := writeFile(t, "rules.v4", "*filter\n:INPUT DROP [0:0]\n"+
		"-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"+
		"-A INPUT -p tcp --dport 22 -m limit --limit 3/min -j ACCEPT\nCOMMIT\n")
	full := writeFile(t, "config-full", "CONFIG_NF_TABLES_IPV4=y\nCONFIG_NFT_CT=m\nCONFIG_NFT_LIMIT=y\n")
	code, out, stderr := xt(t, "check", "--kernel-config", full, rules)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, stderr)
	}
	for _, want := range []string{
		`conntrack expression \(ct\)\s+\S*rules.v4:3:1\s+CONFIG_NFT_CT\s+yes\s+module`,
		`limit\s+\S*rules.v4:4:1\s+CONFIG_NFT_LIMIT\s+yes\s+built in`,
		`legacy iptables tables in \S+: no legacy iptables tables`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("no line matching %q in:\n%s", want, out)
		}
	}
	lacking := writeFile(t, "config-lacking", "CONFIG_NF_TABLES_IPV4=y\nCONFIG_NFT_CT=y\n# CONFIG_NFT_LIMIT is not set\nCONFIG_IP_NF_IPTABLES_LEGACY=m\n")
	code, out, stderr = xt(t, "check", "--kernel-config", lacking, rules)
	if code != 1 || !regexp.MustCompile(`limit\s+\S+\s+CONFIG_NFT_LIMIT\s+yes\s+not set`).MatchString(out) ||
		!strings.Contains(stderr, "1 feature missing") || !strings.Contains(out, "IP_NF_IPTABLES_LEGACY: module") {
		t.Errorf("exit %d, want 1 with limit not set:\n%s%s", code, out, stderr)
	}
	// A bad dump is a positioned error, as for the translation.
	bad := writeFile(t, "bad.v4", "*filter\n-A INPUT -p tcp --dport x -j ACCEPT\nCOMMIT\n")
	if code, _, stderr := xt(t, "check", bad); code != 1 || !strings.Contains(stderr, "bad.v4:2:") {
		t.Errorf("bad dump: exit %d: %s", code, stderr)
	}
}
