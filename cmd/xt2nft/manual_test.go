package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var updateManual = flag.Bool("update-manual", false, "rewrite doc/xt2nft.8 and its completions")

// TestManual keeps doc/xt2nft.8 and doc/completion/ in step with the flags
// the command parses (regenerate with go test ./cmd/xt2nft -run TestManual -update-manual).
func TestManual(t *testing.T) {
	stale, err := manual().Check("../..", *updateManual)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		t.Errorf("%s is not what the command's flags and description give: regenerate with go test ./cmd/xt2nft -run TestManual -update-manual", f)
	}
	// The page renders (man(1) reads it) and names every flag.
	if _, err := exec.LookPath("groff"); err == nil && len(stale) == 0 {
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z", filepath.Join("../../doc", "xt2nft.8"))
		out, err := cmd.CombinedOutput() // -z: no output, only groff's own warnings
		if err != nil || len(out) > 0 {
			t.Errorf("groff: %v\n%s", err, out)
		}
	}
}

// TestBashCompletion runs the generated bash completion as bash would.
func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join("../../doc/completion", "xt2nft.bash")
	if _, err := os.Stat(script); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(words, " ") + "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _xt2nft; printf '%s\n' \"${COMPREPLY[@]}\""
		out, err := exec.Command("bash", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return string(out)
	}
	for _, c := range manual().Commands {
		if !strings.Contains(complete("xt2nft", "''"), c.Name+"\n") {
			t.Errorf("the command %s is not completed", c.Name)
		}
	}
	manual().Flags.VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(complete("xt2nft", "--"+f.Name[:1]), "--"+f.Name+"\n") {
			t.Errorf("the flag --%s is not completed", f.Name)
		}
	})
}
