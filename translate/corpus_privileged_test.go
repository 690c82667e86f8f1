package translate_test

// TestPrivilegedCorpusRulesets translates every real-world ruleset of the
// shared corpus (../shared/corpus/rulesets/*.rules) with both layouts and
// proves the output is a working nft script: it must translate without
// errors (except those in corpusAllowedErrors, kept as comments with
// AllowPartial), pass `nft -c -f`, load
// with `nft -f` into a fresh network namespace, and load a second time
// leaving exactly the same ruleset (the script replaces its own tables
// instead of adding to them).

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// corpusAllowedErrors are the translation errors the corpus test accepts:
// message substring -> why.
// Empty: every rule of every corpus ruleset translates (recent and
// CT --helper included).
var corpusAllowedErrors = map[string]string{}

func TestPrivilegedCorpusRulesets(t *testing.T) {
	dir := corpusDir(t, "rulesets")
	nstest.Skip(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.rules"))
	if len(files) == 0 {
		t.Skipf("no .rules files in %s", dir)
	}
	start := time.Now()
	results := map[string]string{}
	record := func(name, summary string) { results[name] = summary }
	t.Cleanup(func() {
		var b strings.Builder
		pass := 0
		for _, f := range files {
			name := filepath.Base(f)
			if !strings.Contains(results[name], "FAIL") && results[name] != "" {
				pass++
			}
			fmt.Fprintf(&b, "\n  %s: %s", name, results[name])
		}
		t.Logf("per-file results:%s", b.String())
		t.Logf("%d/%d rulesets translate, check, load and reload cleanly; %v", pass, len(files), time.Since(start).Round(time.Millisecond))
	})
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".rules"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d, _, err := parser.Parse(name, src, parser.Options{})
			if err != nil {
				n := 1
				var el parser.ErrorList
				if errors.As(err, &el) {
					n = len(el)
				}
				record(name, fmt.Sprintf("parse FAILED (%d errors, first: %s)", n, firstLine(err.Error())))
				t.Fatalf("parse: %v", err)
			}
			nrules := 0
			for _, tb := range d.Tables {
				for _, c := range tb.Chains {
					nrules += len(c.Rules)
				}
			}
			var summary []string
			for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables, translate.LayoutInet} {
				summary = append(summary, string(layout)+": "+checkCorpusLayout(t, name, d, layout))
			}
			sum := fmt.Sprintf("%d rules; %s", nrules, strings.Join(summary, "; "))
			if t.Failed() && !strings.Contains(sum, "FAIL") {
				sum = "FAILED: " + sum
			}
			record(name, sum)
		})
	}
}

// checkCorpusLayout translates d with one layout, checks and loads it, and
// returns a one-line summary.
func checkCorpusLayout(t *testing.T, name string, d *parser.Dump, layout translate.Layout) string {
	res := translate.Translate(d, translate.Options{Layout: layout, AllowPartial: true})
	allowed, other := 0, 0
	for _, dg := range res.Diags {
		if dg.Severity != parser.SevError {
			continue
		}
		ok := false
		for sub := range corpusAllowedErrors {
			ok = ok || strings.Contains(dg.Msg, sub)
		}
		if ok {
			allowed++
			continue
		}
		other++
		if other <= 10 {
			t.Errorf("%s layout: %v", layout, dg)
		}
	}
	if other > 10 {
		t.Errorf("%s layout: ... %d more errors", layout, other-10)
	}
	var out bytes.Buffer
	if err := translate.Render(&out, res.Ruleset); err != nil {
		t.Errorf("%s layout: render: %v", layout, err)
		return "render failed"
	}
	script := out.String()
	status := fmt.Sprintf("%d untranslated (%d allowed)", allowed+other, allowed)

	ns := nstest.New(t, "corpus")
	defer func() {
		if err := ns.Close(); err != nil {
			t.Error(err)
		}
	}()
	fail := func(step, stderr string, err error) string {
		t.Errorf("%s layout: %s: %v\n%s\nscript:\n%s", layout, step, err, stderr, numbered(script))
		return status + ", " + step + " FAILED"
	}
	if _, stderr, err := ns.NFT(script, "-c", "-f", "-"); err != nil {
		return fail("nft -c -f", stderr, err)
	}
	if _, stderr, err := ns.NFT(script); err != nil {
		return fail("nft -f", stderr, err)
	}
	first, stderr, err := ns.NFT("", "list", "ruleset")
	if err != nil {
		return fail("nft list ruleset", stderr, err)
	}
	if _, stderr, err := ns.NFT(script); err != nil {
		return fail("second nft -f", stderr, err)
	}
	second, stderr, err := ns.NFT("", "list", "ruleset")
	if err != nil {
		return fail("nft list ruleset after reload", stderr, err)
	}
	if reCounter.ReplaceAllString(first, "counter") != reCounter.ReplaceAllString(second, "counter") {
		t.Errorf("%s layout: loading the script twice does not give the same ruleset\nfirst:\n%s\nsecond:\n%s", layout, first, second)
		return status + ", reload DIFFERS"
	}
	return status + ", nft -c ok, loaded, reloaded identically"
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}
