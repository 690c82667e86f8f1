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
)

// TestPrivilegedCorpusNetlink: every real ruleset of the shared corpus
// (ufw, kube-proxy, Docker, Istio, firewalld, fail2ban, ...) applied through
// netlink lists exactly as its nft script loaded by nft -f, in both layouts.
func TestPrivilegedCorpusNetlink(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "rulesets")
	files, _ := filepath.Glob(filepath.Join(dir, "*.rules"))
	if len(files) == 0 {
		t.Skipf("no corpus rulesets in %s (the shared corpus sits next to the repository)", dir)
	}
	nstest.Skip(t, "nft")
	lab := newLab(t, "corpus")
	same := 0
	for _, f := range files {
		for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables, translate.LayoutInet} {
			name := strings.TrimSuffix(filepath.Base(f), ".rules") + "/" + string(layout)
			t.Run(name, func(t *testing.T) {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				out := translate.Files([]translate.Input{{Name: filepath.Base(f), Src: src}}, parser.Options{}, translate.Options{Layout: layout})
				if out.Failed {
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
	t.Logf("%d corpus translations list identically through netlink and nft -f", same)
}
