//go:build linux

package main

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedVerifyExec: verify --exec verifies what a script built in
// the sandbox, as xt2nft --exec translates it: a script with variables
// and both families verifies clean (its IPv6 rules as IPv6, though they
// name no address); one whose translation verify finds a difference in
// (the approximate --rttl) exits 1 naming the rule as
// SCRIPT[iptables-save]:LINE; the ipsets a script made are translated as
// xt2nft --exec translates them, with their types (a hash:ip,port matched
// src,dst has no nft key without its type); a failed script is an error,
// not verified.
func TestPrivilegedVerifyExec(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore", "unshare")
	clean := writeFile(t, "clean.sh", `#!/bin/sh
IPT=iptables
for t in "$IPT" ip6tables; do
	$t -P INPUT DROP
	$t -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	$t -A INPUT -p tcp --dport 22 -j ACCEPT
done
`)
	code, out, errs := xt(t, "verify", "--exec", clean)
	if code != exitOK || !strings.Contains(out, "no difference found; coverage 4/4 rules") {
		t.Fatalf("verify --exec clean.sh: exit %d, want 0 and 4 of 4 rules reached (2 a family)\n%s\n%s", code, out, errs)
	}
	rttl := writeFile(t, "rttl.sh", `#!/bin/sh
ipt="iptables -A INPUT -p udp"
$ipt --dport 1000 -m recent --set --name ttl --rsource
$ipt --dport 2000 -m recent --rcheck --seconds 5 --rttl --name ttl --rsource -j ACCEPT
$ipt --dport 2000 -j DROP
`)
	code, out, errs = xt(t, "verify", "--exec", rttl)
	if code != exitError || !strings.Contains(out, "rttl.sh[iptables-save]:") || !strings.Contains(out, "--rttl") {
		t.Fatalf("verify --exec rttl.sh: exit %d, want 1 with a difference on the --rttl rule of rttl.sh[iptables-save]\n%s\n%s", code, out, errs)
	}
	sets := writeFile(t, "ipsets.sh", `#!/bin/sh
ipset create svc hash:ip,port
ipset add svc 10.0.0.1,tcp:5555
iptables -A INPUT -p tcp -m set --match-set svc src,dst -j ACCEPT
iptables -A INPUT -p tcp -j DROP
`)
	code, out, errs = xt(t, "verify", "--exec", sets)
	if code != exitOK || !strings.Contains(out, "no difference found; coverage 2/2 rules") {
		t.Fatalf("verify --exec ipsets.sh: exit %d, want 0 and 2 of 2 rules reached (a probe to the ipset's port)\n%s\n%s", code, out, errs)
	}
	failed := writeFile(t, "failed.sh", "#!/bin/sh\niptables -A INPUT -j ACCEPT\nexit 3\n")
	if code, out, errs := xt(t, "verify", "--exec", failed); code != exitError || !strings.Contains(errs, "exited with status 3") || strings.Contains(out, "coverage") {
		t.Errorf("verify --exec failed.sh: exit %d, want 1 and the script's failure, nothing verified\n%s\n%s", code, out, errs)
	}
}

// TestPrivilegedVerifyAllowPartial: verify of a partial translation
// (--allow-partial) does not say the translation is good: the rules left
// out are counted and the exit status is 1, even when the probes find no
// difference in the rest.
func TestPrivilegedVerifyAllowPartial(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore")
	rules := writeFile(t, "partial.rules", "*filter\n:INPUT ACCEPT [0:0]\n"+
		"-A INPUT -p udp -m udp --dport 53 -m string --string foo --algo bm -j DROP\n"+
		"-A INPUT -p tcp -m tcp --dport 22 -j DROP\nCOMMIT\n")
	code, out, errs := xt(t, "verify", "--allow-partial", rules)
	if code != exitError || !strings.Contains(out, "1 rule(s) not translated") {
		t.Fatalf("verify --allow-partial: exit %d, want 1 and the rule not translated counted\n%s\n%s", code, out, errs)
	}
}
