//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// BenchmarkRead200k and BenchmarkRead1M time recentctl list, show and
// export of a list of 200,000 (1,000,000) addresses, each iteration next to
// nft list set of the same set, so that both see the same load; each is
// reported as its fastest and median run (s):
//
//	sudo XT2NFT_PRIVILEGED=1 go test ./cmd/recentctl -run '^$' -bench Read200k -benchtime 5x
func BenchmarkRead200k(b *testing.B) { benchRead(b, 200000) }

// BenchmarkRead1M: see BenchmarkRead200k.
func BenchmarkRead1M(b *testing.B) { benchRead(b, 1000000) }

func benchRead(b *testing.B, n int) {
	bin, ns, imp := benchList(b, n)
	cmd := exec.Command(bin, "import", "--netns", ns)
	cmd.Stdin = bytes.NewReader(imp)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("import: %v: %s", err, out)
	}
	runs := map[string][]time.Duration{}
	timed := func(name string, argv ...string) {
		start := time.Now()
		out, err := exec.Command(argv[0], argv[1:]...).Output()
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		runs[name] = append(runs[name], time.Since(start))
		if name == "list" && !bytes.Contains(out, []byte(fmt.Sprint(n))) {
			b.Fatalf("list: %s", out)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		timed("nft", "ip", "netns", "exec", ns, "nft", "list", "set", "ip", "xt2nft", "recent_fromList_last_3600")
		timed("list", bin, "list", "--netns", ns)
		timed("show", bin, "show", "fromList", "--netns", ns)
		timed("export", bin, "export", "--netns", ns)
	}
	b.StopTimer()
	for name, ds := range runs {
		slices.Sort(ds)
		b.ReportMetric(ds[0].Seconds(), name+"-min-s")
		b.ReportMetric(ds[len(ds)/2].Seconds(), name+"-med-s")
	}
}
