package translate_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkScale times parse + translate + render at 10k, 100k and 1M
// rules (one user chain per 500 rules) and at as many user chains as rules
// (most user chains empty or with one rule, built-in chains jumping to
// them): both must grow linearly with the input. It translates as the
// xt2nft command does (Prepare with RenderAhead, then Render). peak-MB is
// the largest live heap seen while the iteration ran (sampled every 2 ms).
//
//	go test ./translate -run '^$' -bench Scale -benchtime 1x
func BenchmarkScale(b *testing.B) {
	tmpls, _ := rulegen.Usable()
	for _, shape := range []string{"rules", "chains"} {
		for _, n := range []int{10000, 100000, 1000000} {
			b.Run(fmt.Sprintf("%s=%d", shape, n), func(b *testing.B) {
				cfg := rulegen.Config{N: n, Seed: 1, Templates: tmpls}
				if shape == "chains" {
					cfg.Chains = n
				}
				var dump bytes.Buffer
				if _, err := rulegen.Generate(&dump, cfg); err != nil {
					b.Fatal(err)
				}
				src := dump.Bytes()
				b.SetBytes(int64(len(src)))
				b.ReportAllocs()
				peak := heapPeak()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					out := translate.Prepare([]translate.Input{{Name: "scale.rules", Src: src}}, parser.Options{}, translate.Options{RenderAhead: true})
					if out.Failed {
						b.Fatal(strings.Join(out.Diags, "\n"))
					}
					if err := translate.Render(io.Discard, out.Ruleset); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(peak())/(1<<20), "peak-MB")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/item")
			})
		}
	}
}

// heapPeak starts sampling the live heap and returns a function that stops
// the sampler and reports the largest value seen.
func heapPeak() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var max atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > max.Load() {
				max.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return max.Load()
	}
}
