//go:build linux

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/live"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

const planOld = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p tcp --dport 22 -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP
-A INPUT -p tcp --dport 22 -m recent --name ssh --set -j ACCEPT
-A INPUT -p tcp --dport 80 -j ACCEPT
COMMIT
`

// planNew adds a rule (line 6), changes one (line 9), changes FORWARD's
// policy, and has an approximation (line 10).
const planNew = `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP
-A INPUT -p tcp --dport 22 -m recent --name ssh --set -j ACCEPT
-A INPUT -p tcp --dport 443 -j ACCEPT
-A INPUT -m recent --name knock --rcheck --seconds 10 --reap -j ACCEPT
COMMIT
`

type planDocT struct {
	ExitStatus int                `json:"exit_status"`
	Meaning    string             `json:"exit_meaning"`
	Tables     []live.TableChange `json:"tables"`
	Totals     live.Totals        `json:"totals"`
	Carried    []string           `json:"sets_carried"`
	Warnings   []diagJSON         `json:"warnings"`
	Messages   []string           `json:"messages"`
	Diff       string             `json:"diff"`
}

func planDocOf(t *testing.T, out string) planDocT {
	t.Helper()
	var d planDocT
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("plan --json is not JSON: %v\n%s", err, out)
	}
	return d
}

// findChain finds a chain change by name suffix (the layouts name chains
// differently).
func findChain(d planDocT, suffix string) *live.ChainChange {
	for _, tc := range d.Tables {
		for i := range tc.Chains {
			if strings.HasSuffix(tc.Chains[i].Name, suffix) {
				return &tc.Chains[i]
			}
		}
	}
	return nil
}

// TestPrivilegedPlanJSON: plan --json says, as data, which rules are
// added, changed and removed where (with the source rule of each), which
// chain heads change, which sets apply carries, the warnings with their
// positions and what the exit status means, for both backends; a failed
// plan is a JSON document too.
func TestPrivilegedPlanJSON(t *testing.T) {
	nstest.Skip(t, "nft", "iptables-legacy-restore")
	ns := nstest.New(t, "planjson")
	old, next := writeFile(t, "old.v4", planOld), writeFile(t, "new.v4", planNew)
	if code, _, stderr := xt(t, "apply", "--netns", ns.Name, old); code != 0 {
		t.Fatalf("apply: %s", stderr)
	}
	code, out, stderr := xt(t, "plan", "--json", "--netns", ns.Name, next)
	d := planDocOf(t, out)
	if code != planChanges || d.ExitStatus != planChanges || !strings.HasPrefix(d.Meaning, "changes") {
		t.Fatalf("exit %d, document says %d %q: %s", code, d.ExitStatus, d.Meaning, stderr)
	}
	in := findChain(d, "INPUT")
	if in == nil {
		t.Fatalf("no INPUT chain change:\n%s", out)
	}
	var added, changed *live.RuleChange
	for i, r := range in.Rules {
		switch r.Change {
		case live.Added:
			if strings.Contains(r.Rule, `iifname "lo"`) {
				added = &in.Rules[i]
			}
		case live.Changed:
			changed = &in.Rules[i]
		}
	}
	if added == nil || added.Position != 2 || !strings.HasSuffix(added.Origin, "new.v4:6:1") {
		t.Errorf("the lo rule added at INPUT 2 from new.v4:6:1: got %+v", added)
	}
	if changed == nil || !strings.Contains(changed.Was, "dport 80") || !strings.Contains(changed.Rule, "dport 443") || !strings.HasSuffix(changed.Origin, "new.v4:9:1") {
		t.Errorf("dport 80 changed to 443 from new.v4:9:1: got %+v", changed)
	}
	if fw := findChain(d, "FORWARD"); fw == nil || fw.Head == nil || !strings.Contains(fw.Head.Was[0], "policy drop") || !strings.Contains(fw.Head.Now[0], "policy accept") {
		t.Errorf("FORWARD's policy change: got %+v", fw)
	}
	if d.Totals.RulesChanged != 1 || d.Totals.RulesAdded < 2 {
		t.Errorf("totals %+v", d.Totals)
	}
	carried := strings.Join(d.Carried, ",")
	if !strings.Contains(carried, "ip xt2nft recent_ssh") || strings.Contains(carried, "knock") {
		t.Errorf("sets carried: %v (the ssh list's sets, not the new knock list's)", d.Carried)
	}
	if len(d.Warnings) != 1 || d.Warnings[0].Line != 10 || !strings.HasSuffix(d.Warnings[0].File, "new.v4") || !strings.Contains(d.Warnings[0].Message, "--reap") {
		t.Errorf("warnings: %+v", d.Warnings)
	}
	if !strings.Contains(d.Diff, "+\t\ttcp dport 443") {
		t.Errorf("the diff is missing:\n%s", d.Diff)
	}

	// The same ruleset: no changes, exit 0.
	code, out, _ = xt(t, "plan", "--json", "--netns", ns.Name, old)
	if d := planDocOf(t, out); code != planNoChanges || d.ExitStatus != planNoChanges || d.Totals != (live.Totals{}) || len(d.Tables) != 1 || d.Tables[0].Change != live.Unchanged {
		t.Errorf("plan of the live ruleset: exit %d: %s", code, out)
	}

	// A failed plan is a document with the messages.
	bad := writeFile(t, "bad.v4", "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport x -j ACCEPT\nCOMMIT\n")
	code, out, _ = xt(t, "plan", "--json", "--netns", ns.Name, bad)
	if d := planDocOf(t, out); code != exitError || d.ExitStatus != exitError || len(d.Messages) == 0 || !strings.Contains(d.Messages[0], "bad.v4:3:") {
		t.Errorf("failed plan: exit %d: %s", code, out)
	}

	// The iptables backend: the dumps' chains and rules.
	ns2 := nstest.New(t, "planjson-ipt")
	if code, _, stderr := xt(t, "apply", "--backend", "iptables", "--iptables", "legacy", "--netns", ns2.Name, old); code != 0 {
		t.Fatalf("apply --backend iptables: %s", stderr)
	}
	code, out, stderr = xt(t, "plan", "--json", "--backend", "iptables", "--iptables", "legacy", "--netns", ns2.Name, next)
	d = planDocOf(t, out)
	in = findChain(d, "INPUT")
	if code != planChanges || in == nil || d.Totals.RulesChanged != 1 {
		t.Fatalf("iptables backend: exit %d (%s):\n%s", code, stderr, out)
	}
	found := false
	for _, r := range in.Rules {
		if r.Change == live.Changed && strings.Contains(r.Was, "--dport 80") && strings.Contains(r.Rule, "--dport 443") && r.Position == 5 {
			found = true
		}
	}
	if !found {
		t.Errorf("iptables backend: no change of --dport 80 to 443 at INPUT 5:\n%s", out)
	}
	if fw := findChain(d, "FORWARD"); fw == nil || fw.Head == nil || fw.Head.Now[0] != "policy ACCEPT" {
		t.Errorf("iptables backend: FORWARD's policy: %+v", fw)
	}
}
