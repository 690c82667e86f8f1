package nft

import (
	"testing"

	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// Lower builds every rule of a table with one lowerer, in one scratch
// list, from slabs the table's rules share, and ruleDigests reuses one
// buffer and hasher for all of them: nothing of one rule may leak into the
// next (a protocol the rule before established, its expressions, its
// anonymous sets' names). For every golden case, and a table made to tempt
// such leaks, each rule lowered with its table has the digest it has when
// lowered alone (its table with no other rule), and the digests computed
// in one pass are those of a fresh digester for each rule.
func TestLowerRulesAlone(t *testing.T) {
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	type named struct {
		name string
		rs   *translate.Ruleset
	}
	var all []named
	for _, c := range cases {
		if out := c.Run(); out.Ruleset != nil && !out.Failed {
			all = append(all, named{c.Name, out.Ruleset})
		}
	}
	// Each rule after the first would lose something to the one before:
	// the protocol it matched (its dependency), the family, its set.
	tempt := translate.Files([]translate.Input{{Name: "tempt.v4", Src: []byte(`*filter
:INPUT DROP [0:0]
-A INPUT -p tcp -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p udp -m multiport --dports 53,5353 -j ACCEPT
-A INPUT -p udp -m multiport --dports 53,5354 -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -m comment --comment one -j DROP
-A INPUT -j DROP
COMMIT
`)}}, parser.Options{}, translate.Options{})
	if tempt.Failed {
		t.Fatalf("translate: %v", tempt.Diags)
	}
	all = append(all, named{"tempt", tempt.Ruleset})
	checked := 0
	for _, c := range all {
		p, err := Lower(c.rs)
		if err != nil {
			continue // refused by the lowering
		}
		digests, err := ruleDigests(p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, tp := range p.Tables {
			for k, r := range tp.Rules {
				fresh, err := (&ruleDigester{}).digest(r)
				if err != nil {
					t.Fatal(err)
				}
				if fresh != digests[i][k] {
					t.Errorf("%s: rule %d of %s: digest %s in one pass, %s alone", c.name, k, tp.Table.Name, digests[i][k], fresh)
				}
				if alone := aloneDigest(t, c.rs.Tables[i], k); alone != fresh {
					t.Errorf("%s: rule %d (%s) of %s lowers with its table to digest %s, alone to %s", c.name, k, r.Origin, tp.Table.Name, fresh, alone)
				}
				checked++
			}
		}
	}
	if checked < 500 {
		t.Errorf("only %d rules checked", checked)
	}
}

// aloneDigest lowers table st with its k-th rule as its only rule and
// returns that rule's digest.
func aloneDigest(t *testing.T, st *translate.Table, k int) digest {
	t.Helper()
	src := *st
	src.Chains = nil
	n := 0 // the rules Lower lowers, in its order
	for _, c := range st.Chains {
		cc := *c
		cc.Rules = nil
		for _, ir := range c.Rules {
			if ir.Disabled != "" {
				continue
			}
			if n == k {
				cc.Rules = append(cc.Rules, ir)
			}
			n++
		}
		src.Chains = append(src.Chains, &cc)
	}
	p, err := Lower(&translate.Ruleset{Tables: []*translate.Table{&src}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Tables[0].Rules); n != 1 {
		t.Fatalf("rule %d: %d rules lowered alone", k, n)
	}
	d, err := (&ruleDigester{}).digest(p.Tables[0].Rules[0])
	if err != nil {
		t.Fatal(err)
	}
	return d
}
