//go:build linux

package wildtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedWildVerify runs xt2nft verify --optimize on every dump of
// the collection: the original through iptables-legacy and the optimized
// translation through nft, the same generated probes through both, on
// this kernel. Every difference must be one the translator warned about
// (an approximation it announced); a dump must give a verdict unless
// its translation is a known failure (knownFailures) or
// iptables-legacy-restore refuses it too. XT2NFT_WILD_VERIFY=plain verifies the literal translation
// instead, =both both (the collection's 65 dumps take about 130 s a mode).
func TestPrivilegedWildVerify(t *testing.T) {
	dir := wildDir(t)
	nstest.Skip(t, "nft", "iptables-legacy-restore", "ip6tables-legacy-restore", "ipset")
	files, _ := filepath.Glob(filepath.Join(dir, "*.rules"))
	if len(files) == 0 {
		t.Skipf("no *.rules files in %s", dir)
	}
	sort.Strings(files)
	modes := map[string][]string{"opt": {"--optimize"}}
	switch os.Getenv("XT2NFT_WILD_VERIFY") {
	case "plain":
		modes = map[string][]string{"plain": nil}
	case "both":
		modes["plain"] = nil
	}
	type total struct{ verified, rules, reached, withVariants, diffs, warned int }
	totals := map[string]*total{}
	for mode, flags := range modes {
		tot := &total{}
		totals[mode] = tot
		for _, f := range files {
			name := filepath.Base(f)
			t.Run(mode+"/"+name, func(t *testing.T) {
				args := append([]string{"verify", "--json"}, flags...)
				ns, sets := dumpNS(t, f)
				if sets != "" {
					args = append(args, "--ipsets", sets)
				}
				code, out, stderr := xt(t, append(args, f)...)
				var rep struct {
					Rules, Reached   int
					ReachedInVariant int `json:"reached_in_variant"`
					Differences      []struct {
						Rule, Probe, What, Warned string
					}
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil || code > 1 {
					if cause, ok := knownFailures[name]; ok {
						t.Logf("not verifiable (%s): %s", cause, firstLine(stderr))
						return
					}
					src, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					restore := "iptables-legacy-restore"
					if isV6(f) {
						restore = "ip6tables-legacy-restore"
					}
					if _, iptErr, err := ns.RunInput(string(src), restore); err != nil {
						t.Logf("not verifiable: %s refuses it too (%s): %s", restore, firstLine(iptErr), firstLine(stderr))
						return
					}
					t.Fatalf("xt2nft verify exits %d without a verdict: %s", code, firstErrors(stderr, 3))
				}
				tot.verified++
				tot.rules += rep.Rules
				tot.reached += rep.Reached
				tot.withVariants += rep.Reached + rep.ReachedInVariant
				var unwarned []string
				for _, d := range rep.Differences {
					tot.diffs++
					if d.Warned != "" {
						tot.warned++
						continue
					}
					unwarned = append(unwarned, d.Rule+": "+d.Probe+": "+d.What)
				}
				if len(unwarned) > 0 {
					if len(unwarned) > 5 {
						unwarned = append(unwarned[:5], "...")
					}
					t.Errorf("%d difference(s) the translator did not warn about:\n  %s", len(unwarned), strings.Join(unwarned, "\n  "))
				}
				if code == 1 && len(rep.Differences) == 0 {
					t.Errorf("xt2nft verify exits 1 with no difference: %s", firstErrors(stderr, 3))
				}
			})
		}
	}
	for mode, tot := range totals {
		t.Logf("%s: %d of %d dumps verified; rules reached %d of %d, with variants %d; %d difference(s), all warned: %v",
			mode, tot.verified, len(files), tot.reached, tot.rules, tot.withVariants, tot.diffs, tot.diffs == tot.warned)
	}
}

// dumpNS is a namespace holding the ipsets a dump matches (as
// createIPSets makes them), and the file of their `ipset save`, as a user
// on that host would give xt2nft --ipsets ("" when it matches none).
func dumpNS(t *testing.T, file string) (*nstest.NS, string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ns := nstest.New(t, "wildv")
	if !createIPSets(t, ns, string(src), isV6(file)) {
		return ns, ""
	}
	sets, _, err := ns.Run("ipset", "save")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(file)+".ipsets")
	if err := os.WriteFile(p, []byte(sets), 0o644); err != nil {
		t.Fatal(err)
	}
	return ns, p
}
