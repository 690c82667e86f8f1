package nft_test

import (
	"bytes"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// BenchmarkLowerAll times lowering every rule of the 100,000-rule dump, to
// weigh checking every rule's size against skipping small ones.
func BenchmarkLowerAll(b *testing.B) {
	tmpls, _ := rulegen.Usable()
	var dump bytes.Buffer
	if _, err := rulegen.Generate(&dump, rulegen.Config{N: 100000, Seed: 1, Templates: tmpls}); err != nil {
		b.Fatal(err)
	}
	out := translate.Files([]translate.Input{{Name: "b", Src: dump.Bytes()}}, parser.Options{}, translate.Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := nft.Lower(out.Ruleset); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStmtExprBound pins maxStmtExprs, the bound OversizeRules relies on
// to skip rules with few statements: no statement of any golden case's
// translation lowers to more expressions.
func TestStmtExprBound(t *testing.T) {
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	most, where := 0, ""
	for _, gc := range cases {
		out := gc.Run()
		if out.Ruleset == nil {
			continue
		}
		if n, pos := nft.LargestStmt(out.Ruleset); n > most {
			most, where = n, gc.Name+": "+pos.String()
		}
	}
	if most > nft.MaxStmtExprs {
		t.Errorf("a statement lowers to %d expressions (%s); maxStmtExprs is %d", most, where, nft.MaxStmtExprs)
	}
	t.Logf("largest statement: %d expressions (%s)", most, where)
}
