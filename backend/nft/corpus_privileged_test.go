//go:build linux

package nft_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
)

// TestPrivilegedCorpusNetlink: every real ruleset of the shared corpus
// (ufw, kube-proxy, Docker, Istio, firewalld, fail2ban, ...) and of the
// wild collection (wildtest/testdata: FireHOL, Calico, Istio, Docker,
// wg-quick, ...) applied through netlink lists exactly as its nft script
// loaded by nft -f, in the three layouts and optimized. (Calico's raw
// table, optimized, listed its verdict map of marks byte swapped.)
func TestPrivilegedCorpusNetlink(t *testing.T) {
	corpus, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpus", "rulesets", "*.rules"))
	if len(corpus) == 0 {
		t.Log("no corpus rulesets (the shared corpus sits next to the repository): the wild collection only")
	}
	wild, _ := filepath.Glob(filepath.Join("..", "..", "wildtest", "testdata", "*.rules"))
	if len(wild) == 0 {
		t.Fatal("no wild rulesets in wildtest/testdata")
	}
	nstest.Skip(t, "nft")
	lab := newLab(t, "corpus")
	same := 0
	type variant struct {
		name string
		opt  translate.Options
	}
	variants := []variant{
		{string(translate.LayoutXT2NFT), translate.Options{Layout: translate.LayoutXT2NFT}},
		{string(translate.LayoutIPTables), translate.Options{Layout: translate.LayoutIPTables}},
		{string(translate.LayoutInet), translate.Options{Layout: translate.LayoutInet}},
		{"optimize", translate.Options{Optimize: optimize.Hook}},
	}
	for _, f := range append(corpus, wild...) {
		isWild := strings.Contains(f, "wildtest")
		for _, v := range variants {
			name := strings.TrimSuffix(filepath.Base(f), ".rules") + "/" + v.name
			t.Run(name, func(t *testing.T) {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				popt := parser.Options{}
				if strings.HasSuffix(f, ".v6.rules") {
					popt.Family = parser.IPv6
				}
				out := translate.Files([]translate.Input{{Name: filepath.Base(f), Src: src}}, popt, v.opt)
				if out.Failed {
					if isWild {
						// Refused as iptables refuses it, or for want of
						// its ipsets: wildtest holds those to their reasons.
						t.Skipf("not translated: %v", out.Diags[:min(1, len(out.Diags))])
					}
					t.Fatalf("translate: %v", out.Diags)
				}
				lab.same(t, string(out.Script), out.Ruleset)
				if t.Failed() {
					return
				}
				same++
			})
		}
	}
	t.Logf("%d translations list identically through netlink and nft -f", same)
}
