//go:build linux

package translate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedGoldenLoads loads every golden expected.nft with nft -f in a
// fresh network namespace, twice: the second load proves the script
// replaces what it owns.
func TestPrivilegedGoldenLoads(t *testing.T) {
	nstest.Skip(t)
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*", "expected.nft"))
	ns := nstest.New(t, "golden").Name
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(src), "# input.rules") {
				// --allow-partial output: the commented rules are not loaded.
				t.Log("partial translation")
			}
			for i := 0; i < 2; i++ {
				cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", f)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("nft -f %s (load %d): %v\n%s", f, i+1, err, out)
				}
			}
			exec.Command("ip", "netns", "exec", ns, "nft", "flush", "ruleset").Run()
		})
	}
}
