//go:build linux

package verify

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/translate"
)

// variantRules has two rules no packet reaches: one after a rule that
// drops everything, one in a chain nothing jumps to.
const variantRules = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:unused - [0:0]
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -j DROP
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A unused -p tcp -m tcp --dport 443 -j DROP
COMMIT
`

// TestPrivilegedVariants checks that the rules no packet can reach are
// probed in a variant, and that a wrong translation of them is found
// there, reported at the original rule: a mutation of both dead rules'
// ports (80 and 443 one higher) changes nothing in the ruleset as it is,
// and must show in the variant.
func TestPrivilegedVariants(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	in := []Input{{Name: "dead.rules", Src: []byte(variantRules)}}
	rep, err := Run(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.WriteText(&b)
	t.Log(b.String())
	if !rep.OK() || rep.Reached != 2 || rep.InVariant != 2 || len(rep.Uncovered) != 0 {
		t.Fatalf("want no difference, 2 rules reached in the ruleset and 2 in a variant, none uncovered; got %d differences, %d reached, %d in a variant, %d uncovered", len(rep.Differences), rep.Reached, rep.InVariant, len(rep.Uncovered))
	}
	for _, u := range rep.Variants {
		if u.Rule != "dead.rules:8" && u.Rule != "dead.rules:9" || !strings.Contains(u.Reason, "a variant") {
			t.Errorf("reached in a variant: %+v", u)
		}
	}
	if rep.Variants[0].Reason == rep.Variants[1].Reason {
		t.Errorf("both variants' changes read %q: one removes a rule, the other enters a chain", rep.Variants[0].Reason)
	}

	ports := func(rs *translate.Ruleset) {
		for _, tb := range rs.Tables {
			for _, c := range tb.Chains {
				for _, r := range c.Rules {
					for _, s := range r.Stmts {
						if m, ok := s.(*translate.Match); ok {
							if n, ok := m.Right.(*translate.Int); ok && (n.V == 80 || n.V == 443) {
								n.V++
							}
						}
					}
				}
			}
		}
	}
	rep, err = Run(in, Options{Mutate: ports, MutateVariants: true})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	rep.WriteText(&b)
	t.Log(b.String())
	found := map[string]bool{}
	for _, d := range rep.Differences {
		if d.Variant == "" {
			t.Errorf("a difference outside a variant: %+v", d)
		}
		found[d.Rule] = true
	}
	if !found["dead.rules:8"] || !found["dead.rules:9"] || len(found) != 2 {
		t.Errorf("want differences at dead.rules:8 and :9 (in variants), got %v", found)
	}
	rep, err = Run(in, Options{Mutate: ports})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.InVariant != 0 {
		t.Errorf("without MutateVariants no variant is made: got %d differences, %d in a variant", len(rep.Differences), rep.InVariant)
	}
}
