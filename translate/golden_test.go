package translate_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

var update = flag.Bool("update", false, "rewrite golden/*/expected.* from the current translation")

// goldenDir is the repository's golden/ directory.
const goldenDir = "../golden"

// goldenCase is one golden/<case> directory.
type goldenCase struct {
	name string
	dir  string
	src  []byte
	popt parser.Options
	topt translate.Options
}

// goldenCases lists golden/*/input.rules with the flags of their
// "# xt2nft: ..." line (iptables-restore ignores comments, so inputs stay valid).
func goldenCases(t testing.TB) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(goldenDir, "*", "input.rules"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found in %s: %v", goldenDir, err)
	}
	var out []goldenCase
	for _, in := range dirs {
		dir := filepath.Dir(in)
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		gc := goldenCase{name: filepath.Base(dir), dir: dir, src: src}
		if err := caseFlags(src, &gc.popt, &gc.topt); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out = append(out, gc)
	}
	return out
}

func caseFlags(src []byte, popt *parser.Options, topt *translate.Options) error {
	lines := strings.SplitN(string(src), "\n", 6)
	for _, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		rest, ok := strings.CutPrefix(l, "# xt2nft:")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			name, val, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
			switch name {
			case "script":
				popt.Script = true
			case "family":
				popt.Family = parser.IPv4
				if val == "ipv6" {
					popt.Family = parser.IPv6
				}
			case "layout":
				topt.Layout = translate.Layout(val)
			case "table":
				topt.Table = val
			case "counters":
				topt.Counters = true
			case "strict":
				topt.Strict = true
			case "allow-partial":
				topt.AllowPartial = true
			case "recent-size":
				n, err := strconv.Atoi(val)
				if err != nil {
					return err
				}
				topt.RecentSize = n
			default:
				return &os.PathError{Op: "flag", Path: f, Err: os.ErrInvalid}
			}
		}
	}
	return nil
}

func (gc goldenCase) run() *translate.Output {
	return translate.Files([]translate.Input{{Name: "input.rules", Src: gc.src}}, gc.popt, gc.topt)
}

// TestGolden translates every golden case and compares the nft script and
// the diagnostics with expected.nft and expected.warnings/expected.errors.
// With -update it rewrites them (never input.rules).
func TestGolden(t *testing.T) {
	for _, gc := range goldenCases(t) {
		t.Run(gc.name, func(t *testing.T) {
			t.Parallel()
			out := gc.run()
			diags := ""
			if len(out.Diags) > 0 {
				diags = strings.Join(out.Diags, "\n") + "\n"
			}
			want := map[string]string{"expected.nft": string(out.Script)}
			if out.Failed {
				want["expected.errors"] = diags
				want["expected.warnings"] = ""
			} else {
				want["expected.warnings"] = diags
				want["expected.errors"] = ""
			}
			for _, name := range []string{"expected.nft", "expected.warnings", "expected.errors"} {
				check(t, filepath.Join(gc.dir, name), want[name])
			}
			// Determinism: a second run prints the same.
			if again := gc.run(); !bytes.Equal(again.Script, out.Script) {
				t.Errorf("translation is not deterministic")
			}
		})
	}
}

// check compares got with the file; an empty got means the file must not exist.
func check(t *testing.T, path, got string) {
	t.Helper()
	old, err := os.ReadFile(path)
	exists := err == nil
	if *update {
		switch {
		case got == "" && exists:
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		case got != "" && string(old) != got:
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if got == "" {
		if exists {
			t.Errorf("%s exists but the translation produced nothing for it", path)
		}
		return
	}
	if string(old) != got {
		t.Errorf("%s differs (-want +got):\n%s", path, diff.Diff("want", old, "got", []byte(got)))
	}
}

// TestGoldenCRLF guards the CRLF fixture: its input must really contain CRLF
// line ends and its expected output none, or the case would silently rot.
func TestGoldenCRLF(t *testing.T) {
	in, err := os.ReadFile(filepath.Join(goldenDir, "parser-crlf", "input.rules"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(in, []byte("\r\n")) {
		t.Error("golden/parser-crlf/input.rules has no CRLF line ends")
	}
	out, err := os.ReadFile(filepath.Join(goldenDir, "parser-crlf", "expected.nft"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("\r")) {
		t.Error("golden/parser-crlf/expected.nft contains CR")
	}
}
