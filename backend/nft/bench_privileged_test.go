//go:build linux

package nft_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// The apply benchmark: the same 20,000-rule translation applied
// through netlink (one batch) and loaded by nft -f, each into a namespace
// that already holds the previous copy (a re-apply, the common case).
//
//	XT2NFT_PRIVILEGED=1 go test ./backend/nft -run '^$' -bench Apply20k -benchtime 5x
func bench20k(b *testing.B) (*translate.Ruleset, []byte) {
	b.Helper()
	tmpls, _ := rulegen.Usable()
	var dump bytes.Buffer
	if _, err := rulegen.Generate(&dump, rulegen.Config{N: 20000, Seed: 1, Templates: tmpls}); err != nil {
		b.Fatal(err)
	}
	out := translate.Files([]translate.Input{{Name: "bench.v4", Src: dump.Bytes()}}, parser.Options{}, translate.Options{})
	if out.Failed {
		b.Fatalf("translate: %v", out.Diags[:min(5, len(out.Diags))])
	}
	return out.Ruleset, out.Script
}

func BenchmarkApply20kNetlink(b *testing.B) {
	nstest.Skip(b, "nft")
	rs, _ := bench20k(b)
	p, err := nft.Lower(rs)
	if err != nil {
		b.Fatal(err)
	}
	tn := nstest.New(b, "bench-nl")
	ns, err := nft.OpenNS(tn.Name)
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	rules := 0
	for _, t := range p.Tables {
		rules += len(t.Rules)
	}
	b.ReportMetric(float64(rules), "rules")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Lowering is part of the work, as parsing the script is nft's.
		p, err := nft.Lower(rs)
		if err != nil {
			b.Fatal(err)
		}
		// Whole: an in-place re-apply of the same program sends nothing.
		if _, err := nft.Apply(ns, p, nft.ApplyOptions{Whole: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApply20kNftF(b *testing.B) {
	nstest.Skip(b, "nft")
	_, script := bench20k(b)
	f := filepath.Join(b.TempDir(), "bench.nft")
	if err := os.WriteFile(f, script, 0o644); err != nil {
		b.Fatal(err)
	}
	tn := nstest.New(b, "bench-nft")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, stderr, err := tn.NFT("", "-f", f); err != nil {
			b.Fatalf("%v: %s", err, stderr)
		}
	}
}

// BenchmarkReapply20kOneRule: a 20,000-rule translation is live; each
// iteration lowers and applies it with one rule changed (alternately its
// two versions), which goes in place as one deletion and one insertion;
// the whole swap of the same is timed beside it (swap-s).
//
//	XT2NFT_PRIVILEGED=1 go test ./backend/nft -run '^$' -bench Reapply20k -benchtime 10x
//
// (XT2NFT_NO_RECORD=1: the live rules read from the kernel every time, not
// from the record of the last commit, rulecache.go.)
func BenchmarkReapply20kOneRule(b *testing.B) {
	nstest.Skip(b, "nft")
	rs, _ := bench20k(b)
	// The second version: the first rule of the biggest chain gets a
	// comment.
	var versions [2]*nft.Program
	for v := range versions {
		var err error
		if versions[v], err = nft.Lower(rs); err != nil {
			b.Fatal(err)
		}
		big := rs.Tables[0].Chains[0]
		for _, c := range rs.Tables[0].Chains {
			if len(c.Rules) > len(big.Rules) {
				big = c
			}
		}
		if v == 0 {
			big.Rules[0].Comment = "changed"
		} else {
			big.Rules[0].Comment = ""
		}
	}
	tn := nstest.New(b, "bench-reapply")
	ns, err := nft.OpenNS(tn.Name)
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	if _, err := nft.Apply(ns, versions[1], nft.ApplyOptions{}); err != nil {
		b.Fatal(err)
	}
	var swap time.Duration
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		p, err := nft.Lower(rs)
		if err != nil {
			b.Fatal(err)
		}
		if i%2 == 1 {
			p = versions[1]
		}
		res, err := nft.Apply(ns, p, nft.ApplyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if c := res.Changed; res.InPlace != 1 || c.RulesAdded != 1 || c.RulesDeleted != 1 {
			b.Fatalf("iteration %d: %+v", i, c)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	for i := 0; i < 3; i++ {
		start := time.Now()
		if _, err := nft.Apply(ns, versions[i%2], nft.ApplyOptions{Whole: true}); err != nil {
			b.Fatal(err)
		}
		swap += time.Since(start)
	}
	b.ReportMetric(swap.Seconds()/3, "swap-s")
}

// cpuTime is the CPU time the process has used, user and system (the
// kernel runs a batch in the sender's system call): on a machine shared
// with other work it varies less than the time on the clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
