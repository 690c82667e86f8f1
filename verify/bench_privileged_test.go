//go:build linux

package verify

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// BenchmarkVerify verifies generated rulesets (translate/rulegen, the
// templates xt2nft translates) of 100 and 1,000 rules: the time of a
// whole run (labs built, both firewalls loaded, every probe sent) and the
// probes and packets it sends, and the coverage with and without the
// variants (XT2NFT_VERIFY_NO_VARIANTS=1: none made). Privileged:
// XT2NFT_PRIVILEGED=1 go test ./verify -run '^$' -bench Verify -benchtime 1x.
func BenchmarkVerify(b *testing.B) {
	lab.Skip(b, "iptables-legacy-restore", "ip6tables-legacy-restore")
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ok, _ := rulegen.Usable()
			var buf bytes.Buffer
			if _, err := rulegen.Generate(&buf, rulegen.Config{N: n, Seed: 1, Templates: ok}); err != nil {
				b.Fatal(err)
			}
			in := []Input{{Name: fmt.Sprintf("gen%d.rules", n), Src: buf.Bytes()}}
			opt := Options{NoVariants: os.Getenv("XT2NFT_VERIFY_NO_VARIANTS") == "1"}
			pairs := 2
			if p := os.Getenv("XT2NFT_VERIFY_PAIRS"); p != "" {
				fmt.Sscan(p, &pairs)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				opt.Pairs = pairs
				rep, err := Run(in, opt)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rep.Probes), "probes")
				b.ReportMetric(float64(rep.Packets), "packets")
				b.ReportMetric(100*rep.Coverage, "%coverage")
				b.ReportMetric(100*rep.VariantCoverage, "%with-variants")
				b.ReportMetric(float64(len(rep.Differences)), "differences")
				b.Logf("%d rules: %s (labs %s), %d probes, %d packets, coverage %d/%d, with variants %d/%d, %d differences", n, time.Since(start).Round(time.Millisecond), rep.Setup.Round(time.Millisecond), rep.Probes, rep.Packets, rep.Reached, rep.Rules, rep.Reached+rep.InVariant, rep.Rules, len(rep.Differences))
			}
		})
	}
}
