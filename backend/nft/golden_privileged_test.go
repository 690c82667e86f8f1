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
	"github.com/xt2nft/xt2nft/golden"
)

// netlinkGaps are the golden cases the netlink backend refuses, with the
// words its error must contain: things google/nftables v0.3.0 cannot send.
// xt2nft apply names the rule; `xt2nft FILE | nft -f -` loads them.
var netlinkGaps = map[string]string{}

// TestPrivilegedGoldenNetlink is the proof of the lowering: for every
// golden case, the ruleset applied through netlink and the one nft -f
// loads from expected.nft list identically (nft list ruleset), each in a
// fresh namespace.
func TestPrivilegedGoldenNetlink(t *testing.T) {
	nstest.Skip(t, "nft")
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	viaNft := nstest.New(t, "gold-nft")
	viaNL := nstest.New(t, "gold-nl")
	ns, err := nft.OpenNS(viaNL.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	for _, c := range cases {
		expected := filepath.Join(c.Dir, "expected.nft")
		if _, err := os.Stat(expected); err != nil {
			continue // an error case
		}
		t.Run(c.Name, func(t *testing.T) {
			out := c.Run()
			if out.Ruleset == nil {
				t.Fatalf("no ruleset: %v", out.Diags)
			}
			must(t)(viaNft.NFT("", "flush", "ruleset"))
			must(t)(viaNL.NFT("", "flush", "ruleset"))
			must(t)(viaNft.NFT("", "-f", expected))
			want := must(t)(viaNft.NFT("", "list", "ruleset"))
			p, err := nft.Lower(out.Ruleset)
			if gap, ok := netlinkGaps[c.Name]; ok {
				if err == nil || !strings.Contains(err.Error(), gap) {
					t.Fatalf("expected the known gap %q, got %v", gap, err)
				}
				t.Skipf("known netlink gap: %v", err)
			}
			if err != nil {
				t.Fatalf("lower: %v", err)
			}
			if _, err := nft.Apply(ns, p, nft.ApplyOptions{}); err != nil {
				t.Fatalf("apply: %v", err)
			}
			got := must(t)(viaNL.NFT("", "list", "ruleset"))
			if got != want {
				t.Errorf("netlink and nft -f differ:\n%s", diff.Diff("nft -f", []byte(want), "netlink", []byte(got)))
			}
			if strings.TrimSpace(got) == "" {
				t.Error("empty ruleset")
			}
		})
	}
}

// must fails the test when an nstest command failed and returns its output.
func must(t *testing.T) func(stdout, stderr string, err error) string {
	return func(stdout, stderr string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		return stdout
	}
}
