//go:build linux

package optimize_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
)

// corpusDir is ../shared/corpus from the repository root.
const corpusDir = "../../../shared/corpus"

var reMergedRule = regexp.MustCompile(`(?m)^\S+:\d+:\d+-\d+: `)

// nftO runs nft's own optimizer in check mode (nft -c -o -f) on a script
// and counts what it would merge: the rules, and the rules it makes of
// them. nft 1.0.6 sometimes crashes doing so; it is tried three times.
// ok is false when its merged ruleset does not load.
func nftO(t *testing.T, script string) (merged, into int, ok bool, note string) {
	ns := nstest.New(t, "nfto")
	for try := 0; try < 3; try++ {
		stdout, stderr, err := ns.NFT(script, "-c", "-o", "-f", "-")
		out := stdout + stderr
		blocks := strings.Split(out, "Merging:\n")
		merged, into = 0, 0
		for _, b := range blocks[1:] {
			head, _, _ := strings.Cut(b, "into:")
			if n := len(reMergedRule.FindAllString(head, -1)); n > 0 {
				merged += n
				into++
			}
		}
		if err != nil && strings.Contains(err.Error(), "signal") {
			note = "nft -o crashed (" + err.Error() + ")"
			continue
		}
		if err != nil {
			return merged, into, false, "nft -o's merged rules do not load: " + firstLine(stderr)
		}
		return merged, into, true, ""
	}
	return merged, into, false, note
}

// nftOByChain runs nft -o on the ruleset one chain at a time (the
// others declared, empty) and adds up, for a ruleset nft -o crashes on.
func nftOByChain(t *testing.T, rs *translate.Ruleset) (merged, into int, ok bool, note string) {
	crashed, chains := 0, 0
	ok = true
	for ti, tb := range rs.Tables {
		for ci, c := range tb.Chains {
			if len(c.Rules) < 2 {
				continue
			}
			chains++
			one := &translate.Ruleset{}
			for tj, tb2 := range rs.Tables {
				cp := *tb2
				cp.Chains = nil
				for cj, c2 := range tb2.Chains {
					cc := *c2
					if tj != ti || cj != ci {
						cc.Rules = nil
					}
					cp.Chains = append(cp.Chains, &cc)
				}
				one.Tables = append(one.Tables, &cp)
			}
			var b strings.Builder
			if err := translate.Render(&b, one); err != nil {
				t.Fatal(err)
			}
			m, i, good, n := nftO(t, b.String())
			if strings.Contains(n, "crashed") {
				crashed++
				continue
			}
			merged, into, ok = merged+m, into+i, ok && good
		}
	}
	note = fmt.Sprintf("(nft -o crashed on the whole ruleset; chain by chain, it crashed on %d of %d)", crashed, chains)
	return merged, into, ok && crashed == 0, note
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "Error") {
			return strings.TrimSpace(l)
		}
	}
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestPrivilegedCorpusFoldsVsNftO compares, on every corpus ruleset, how
// many rules the optimizer folds with how many nft's own optimizer (nft
// -o) merges in the literal translation. The optimizer must fold at least
// as many wherever nft -o's result is a ruleset the kernel takes.
func TestPrivilegedCorpusFoldsVsNftO(t *testing.T) {
	nstest.Skip(t)
	var files []string
	for _, d := range []string{"rulesets", "canonical-save-iptables-legacy-1.8.9/rulesets"} {
		fs, _ := filepath.Glob(filepath.Join(corpusDir, d, "*.rules"))
		files = append(files, fs...)
	}
	if len(files) == 0 {
		t.Skipf("no corpus in %s (it lives in ../shared beside the checkout)", corpusDir)
	}
	table := make([]string, len(files))
	t.Cleanup(func() { t.Log("folded rules per corpus ruleset:\n" + strings.Join(table, "\n")) })
	for i, f := range files {
		name := strings.TrimPrefix(f, corpusDir+"/")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in := []translate.Input{{Name: filepath.Base(f), Src: src}}
			lit := translate.Files(in, parser.Options{}, translate.Options{})
			if lit.Failed {
				t.Skipf("does not translate: %s", strings.Join(lit.Diags, "; "))
			}
			opt := translate.Files(in, parser.Options{}, translate.Options{})
			res := optimize.Run(opt.Ruleset, optimize.Options{})
			merged, into, ok, note := nftO(t, string(lit.Script))
			if strings.Contains(note, "crashed") {
				merged, into, ok, note = nftOByChain(t, lit.Ruleset)
			}
			row := fmt.Sprintf("%-95s xt2nft %3d rules in %2d folds | nft -o %3d rules in %2d merges %s",
				name, res.Folded(), len(res.Folds), merged, into, note)
			table[i] = row
			if ok && res.Folded() < merged {
				t.Errorf("%s: xt2nft folds fewer rules than nft -o", row)
			}
		})
	}
}

// TestPrivilegedCorpusFoldsByPackets sends probes (from the addresses and
// ports each names) through the IPv4 corpus rulesets the optimizer
// changes: the optimized translation must forward the same packets as the
// literal one and count the same per iptables rule (the literal one's own
// differences from iptables-legacy are logged).
func TestPrivilegedCorpusFoldsByPackets(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save", "sysctl")
	files, _ := filepath.Glob(filepath.Join(corpusDir, "rulesets", "*.rules"))
	if len(files) == 0 {
		t.Skipf("no corpus in %s (it lives in ../shared beside the checkout)", corpusDir)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".v6.rules") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in := []translate.Input{{Name: "gen.rules", Src: src}}
			out := translate.Files(in, parser.Options{}, translate.Options{})
			if out.Failed {
				t.Skipf("does not translate: %s", strings.Join(out.Diags, "; "))
			}
			if res := optimize.Run(out.Ruleset, optimize.Options{}); len(res.Folds)+len(res.Shared) == 0 {
				t.Skip("nothing to optimize")
			}
			if strings.Contains(string(src), "-m set") || strings.Contains(string(src), "nfacct") {
				t.Skip("needs ipsets or nfacct objects the lab does not create")
			}
			foldsByPackets(t, src, probes(11, 1000, src), translate.Options{}, false, false)
		})
	}
}
