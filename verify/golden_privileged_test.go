//go:build linux

package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify/report"
)

// sweepCase is one ruleset a sweep verifies.
type sweepCase struct {
	name   string
	inputs []Input
	opt    Options
}

// sweepParallel is how many rulesets a sweep verifies at once: most of a
// run is waiting (probes settling, recent windows), not computing.
const sweepParallel = 4

// sweep verifies every case (sweepParallel at a time), then checks each
// in a subtest: no difference may appear except where the translator
// warned of an approximation; a case whose original iptables-legacy
// refuses is skipped with the kernel's reason. It logs the coverage table.
func sweep(t *testing.T, cases []sweepCase) {
	type result struct {
		rep *report.Report
		err error
	}
	res := make([]result, len(cases))
	sem := make(chan struct{}, sweepParallel)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c.opt.MaxWait = 6 * time.Second
			res[i].rep, res[i].err = Run(c.inputs, c.opt)
		}()
	}
	wg.Wait()
	var rows []string
	total, reached, dead, inVariant := 0, 0, 0, 0
	for i, c := range cases {
		rep, err := res[i].rep, res[i].err
		t.Run(c.name, func(t *testing.T) {
			if err != nil {
				rows = append(rows, fmt.Sprintf("%-44s not verifiable: %v", c.name, firstLine(err.Error())))
				t.Skipf("not verifiable: %v", err)
			}
			checkReport(t, rep)
			rows = append(rows, row(c.name, rep))
			total += rep.Rules
			reached += rep.Reached
			dead += rep.Dead
			inVariant += rep.InVariant
		})
	}
	sort.Strings(rows)
	t.Logf("coverage per ruleset:\n%s\noverall %d/%d rules (%.1f%%); %d dead (no packet can reach them); %d/%d (%.1f%%) of the rules a packet can reach; with variants %d/%d (%.1f%%), %d reached in a variant only",
		strings.Join(rows, "\n"), reached, total, 100*float64(reached)/float64(max(total, 1)), dead, reached, total-dead, 100*float64(reached)/float64(max(total-dead, 1)),
		reached+inVariant, total, 100*float64(reached+inVariant)/float64(max(total, 1)), inVariant)
}

// TestPrivilegedVerifyGolden runs verify on every golden case.
func TestPrivilegedVerifyGolden(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	var sc []sweepCase
	for _, c := range cases {
		if _, err := os.Stat(filepath.Join(c.Dir, "expected.errors")); err == nil {
			continue // not translated: nothing to verify
		}
		var sets []byte
		if b, err := os.ReadFile(filepath.Join(c.Dir, "ipsets.save")); err == nil {
			sets = b
		}
		in := []Input{{Name: "input.rules", Src: c.Src}}
		if c.Src6 != nil {
			in = append(in, Input{Name: "input.v6.rules", Src: c.Src6})
		}
		sc = append(sc, sweepCase{c.Name, in, Options{Parser: c.Popt, Translate: c.Topt, IPSets: sets}})
	}
	sweep(t, sc)
}

// TestPrivilegedVerifyCorpus runs verify on every ruleset of the corpus
// (../shared/corpus: the rulesets as published and as iptables-legacy-save
// 1.8.9 prints them).
func TestPrivilegedVerifyCorpus(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	root := filepath.Join("..", "..", "shared", "corpus")
	var sc []sweepCase
	for _, sub := range []string{"rulesets", filepath.Join("canonical-save-iptables-legacy-1.8.9", "rulesets")} {
		files, _ := filepath.Glob(filepath.Join(root, sub, "*.rules"))
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(f)
			if strings.HasPrefix(sub, "canonical") {
				name = "canonical/" + name
			}
			popt := parser.Options{}
			if strings.HasSuffix(f, ".v6.rules") {
				popt.Family = parser.IPv6
			}
			sc = append(sc, sweepCase{name, []Input{{Name: filepath.Base(f), Src: src}}, Options{Parser: popt, Translate: translate.Options{}}})
		}
	}
	if len(sc) == 0 {
		t.Skipf("no corpus in %s (it lives in ../shared beside the checkout)", root)
	}
	sweep(t, sc)
}

// row is a case's line of the coverage table.
func row(name string, r *report.Report) string {
	approx := 0
	for _, d := range r.Differences {
		if d.Warned != "" {
			approx++
		}
	}
	return fmt.Sprintf("%-44s %4d/%-4d %5.1f%%  dead %3d  of live %5.1f%%  with variants %5.1f%%  probes %4d  packets %5d  differences %d (on warned approximations %d)",
		name, r.Reached, r.Rules, 100*r.Coverage, r.Dead, 100*r.LiveCoverage, 100*r.VariantCoverage, r.Probes, r.Packets, len(r.Differences), approx)
}

// checkReport fails on differences the translator did not warn about and
// logs the report.
func checkReport(t *testing.T, rep *report.Report) {
	t.Helper()
	var b strings.Builder
	rep.WriteText(&b)
	for _, d := range rep.Differences {
		if d.Warned == "" {
			t.Errorf("difference on a rule without an approximation warning:\n%s\n%s", d.Rule+": "+d.RuleText, b.String())
			return
		}
	}
	t.Log(b.String())
}
