//go:build linux

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedPlanVerify: plan --verify prints the plan and then
// verify's verdict; a translation verify finds a difference in (the
// approximate --rttl, which verify provokes) makes the exit status 1, in
// text and in JSON, and the live ruleset stays as it was.
func TestPrivilegedPlanVerify(t *testing.T) {
	nstest.Skip(t, "nft", "iptables-legacy-restore")
	ns := nstest.New(t, "cli-planverify")
	before := listing(t, ns)

	rules := writeFile(t, "rules.v4", liveDump)
	code, out, errs := xt(t, "plan", "--verify", "--netns", ns.Name, rules)
	if code != planChanges || !strings.Contains(out, "+table ip xt2nft {") || !strings.Contains(out, "\nverify:\n") || !strings.Contains(out, "no difference found; coverage") {
		t.Fatalf("plan --verify: exit %d, want %d (changes)\n%s\n%s", code, planChanges, out, errs)
	}

	rttl := writeFile(t, "rttl.v4", `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 1000 -m recent --set --name ttl --rsource
-A INPUT -p udp -m udp --dport 2000 -m recent --rcheck --seconds 5 --rttl --name ttl --rsource -j ACCEPT
-A INPUT -p udp -m udp --dport 2000 -j DROP
COMMIT
`)
	code, out, errs = xt(t, "plan", "--verify", "--json", "--netns", ns.Name, rttl)
	var doc struct {
		ExitStatus int `json:"exit_status"`
		Verify     *struct {
			Rules       int `json:"rules"`
			Differences []struct {
				Rule   string `json:"rule"`
				Warned string `json:"warned"`
			} `json:"differences"`
		} `json:"verify"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan --verify --json: %v\n%s\n%s", err, out, errs)
	}
	if code != exitError || doc.ExitStatus != exitError || doc.Verify == nil || len(doc.Verify.Differences) == 0 {
		t.Fatalf("plan --verify --json on --rttl: exit %d (document %d), want 1 with verify's differences\n%s\n%s", code, doc.ExitStatus, out, errs)
	}
	if d := doc.Verify.Differences[0]; !strings.HasSuffix(d.Rule, "rttl.v4:4") || !strings.Contains(d.Warned, "--rttl") {
		t.Errorf("the difference names %s (warned %q), want rttl.v4:4 and the --rttl warning", d.Rule, d.Warned)
	}
	if !strings.Contains(errs, "verify found") {
		t.Errorf("no message says verify found differences:\n%s", errs)
	}

	if code, _, errs := xt(t, "plan", "--verify", "--backend", "iptables", "--netns", ns.Name, rules); code != exitError || !strings.Contains(errs, "--verify") {
		t.Errorf("plan --verify --backend iptables: exit %d, want 1 with a reason\n%s", code, errs)
	}
	if after := listing(t, ns); after != before {
		t.Fatalf("plan --verify changed the ruleset:\n%s", after)
	}
}
