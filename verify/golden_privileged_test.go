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

	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/verify/report"
)

// TestPrivilegedVerifyGolden runs verify on every golden case: no
// difference may appear except on a rule the translator warned about
// (a documented approximation), and the coverage of every case is
// logged (the table in the README comes from this test).
func TestPrivilegedVerifyGolden(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var rows []string
	total, reached := 0, 0
	t.Cleanup(func() {
		sort.Strings(rows)
		t.Logf("coverage per golden case:\n%s\noverall %d/%d rules (%.1f%%)", strings.Join(rows, "\n"), reached, total, 100*float64(reached)/float64(max(total, 1)))
	})
	for _, c := range cases {
		if _, err := os.Stat(filepath.Join(c.Dir, "expected.errors")); err == nil {
			continue // not translated: nothing to verify
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			var sets []byte
			if b, err := os.ReadFile(filepath.Join(c.Dir, "ipsets.save")); err == nil {
				sets = b
			}
			rep, err := Run([]Input{{Name: "input.rules", Src: c.Src}}, Options{Parser: c.Popt, Translate: c.Topt, IPSets: sets})
			if err != nil {
				mu.Lock()
				rows = append(rows, fmt.Sprintf("%-28s error: %v", c.Name, firstLine(err.Error())))
				mu.Unlock()
				t.Skipf("not verifiable: %v", err)
			}
			checkReport(t, rep)
			mu.Lock()
			rows = append(rows, row(c.Name, rep))
			total += rep.Rules
			reached += rep.Reached
			mu.Unlock()
		})
	}
}

// row is a case's line of the coverage table.
func row(name string, r *report.Report) string {
	approx := 0
	for _, d := range r.Differences {
		if d.Warned != "" {
			approx++
		}
	}
	return fmt.Sprintf("%-28s %3d/%-3d %5.1f%%  probes %4d  packets %4d  differences %d (on warned approximations %d)",
		name, r.Reached, r.Rules, 100*r.Coverage, r.Probes, r.Packets, len(r.Differences), approx)
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
