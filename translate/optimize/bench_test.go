package optimize_test

import (
	"bytes"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// BenchmarkOptimize100k times the optimizer alone on the translation of
// the generated 100,000-rule dump (translate/rulegen) and reports how many
// rules and sets come out.
//
//	go test ./translate/optimize -run '^$' -bench Optimize100k -benchmem
func BenchmarkOptimize100k(b *testing.B) {
	tmpls, _ := rulegen.Usable()
	var dump bytes.Buffer
	if _, err := rulegen.Generate(&dump, rulegen.Config{N: 100000, Seed: 1, Templates: tmpls}); err != nil {
		b.Fatal(err)
	}
	src := dump.Bytes()
	b.ReportAllocs()
	var rules, sets int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d, _, err := parser.Parse("100k.rules", src, parser.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res := translate.Translate(d, translate.Options{})
		if err := res.Err(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		optimize.Run(res.Ruleset, optimize.Options{})
		rules, sets = 0, 0
		for _, t := range res.Ruleset.Tables {
			sets += len(t.Sets)
			for _, c := range t.Chains {
				rules += len(c.Rules)
			}
		}
	}
	b.ReportMetric(float64(rules), "rules")
	b.ReportMetric(float64(sets), "sets")
}
