//go:build linux

package nft_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/translate"
)

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
	lab := newLab(t, "gold")
	for _, c := range cases {
		expected := filepath.Join(c.Dir, "expected.nft")
		script, err := os.ReadFile(expected)
		if err != nil {
			continue // an error case
		}
		t.Run(c.Name, func(t *testing.T) {
			out := c.Run()
			if out.Ruleset == nil {
				t.Fatalf("no ruleset: %v", out.Diags)
			}
			lab.same(t, string(script), out.Ruleset)
		})
	}
}

// lab is a pair of namespaces: one loaded by nft -f, one through netlink.
type lab struct {
	viaNft, viaNL *nstest.NS
	ns            *nft.NS
}

func newLab(t *testing.T, name string) *lab {
	l := &lab{viaNft: nstest.New(t, name+"-nft"), viaNL: nstest.New(t, name+"-nl")}
	ns, err := nft.OpenNS(l.viaNL.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	l.ns = ns
	return l
}

// same loads script with nft -f on one side and applies rs through netlink
// on the other, from empty rulesets, and requires identical listings.
func (l *lab) same(t *testing.T, script string, rs *translate.Ruleset) {
	t.Helper()
	must(t)(l.viaNft.NFT("", "flush", "ruleset"))
	must(t)(l.viaNL.NFT("", "flush", "ruleset"))
	must(t)(l.viaNft.NFT(script))
	want := must(t)(l.viaNft.NFT("", "list", "ruleset"))
	p, err := nft.Lower(rs)
	if err != nil {
		t.Fatalf("lower: %v", err)
	}
	if _, err := nft.Apply(l.ns, p, nft.ApplyOptions{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got := must(t)(l.viaNL.NFT("", "list", "ruleset"))
	// Tables applied through netlink carry xt2nft's mark (mark.go), which
	// nft -f of the translation does not write.
	const mark = "\tcomment \"managed by xt2nft\"\n"
	if n := strings.Count(got, mark); n != len(p.Tables) {
		t.Errorf("%d tables carry xt2nft's mark, want %d:\n%s", n, len(p.Tables), got)
	}
	got = strings.ReplaceAll(got, mark, "")
	// Elements with a timeout list the time they have left, which moves
	// between the two listings.
	want, got = expiresRE.ReplaceAllString(want, "expires T"), expiresRE.ReplaceAllString(got, "expires T")
	if got != want {
		t.Errorf("netlink and nft -f differ:\n%s", diff.Diff("nft -f", []byte(want), "netlink", []byte(got)))
	}
	if strings.TrimSpace(got) == "" {
		t.Error("empty ruleset")
	}
}

var expiresRE = regexp.MustCompile(`expires [0-9hmsd]+`)

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
