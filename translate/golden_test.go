package translate_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/golden"
)

var update = flag.Bool("update", false, "rewrite golden/*/expected.* from the current translation")

// goldenDir is the repository's golden/ directory.
const goldenDir = "../golden"

// goldenCases lists the golden cases (see package golden).
func goldenCases(t testing.TB) []golden.Case {
	t.Helper()
	cs, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestGolden translates every golden case and compares the nft script and
// the diagnostics with expected.nft and expected.warnings/expected.errors.
// With -update it rewrites them (never input.rules).
func TestGolden(t *testing.T) {
	for _, gc := range goldenCases(t) {
		// The command checks rule sizes on the netlink lowering; so do the
		// golden cases (golden cannot import backend/nft: its tests use
		// golden).
		gc.Topt.Check = nft.OversizeRules
		t.Run(gc.Name, func(t *testing.T) {
			t.Parallel()
			out := gc.Run()
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
				check(t, filepath.Join(gc.Dir, name), want[name])
			}
			// Determinism: a second run prints the same.
			if again := gc.Run(); !bytes.Equal(again.Script, out.Script) {
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
