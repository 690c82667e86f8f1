package translate_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// TestStreamSameAsWhole holds Prepare's two ways to one result: an input
// translated while it is parsed (a rule as soon as it is read) must give
// the script, the diagnostics and the warnings of the same input parsed
// whole first, for every golden case and corpus ruleset (both layouts,
// each alone and as one pair of files), and for inputs built to stream
// partly: a table restored again by a second file, rules of two chains
// interleaved, two files of two families. So must the same rendered ahead
// (Options.RenderAhead).
func TestStreamSameAsWhole(t *testing.T) {
	type input struct {
		name string
		in   []translate.Input
		popt parser.Options
		topt translate.Options
	}
	var ins []input
	for _, gc := range goldenCases(t) {
		gc.Topt.Check = nft.OversizeRules
		ins = append(ins, input{"golden/" + gc.Name, []translate.Input{{Name: "input.rules", Src: gc.Src}}, gc.Popt, gc.Topt})
	}
	if dir := filepath.Join("..", "..", "shared", "corpus", "rulesets"); dirExists(dir) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.rules"))
		var prev translate.Input
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in := translate.Input{Name: filepath.Base(f), Src: src}
			for _, l := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables} {
				topt := translate.Options{Layout: l, Check: nft.OversizeRules}
				ins = append(ins, input{"corpus/" + in.Name + "/" + string(l), []translate.Input{in}, parser.Options{}, topt})
				if prev.Src != nil {
					ins = append(ins, input{"corpus/" + prev.Name + "+" + in.Name + "/" + string(l), []translate.Input{prev, in}, parser.Options{}, topt})
				}
			}
			prev = in
		}
	} else {
		t.Logf("corpus directory %s not found: golden cases only", dir)
	}
	v4 := []byte("*filter\n:INPUT DROP [0:0]\n:X - [0:0]\n-A INPUT -p tcp --dport 22 -j X\n-A X -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n")
	v4b := []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 53 -j ACCEPT\nCOMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n")
	// Rules of two chains interleaved: a chain's helper chains follow it.
	mixed := []byte("*mangle\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j MARK --set-mark 0x1/0x3\n" +
		"-A PREROUTING -j CONNMARK --restore-mark --mask 0xff00\n-A OUTPUT -j CONNMARK --save-mark --mask 0xf0\nCOMMIT\n")
	v6 := []byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -s 2001:db8::/32 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
	// A rule the kernel refuses (152 expressions: Options.Check) in a
	// chain followed by another.
	oversize := []byte("*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT" + strings.Repeat(" -m mark --mark 1/0xf", 50) +
		" -j X\n-A X -j ACCEPT\nCOMMIT\n")
	again := []translate.Input{{Name: "a.rules", Src: v4}, {Name: "b.rules", Src: v4b}}
	families := []translate.Input{{Name: "rules.v4", Src: v4}, {Name: "rules.v6", Src: v6}}
	// Generated dumps of many chunks (parser.chunkSize is 64 KiB): the
	// parse trees of a chunk are reused for a later one once its rules are
	// translated, so what the translation keeps must not point into them.
	tmpls, _ := rulegen.Usable()
	for _, chains := range []int{0, 3000} {
		var gen bytes.Buffer
		if _, err := rulegen.Generate(&gen, rulegen.Config{N: 20000, Seed: 7, Templates: tmpls, Chains: chains}); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, input{fmt.Sprintf("generated-20000-chains-%d", chains),
			[]translate.Input{{Name: "gen.rules", Src: gen.Bytes()}}, parser.Options{}, translate.Options{}})
	}
	ins = append(ins,
		input{"restored-again", again, parser.Options{}, translate.Options{}},
		input{"interleaved-chains", []translate.Input{{Name: "mixed.rules", Src: mixed}}, parser.Options{}, translate.Options{}},
		input{"two-families", families, parser.Options{}, translate.Options{}},
		input{"oversize-rule", []translate.Input{{Name: "big.rules", Src: oversize}}, parser.Options{}, translate.Options{Check: nft.OversizeRules}},
	)
	streamed := 0
	for _, tc := range ins {
		t.Run(tc.name, func(t *testing.T) {
			whole := translate.PrepareWhole(tc.in, tc.popt, tc.topt)
			out := translate.PrepareStream(tc.in, tc.popt, tc.topt)
			if out == nil {
				return // needs the whole dump (a script, -m recent, a table restored again)
			}
			streamed++
			if d := cmp.Diff(summary(t, whole, tc.topt), summary(t, out, tc.topt)); d != "" {
				t.Errorf("streamed translation differs from the whole one (-whole +stream):\n%s", d)
			}
			// Rendering ahead (each chain as soon as it is final, in the
			// background) prints the same.
			opt := tc.topt
			opt.RenderAhead = true
			ahead := translate.PrepareStream(tc.in, tc.popt, opt)
			if d := cmp.Diff(summary(t, whole, tc.topt), summary(t, ahead, opt)); d != "" {
				t.Errorf("translation rendered ahead differs from the whole one (-whole +ahead):\n%s", d)
			}
			if out.Ruleset != nil {
				r1, a1 := translate.CountRules(out.Ruleset)
				r2, a2 := translate.CountRules(ahead.Ruleset)
				if r1 != r2 || a1 != a2 {
					t.Errorf("CountRules: %d rules, %d anonymous sets; rendered ahead: %d, %d", r1, a1, r2, a2)
				}
			}
		})
	}
	t.Logf("%d of %d inputs translated while parsed", streamed, len(ins))
	// Most inputs are plain iptables-save dumps: they must really stream.
	if streamed < len(ins)/2 {
		t.Errorf("only %d of %d inputs were translated while parsed", streamed, len(ins))
	}
	if translate.PrepareStream(again, parser.Options{}, translate.Options{}) != nil {
		t.Errorf("a table restored again by a later file was translated while parsed")
	}
	if translate.PrepareStream(families, parser.Options{}, translate.Options{}) == nil {
		t.Errorf("a v4 and a v6 file were not translated while parsed")
	}
}

// summary is what the command prints of an Output: the script, the
// diagnostics, the warnings as data, the exit status.
func summary(t *testing.T, o *translate.Output, opt translate.Options) map[string]string {
	t.Helper()
	var script bytes.Buffer
	if o.Printable(opt) {
		if err := translate.Render(&script, o.Ruleset); err != nil {
			t.Fatal(err)
		}
	}
	var warns []string
	for _, w := range o.Warnings {
		warns = append(warns, w.String())
	}
	failed := "ok"
	if o.Failed {
		failed = "failed"
	}
	return map[string]string{"script": script.String(), "diags": strings.Join(o.Diags, "\n"),
		"warnings": strings.Join(warns, "\n"), "status": failed}
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}
