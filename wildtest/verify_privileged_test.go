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

// notVerifiable are the dumps xt2nft verify cannot compare, with the
// reason: their translation is refused (TestPrivilegedWild checks that it
// is, and why), or iptables-legacy-restore refuses them too. Any other
// dump must give a verdict.
var notVerifiable = map[string]string{
	"algo__rules.v4-ipsec-wireguard.rules":                    "-m policy --proto esp is refused as untranslatable",
	"algo__rules.v4-wireguard-port53-reduce-mtu.rules":        "-m policy --proto esp is refused as untranslatable",
	"android-netd__strict-cleartext-penalty.rules":            "-m u32 with @ is refused as untranslatable",
	"android-netd__strict-cleartext-penalty.v6.rules":         "-m u32 with @ is refused as untranslatable",
	"bossjones__weave-npc-kube-proxy-nat-filter-ipset.rules":  "-m physdev is refused as untranslatable",
	"antrea__route-sync-iptables-encap-eks.rules":             "a fragment: it jumps to a chain it does not declare, which iptables-restore refuses too",
	"antrea__route-sync-iptables-noencap-uplink-bridge.rules": "line 9's -o takes -j as its argument (an interface left empty in the test's text), which iptables-restore refuses too",
	"ferm__examples-mailserver.rules":                         "port imap3 is not in this machine's /etc/services, which iptables-restore refuses too",
}

// TestPrivilegedWildVerify runs xt2nft verify --optimize on every dump of
// the collection: the original through iptables-legacy and the optimized
// translation through nft, the same generated probes through both, on
// this kernel. Every difference must be one the translator warned about
// (an approximation it announced); a dump not in notVerifiable must give
// a verdict. XT2NFT_WILD_VERIFY=plain verifies the literal translation
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
				if p := ipsetsFile(t, f); p != "" {
					args = append(args, "--ipsets", p)
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
					if why, ok := notVerifiable[name]; ok {
						t.Logf("not verifiable (%s): %s", why, firstLine(stderr))
						return
					}
					t.Fatalf("xt2nft verify exits %d without a verdict: %s", code, firstErrors(stderr, 3))
				}
				if why, ok := notVerifiable[name]; ok {
					t.Errorf("verifiable now: remove it from notVerifiable (was: %s)", why)
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

// ipsetsFile writes, for a dump that matches ipsets, the `ipset save` of
// the sets createIPSets makes for it (as a user on that host would give
// xt2nft --ipsets), or returns "".
func ipsetsFile(t *testing.T, file string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !matchSetRE.Match(src) {
		return ""
	}
	ns := nstest.New(t, "wildv")
	if !createIPSets(t, ns, string(src), isV6(file)) {
		return ""
	}
	sets, _, err := ns.Run("ipset", "save")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(file)+".ipsets")
	if err := os.WriteFile(p, []byte(sets), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
