//go:build linux

package nft_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// program translates and lowers an iptables-save dump.
func program(t *testing.T, dump string) *nft.Program {
	t.Helper()
	return programWith(t, dump, translate.Options{})
}

// programWith is program with translation options.
func programWith(t testing.TB, dump string, topt translate.Options) *nft.Program {
	t.Helper()
	out := translate.Prepare([]translate.Input{{Name: "rules.v4", Src: []byte(dump)}}, parser.Options{}, topt)
	if out.Failed || out.Ruleset == nil {
		t.Fatalf("translate: %v", out.Diags)
	}
	p, err := nft.Lower(out.Ruleset)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const goodDump = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -m recent --name ssh --set
-A INPUT -p tcp --dport 22 -m recent --name ssh --rcheck --seconds 60 -j DROP
-A INPUT -p udp -m recent --name ssh --rcheck -j ACCEPT
COMMIT
`

// loopProgram is a ruleset the kernel refuses: the jump that closes the
// a -> b -> a loop. The parser refuses such a dump itself (the legacy
// kernel would), so the closing jump is added to the translation by hand,
// as if from line 7 of rules.v4.
func loopProgram(t *testing.T) *nft.Program {
	t.Helper()
	const dump = `*filter
:INPUT ACCEPT [0:0]
:a - [0:0]
:b - [0:0]
-A INPUT -j a
-A a -p tcp -j b
COMMIT
`
	out := translate.Prepare([]translate.Input{{Name: "rules.v4", Src: []byte(dump)}}, parser.Options{}, translate.Options{})
	if out.Failed || out.Ruleset == nil {
		t.Fatalf("translate: %v", out.Diags)
	}
	for _, c := range out.Ruleset.Tables[0].Chains {
		if c.Name == "filter_b" {
			c.Rules = append(c.Rules, &translate.Rule{Origin: parser.Pos{File: "rules.v4", Line: 7, Col: 1},
				Stmts: []translate.Stmt{&translate.Counter{}, &translate.Verdict{Kind: translate.VerdictJump, Chain: "filter_a"}}})
		}
	}
	p, err := nft.Lower(out.Ruleset)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPrivilegedApplyRejectedLeavesRulesetAlone: a batch the kernel
// refuses changes nothing (byte-identical listing, set contents included),
// and the error names the iptables rule.
func TestPrivilegedApplyRejectedLeavesRulesetAlone(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "apply-rej")
	ns, err := nft.OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if _, err := nft.Apply(ns, program(t, goodDump), nft.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	must(t)(tn.NFT("", "add", "element", "ip", "xt2nft", "recent_ssh_mem", "{ 10.9.9.9 }"))
	before := must(t)(tn.NFT("", "list", "ruleset"))
	_, err = nft.Apply(ns, loopProgram(t), nft.ApplyOptions{})
	if err == nil {
		t.Fatal("apply of a looping ruleset succeeded")
	}
	t.Logf("refused as expected: %v", err)
	if !regexp.MustCompile(`^rules\.v4:7:\d+: kernel rejected rule: `).MatchString(err.Error()) {
		t.Errorf("error does not name the rule that closes the loop (rules.v4:7): %v", err)
	}
	after := must(t)(tn.NFT("", "list", "ruleset"))
	if before != after {
		t.Errorf("ruleset changed by a failed apply:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if !strings.Contains(after, "10.9.9.9") {
		t.Error("set element lost")
	}
}

// TestPrivilegedApplyKeepsRecentSets: a re-apply leaves the recent lists'
// sets in place with their addresses (nothing read, nothing copied); a
// whole-table swap carries the addresses over with their remaining time;
// --reset-sets empties them either way.
func TestPrivilegedApplyKeepsRecentSets(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "apply-keep")
	ns, err := nft.OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	p := program(t, goodDump)
	if _, err := nft.Apply(ns, p, nft.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	must(t)(tn.NFT("", "add", "element", "ip", "xt2nft", "recent_ssh_mem", "{ 10.1.1.1, 10.1.1.2 }"))
	must(t)(tn.NFT("", "add", "element", "ip", "xt2nft", "recent_ssh_last_60", "{ 10.1.1.1 }"))
	time.Sleep(1100 * time.Millisecond)
	res, err := nft.Apply(ns, program(t, goodDump), nft.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InPlace != 1 || res.CarriedElem != 0 || res.Changed.SetsKept != len(p.Tables[0].Sets) || res.Changed.RulesAdded != 0 {
		t.Errorf("re-apply of the same ruleset: %d tables in place, %d elements carried, %+v; want the table and its %d sets kept, nothing sent",
			res.InPlace, res.CarriedElem, res.Changed, len(p.Tables[0].Sets))
	}
	res, err = nft.Apply(ns, program(t, goodDump), nft.ApplyOptions{Whole: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.CarriedElem != 3 {
		t.Errorf("whole swap carried %d elements, want 3", res.CarriedElem)
	}
	mem := must(t)(tn.NFT("", "list", "set", "ip", "xt2nft", "recent_ssh_mem"))
	if !strings.Contains(mem, "10.1.1.1") || !strings.Contains(mem, "10.1.1.2") {
		t.Errorf("mem set lost its addresses:\n%s", mem)
	}
	last := must(t)(tn.NFT("", "list", "set", "ip", "xt2nft", "recent_ssh_last_60"))
	m := regexp.MustCompile(`10\.1\.1\.1 timeout (\d+)s(\d+)?m?s? expires (\d+)s`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("window set lost its address or its timeout:\n%s", last)
	}
	if exp := m[3]; exp != "57" && exp != "58" {
		t.Errorf("remaining time %ss, want about 58s (60s minus the time already spent):\n%s", exp, last)
	}
	for _, whole := range []bool{false, true} {
		must(t)(tn.NFT("", "add", "element", "ip", "xt2nft", "recent_ssh_mem", "{ 10.1.1.1 }"))
		if _, err := nft.Apply(ns, program(t, goodDump), nft.ApplyOptions{ResetSets: true, Whole: whole}); err != nil {
			t.Fatal(err)
		}
		if mem := must(t)(tn.NFT("", "list", "set", "ip", "xt2nft", "recent_ssh_mem")); strings.Contains(mem, "10.1.1.1") {
			t.Errorf("--reset-sets (whole %v) kept the addresses:\n%s", whole, mem)
		}
	}
}

// TestPrivilegedCheckTouchesNothing: Check validates on a scratch
// namespace; the live one is untouched, and refusals name the rule.
func TestPrivilegedCheckTouchesNothing(t *testing.T) {
	nstest.Skip(t, "nft")
	if err := nft.Check(program(t, goodDump)); err != nil {
		t.Fatal(err)
	}
	err := nft.Check(loopProgram(t))
	if err == nil || !strings.HasPrefix(err.Error(), "rules.v4:7:") {
		t.Fatalf("check of a looping ruleset: %v", err)
	}
}
