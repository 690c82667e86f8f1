package translate

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
)

// lcsLen is the textbook dynamic program, for checking lcsPairs.
func lcsLen(a, b []string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			switch {
			case a[i] != "" && a[i] == b[j]:
				d[i][j] = d[i+1][j+1] + 1
			default:
				d[i][j] = max(d[i+1][j], d[i][j+1])
			}
		}
	}
	return d[0][0]
}

func TestLCSPairs(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		gen := func() []string {
			s := make([]string, r.Intn(12))
			for i := range s {
				s[i] = string(rune('a' + r.Intn(5)))
				if r.Intn(8) == 0 {
					s[i] = "" // equals nothing
				}
			}
			return s
		}
		a, b := gen(), gen()
		ps := lcsPairs(a, b)
		for k, p := range ps {
			if a[p[0]] == "" || a[p[0]] != b[p[1]] || k > 0 && (p[0] <= ps[k-1][0] || p[1] <= ps[k-1][1]) {
				t.Fatalf("%q %q: bad pairs %v", a, b, ps)
			}
		}
		if want := lcsLen(a, b); len(ps) != want {
			t.Fatalf("%q %q: %d pairs, the longest has %d", a, b, len(ps), want)
		}
	}
}

func TestAlignBy(t *testing.T) {
	id := func(s string) string { return s }
	got := alignBy([]string{"a", "b", "c"}, []string{"x", "b", "y", "d"}, id)
	var s []string
	for _, p := range got {
		s = append(s, p[0]+"/"+p[1])
	}
	if strings.Join(s, " ") != "a/ /x b/b /y /d c/" {
		t.Errorf("aligned %v", s)
	}
	got = alignBy([]string{"a"}, []string{"x"}, id)
	if len(got) != 2 || got[0][0] != "a" || got[1][1] != "x" {
		t.Errorf("disjoint lists: %v", got)
	}
}

// translateInet translates an IPv4 and an IPv6 dump in the inet layout.
func translateInet(t *testing.T, v4, v6 string, opt Options) (string, []string) {
	t.Helper()
	var in []Input
	if v4 != "" {
		in = append(in, Input{Name: "rules.v4", Src: []byte(v4)})
	}
	if v6 != "" {
		in = append(in, Input{Name: "rules.v6", Src: []byte(v6)})
	}
	opt.Layout = LayoutInet
	out := Files(in, parser.Options{}, opt)
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	return string(out.Script), out.Diags
}

func filter(rules ...string) string {
	return "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + strings.Join(rules, "\n") + "\nCOMMIT\n"
}

func TestInetQualify(t *testing.T) {
	v4 := filter("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", // both: written once
		"-A INPUT -s 192.0.2.1/32 -j DROP",          // implies IPv4
		"-A INPUT -i lo -s 192.0.2.2/32 -j DROP",    // pure match, then the implying load
		"-A INPUT -p icmp -j ACCEPT",                // after meta l4proto icmp
		"-A INPUT -m limit --limit 1/sec -j ACCEPT", // own state: once per family
		"-A INPUT -p udp -j ACCEPT")
	v6 := filter("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
		"-A INPUT -p ipv6-icmp -j ACCEPT",
		"-A INPUT -m limit --limit 1/sec -j ACCEPT",
		"-A INPUT -p udp -j ACCEPT")
	got, _ := translateInet(t, v4, v6, Options{})
	want := `		tcp dport 22 counter accept
		ip saddr 192.0.2.1 counter drop
		iifname "lo" ip saddr 192.0.2.2 counter drop
		meta l4proto icmp meta nfproto ipv4 counter accept
		meta nfproto ipv4 limit rate 1/second burst 5 packets counter accept
		meta l4proto ipv6-icmp meta nfproto ipv6 counter accept
		meta nfproto ipv6 limit rate 1/second burst 5 packets counter accept
		meta l4proto udp counter accept
`
	if !strings.Contains(got, want) {
		t.Errorf("filter_INPUT: want\n%s\ngot\n%s", want, got)
	}
}

// A user chain only one family has is reached by that family only: its
// rules are written without a family test, even the ones that would need
// one in a chain of both.
func TestInetOneFamilyChain(t *testing.T) {
	v4 := filter("-A INPUT -j ONLY4") + ""
	v4 = strings.Replace(v4, ":OUTPUT ACCEPT [0:0]\n", ":OUTPUT ACCEPT [0:0]\n:ONLY4 - [0:0]\n", 1)
	v4 = strings.Replace(v4, "COMMIT", "-A ONLY4 -m limit --limit 1/sec -j ACCEPT\n-A ONLY4 -j DROP\nCOMMIT", 1)
	got, _ := translateInet(t, v4, filter("-A INPUT -j ACCEPT"), Options{})
	for _, want := range []string{"meta nfproto ipv4 counter jump filter_ONLY4", "\tchain filter_ONLY4 {\n\t\tlimit rate 1/second burst 5 packets counter accept\n\t\tcounter drop\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
}

// Policies: the dropping family's return is drop, its goto a jump to a
// chain that jumps and drops, and the chain ends in its counter drop with
// the policy's counters.
func TestInetPolicies(t *testing.T) {
	v4 := strings.Replace(filter("-A INPUT -i eth1 -j RETURN", "-A INPUT -i eth2 -g X", "-A X -j RETURN"), ":INPUT ACCEPT [0:0]", ":INPUT DROP [7:700]\n:X - [0:0]", 1)
	v6 := strings.Replace(filter("-A INPUT -i eth1 -j RETURN", "-A INPUT -i eth2 -g X", "-A X -j RETURN"), ":INPUT ACCEPT [0:0]", ":INPUT ACCEPT [0:0]\n:X - [0:0]", 1)
	got, _ := translateInet(t, v4, v6, Options{Counters: true})
	for _, want := range []string{
		"policy accept;\n\t\tmeta nfproto ipv4 iifname \"eth1\" counter drop\n\t\tmeta nfproto ipv4 iifname \"eth2\" counter jump filter_X_then_drop\n" +
			"\t\tmeta nfproto ipv4 counter packets 7 bytes 700 drop\n" +
			"\t\tmeta nfproto ipv6 iifname \"eth1\" counter return\n\t\tmeta nfproto ipv6 iifname \"eth2\" counter goto filter_X\n",
		"chain filter_X_then_drop {\n\t\t# xt2nft: goto filter_X from filter_INPUT, whose IPv4 policy is drop\n\t\tjump filter_X\n\t\tcounter drop\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
	// Policies alike: the chain's, and no rule for it.
	got, _ = translateInet(t, strings.Replace(filter(), "INPUT ACCEPT", "INPUT DROP", 1), strings.Replace(filter(), "INPUT ACCEPT", "INPUT DROP", 1), Options{})
	if !strings.Contains(got, "hook input priority filter; policy drop;\n\t}") {
		t.Errorf("same policies:\n%s", got)
	}
}

// One family only: the table is made, and a warning says the other
// family's packets pass.
func TestInetOneFamily(t *testing.T) {
	got, diags := translateInet(t, "", strings.Replace(filter("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"), "INPUT ACCEPT", "INPUT DROP", 1), Options{})
	if !strings.Contains(got, "table inet xt2nft") || !strings.Contains(got, "policy drop;\n\t\tmeta nfproto ipv4 counter accept\n\t\ttcp dport 22 counter accept\n") {
		t.Errorf("v6 only:\n%s", got)
	}
	if len(diags) != 1 || !strings.Contains(diags[0], "no IPv4 rules") {
		t.Errorf("diagnostics %v", diags)
	}
}

// A recent list both families use: warned about unless the kernel's one
// mask keys both families as the translation does for either load order.
func TestSharedRecentMask(t *testing.T) {
	rule := func(mask string) string {
		if mask != "" {
			mask = " --mask " + mask
		}
		return filter("-A INPUT -m recent --rcheck --seconds 5 --name l" + mask + " -j DROP")
	}
	for _, c := range []struct {
		v4, v6 string
		want   string // "" no warning
	}{
		{"255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "as the kernel does when the IPv6 rules are loaded first;"},
		{"", "", ""}, // no --mask (revision 0): all ones in all 16 bytes
		{"255.255.255.0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "for neither load order"},
		{"255.255.255.255", "ffff:ffff::", ""}, // an IPv4 creator's mask is the IPv6 rules'
		{"", "ffff:ffff::", "as the kernel does when the IPv6 rules are loaded first;"},
	} {
		for _, layout := range []Layout{LayoutInet, LayoutXT2NFT} {
			out := Files([]Input{{Name: "rules.v4", Src: []byte(rule(c.v4))}, {Name: "rules.v6", Src: []byte(rule(c.v6))}}, parser.Options{}, Options{Layout: layout})
			got := strings.Join(out.Diags, "\n")
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("%s layout, masks %q %q: diagnostics %q, want %q", layout, c.v4, c.v6, got, c.want)
			}
		}
	}
}
