//go:build linux

package translate_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrivilegedGoldenLoads loads every golden expected.nft with nft -f in a
// fresh network namespace, twice: the second load proves the script
// replaces what it owns.
func TestPrivilegedGoldenLoads(t *testing.T) {
	if os.Getenv("XT2NFT_PRIVILEGED") != "1" || os.Geteuid() != 0 {
		t.Skip("privileged test: set XT2NFT_PRIVILEGED=1 and run as root")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed")
	}
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*", "expected.nft"))
	ns := fmt.Sprintf("xt2nft-golden-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
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
