//go:build linux

package translate_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
)

// TestPrivilegedRefusalsAreTheKernels proves that every rule a golden
// refused-* case refuses is refused by iptables-legacy-restore on the
// running kernel too, and that nothing else in the case is: the input
// without every refused line must load, and the input with exactly one
// refused line put back must fail. So each expected.errors line stands on
// the kernel's own refusal, not on our reading of its sources.
func TestPrivilegedRefusalsAreTheKernels(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	n := 0
	for _, gc := range goldenCases(t) {
		if !strings.HasPrefix(gc.Name, "refused-") {
			continue
		}
		n++
		t.Run(gc.Name, func(t *testing.T) {
			t.Parallel()
			refused := refusedLines(t, filepath.Join(gc.Dir, "expected.errors"))
			if len(refused) == 0 {
				t.Fatal("a refused-* case without expected.errors")
			}
			fam := gc.Popt.Family
			if fam == 0 {
				fam = parser.DetectFamily("input.rules", gc.Src)
			}
			restore := "iptables-legacy-restore"
			if fam == parser.IPv6 {
				restore = "ip6tables-legacy-restore"
			}
			lines := strings.SplitAfter(string(gc.Src), "\n")
			without := func(keep int) string {
				var b strings.Builder
				for i, l := range lines {
					if refused[i+1] && i+1 != keep {
						continue
					}
					b.WriteString(l)
				}
				return b.String()
			}
			ns := nstest.New(t, "refusal")
			if _, stderr, err := ns.RunInput(without(0), restore); err != nil {
				t.Fatalf("the case without its refused lines does not load: %v\n%s", err, stderr)
			}
			for ln := range refused {
				if _, _, err := ns.RunInput(without(ln), restore); err == nil {
					t.Errorf("input.rules:%d: %s loads it, but xt2nft refuses it:\n%s", ln, restore, strings.TrimSpace(lines[ln-1]))
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no golden/refused-* cases")
	}
}

// refusedLines returns the line numbers that expected.errors names.
func refusedLines(t *testing.T, path string) map[int]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "...and ") {
			t.Fatalf("%s is cut short (%s): split the case so that every refusal is listed", path, sc.Text())
		}
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) < 3 || parts[0] != "input.rules" {
			continue
		}
		if n, err := strconv.Atoi(parts[1]); err == nil {
			out[n] = true
		}
	}
	return out
}
