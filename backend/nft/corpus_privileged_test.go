//go:build linux

package nft_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/backend/nft"
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
	viaNft := nstest.New(t, "corpus-nft")
	viaNL := nstest.New(t, "corpus-nl")
	ns, err := nft.OpenNS(viaNL.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	same, gaps := 0, 0
	for _, f := range files {
		for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables} {
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
				p, err := nft.Lower(out.Ruleset)
				if err != nil {
					if strings.Contains(err.Error(), "typeof keys are not supported") {
						gaps++
						t.Skipf("known netlink gap: %v", err)
					}
					t.Fatalf("lower: %v", err)
				}
				must(t)(viaNft.NFT("", "flush", "ruleset"))
				must(t)(viaNL.NFT("", "flush", "ruleset"))
				must(t)(viaNft.NFT(string(out.Script)))
				want := must(t)(viaNft.NFT("", "list", "ruleset"))
				if _, err := nft.Apply(ns, p, nft.ApplyOptions{}); err != nil {
					t.Fatalf("apply: %v", err)
				}
				got := must(t)(viaNL.NFT("", "list", "ruleset"))
				if got != want {
					t.Fatalf("netlink and nft -f differ:\n%s", diff.Diff("nft -f", []byte(want), "netlink", []byte(got)))
				}
				same++
			})
		}
	}
	t.Logf("%d corpus translations list identically through netlink and nft -f; %d use what google/nftables cannot send", same, gaps)
}
