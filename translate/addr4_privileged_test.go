//go:build linux

package translate_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedIPv4Spellings: every way of writing an IPv4 address that
// iptables-legacy-restore takes is read as the address it stores (what
// iptables-legacy-save prints back), and every one it refuses is refused:
// short forms padded with zeros, octal and hex parts, inet_aton's forms,
// any name with a null mask (Neutron writes -s 0/0).
func TestPrivilegedIPv4Spellings(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save")
	ns := nstest.New(t, "addr4")
	saved := regexp.MustCompile(`-A INPUT (?:-s (\S+) )?-j DROP`)
	for _, a := range []string{"0/0", "00/0", "any/0", "10.0.0.1/0", "10.0.0.1/0.0.0.0", "127.1", "010.0.0.1", "0x0a000001",
		"10.1/16", "1.2.3", "0x7f.1", "0.0/8", "10", "10/8", "0x100", "10.0.300", "10.0.0.1/255.255.0.0",
		"10.0.0.1/0377.0.0.0", "10.0.0.1/255.0.255.0", "256.1", "1.2.3.4.5", "10.", "08.1.1.1", "1..2", "0x1g"} {
		rules := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s " + a + " -j DROP\nCOMMIT\n"
		want, accepted := "", false
		if _, _, err := ns.RunInput(rules, "iptables-legacy-restore"); err == nil {
			out, _, err := ns.Run("iptables-legacy-save")
			if err != nil {
				t.Fatal(err)
			}
			m := saved.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("%s: iptables-legacy-save: %s", a, out)
			}
			want, accepted = strings.TrimSuffix(m[1], "/32"), true
		}
		out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
		if out.Failed != !accepted {
			t.Errorf("%s: iptables-legacy-restore accepts it: %v; xt2nft translates it: %v (%v)", a, accepted, !out.Failed, out.Diags)
			continue
		}
		if !accepted {
			continue
		}
		got := ""
		if m := regexp.MustCompile(`ip saddr (?:& (\S+) == )?(\S+)`).FindStringSubmatch(string(out.Script)); m != nil {
			got = m[2]
			if m[1] != "" {
				got += "/" + m[1]
			}
		}
		if got != want {
			t.Errorf("%s: iptables stores %q, xt2nft matches %q", a, want, got)
		}
	}
}
