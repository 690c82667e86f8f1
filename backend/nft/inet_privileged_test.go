//go:build linux

package nft_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/translate"
)

var reNLCounter = regexp.MustCompile(`\[ counter pkts \d+ bytes \d+ \]`)

// TestPrivilegedInetBytecode: in an inet table the family tests nft adds
// (meta nfproto before a network header field, an IPv6 extension header,
// an ICMP field) do not show in nft list ruleset, so a listing cannot tell
// a lowering that forgets one. For every golden case of the inet layout,
// the kernels' bytecode (nft --debug=netlink list ruleset) of the ruleset
// loaded by nft -f and of the one applied through netlink must be the
// same.
// reUserdata is a rule's user data in nft --debug=netlink (bytes that do
// not print are written \xNN, so the line ends where it does).
var reUserdata = regexp.MustCompile(`(?m)^  userdata = \{ .* \}$`)

func TestPrivilegedInetBytecode(t *testing.T) {
	nstest.Skip(t, "nft")
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	lab := newLab(t, "inetbc")
	n := 0
	for _, c := range cases {
		if c.Topt.Layout != translate.LayoutInet {
			continue
		}
		out := c.Run()
		if out.Failed {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			must(t)(lab.viaNft.NFT("", "flush", "ruleset"))
			must(t)(lab.viaNL.NFT("", "flush", "ruleset"))
			must(t)(lab.viaNft.NFT(string(out.Script)))
			p, err := nft.Lower(out.Ruleset)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nft.Apply(lab.ns, p, nft.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			// Rules applied through netlink carry xt2nft's digest in
			// their user data (digest.go): user data lines are left
			// out on both sides (comments are compared by the listings).
			norm := func(s string) string {
				s = reUserdata.ReplaceAllString(s, "")
				return expiresRE.ReplaceAllString(reNLCounter.ReplaceAllString(s, "[ counter ]"), "expires T")
			}
			want := norm(must(t)(lab.viaNft.NFT("", "--debug=netlink", "list", "ruleset")))
			// xt2nft's table mark (mark.go), which nft -f of the
			// translation does not write.
			got := norm(strings.Replace(must(t)(lab.viaNL.NFT("", "--debug=netlink", "list", "ruleset")), "\tcomment \"managed by xt2nft\"\n", "", 1))
			if !strings.Contains(want, "inet ") {
				t.Fatal("no inet table loaded")
			}
			if d := diff.Diff("nft -f", []byte(want), "netlink", []byte(got)); d != nil {
				t.Errorf("bytecode differs:\n%s", d)
			}
		})
	}
	if n == 0 {
		t.Fatal("no golden case of the inet layout")
	}
}
