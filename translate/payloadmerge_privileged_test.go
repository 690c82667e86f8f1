//go:build linux

package translate_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedPayloadMerge sends packets through rules whose
// comparisons of adjacent header fields nft -f merges into one: in
// iptables-legacy, in nft -f of xt2nft's translation, and in nft -f of the
// same text with the one-value ranges xt2nft wrote (dport != 22-22) put
// back as values (dport != 22), which is what a translation that ignores
// nft's merges writes. Every rule counts what it matches. The translation
// must match as iptables does; the text without the ranges must differ on
// each rule xt2nft guards, which is the proof that nft's merge changes
// those rules (two != become one != of the pair; a comparison after a
// limit is tested before it).
func TestPrivilegedPayloadMerge(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	cases := []struct {
		m       string
		guarded bool
	}{
		{"-p tcp -m tcp ! --sport 1024 ! --dport 22", true},
		{"! -p udp -m ttl ! --ttl-eq 5", true},
		{"-p udp -m limit --limit 1/min -m ttl --ttl-eq 5", true},
		{"-p udp -m udp --sport 53 -m limit --limit 1/min -m udp --dport 53", true},
		{"-p udp -m udp ! --sport 5 -m udp ! --dport 6", true},
		{"-p tcp -m tcp --sport 1024 --dport 22", false},
		{"-p udp -m ttl --ttl-eq 9", false},
		{"-p icmp -m icmp --icmp-type 3/4", false},
	}
	var rules strings.Builder
	rules.WriteString("*filter\n:INPUT ACCEPT [0:0]\n")
	for _, c := range cases {
		fmt.Fprintf(&rules, "-A INPUT %s\n", c.m)
	}
	rules.WriteString("COMMIT\n")
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules.String())}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	script := string(out.Script)
	unguarded := regexp.MustCompile(`\b(\d+)-(\d+)\b`).ReplaceAllStringFunc(script, func(s string) string {
		lo, hi, _ := strings.Cut(s, "-")
		if lo == hi {
			return lo
		}
		return s
	})
	if unguarded == script {
		t.Fatalf("the translation has no one-value range:\n%s", script)
	}
	pkt := func(ttl uint8, l4 lab.L4) lab.Probe {
		p := inetPkt("eth0", "10.70.0.2", "10.70.0.1", l4)
		p.Packet.IP.(*lab.IPv4).TTL = ttl
		return p
	}
	udp := func(ttl uint8, sport, dport uint16) lab.Probe {
		return pkt(ttl, &lab.UDP{SrcPort: sport, DstPort: dport})
	}
	probes := []lab.Probe{
		pkt(64, syn(1024, 80)), pkt(64, syn(1000, 22)), pkt(64, syn(1000, 80)), pkt(64, syn(1024, 22)), pkt(5, syn(1000, 80)),
		udp(9, 4000, 4000), udp(5, 5, 7), udp(64, 4, 6), udp(64, 5, 6),
		pkt(64, &lab.ICMP{Type: 3, Code: 4}), pkt(64, &lab.ICMP{Type: 3, Code: 1}), pkt(64, &lab.ICMP{Type: 8}),
	}
	// The five tokens of each limit go to the packets it sees (udp, and
	// udp from port 53), the first of which match; then the limit is
	// spent, and iptables matches none of the last two.
	probes = append(probes, udp(64, 53, 53))
	for range 4 {
		probes = append(probes, udp(64, 53, 99))
	}
	probes = append(probes, udp(5, 4000, 4000), udp(64, 53, 53))
	load := func(text string) func(l *lab.Lab) error { return func(l *lab.Lab) error { return l.NFT(text) } }
	rows := matchRows(t, []countSide{
		{name: "iptables", legacy: true, load: func(l *lab.Lab) error { return l.IPTablesRestore(false, rules.String()) }},
		{name: "nft -f", load: load(script)},
		{name: "nft -f without ranges", load: load(unguarded)},
	}, len(cases), probes)
	hits := make([]int, len(cases))
	differs := make([]bool, len(cases))
	for k := range probes {
		for i, c := range cases {
			if rows[0][k][i] {
				hits[i]++
			}
			if rows[0][k][i] != rows[1][k][i] {
				t.Errorf("%s, probe %d: iptables matched %v, nft %v", c.m, k, rows[0][k][i], rows[1][k][i])
			}
			differs[i] = differs[i] || rows[0][k][i] != rows[2][k][i]
		}
	}
	for i, c := range cases {
		if hits[i] == 0 || hits[i] == len(probes) {
			t.Errorf("%s: iptables matched %d of %d probes: the probes do not tell the rule apart", c.m, hits[i], len(probes))
		}
		if differs[i] != c.guarded {
			t.Errorf("%s: the text without ranges differs from iptables: %v, want %v (does this nft still merge so?)", c.m, differs[i], c.guarded)
		}
	}
	t.Logf("%d probes through %d rules; iptables matches per rule: %v; the merges nft would make differ on %v", len(probes), len(cases), hits, differs)
}
