package translate_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// BenchmarkTranslate100k times parse + translate + render of a generated
// 100,000-rule iptables-save dump (filter, nat and mangle; see
// translate/rulegen for the mix). Only rule templates xt2nft
// translates today are used, so the mix widens as translators land; the
// same dump comes from `go run ./translate/internal/genrules -n 100000`.
//
//	go test ./translate -run '^$' -bench Translate100k -benchmem
func BenchmarkTranslate100k(b *testing.B) {
	tmpls, dropped := rulegen.Usable()
	var dump bytes.Buffer
	st, err := rulegen.Generate(&dump, rulegen.Config{N: 100000, Seed: 1, Templates: tmpls})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s", st)
	if len(dropped) > 0 {
		b.Logf("templates left out (not translated yet): %s", strings.Join(dropped, ", "))
	}
	src := dump.Bytes()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, _, err := parser.Parse("100k.rules", src, parser.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res := translate.Translate(d, translate.Options{})
		if err := res.Err(); err != nil {
			b.Fatal(err)
		}
		if err := translate.Render(io.Discard, res.Ruleset); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/rule")
}
