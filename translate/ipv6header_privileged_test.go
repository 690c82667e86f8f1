//go:build linux

package translate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedIPv6Header sends IPv6 packets with header chains of every
// kind ip6t_ipv6header tells apart (hop-by-hop, destination options,
// routing, first and later fragments, AH, each ending in UDP, ICMPv6, ESP
// or "no next header") through ip6tables-legacy's ipv6header rules, with
// and without --soft, and through their translation (exthdr ... exists and
// meta l4proto for the chain's end and for AH); every rule counts what it
// matches. Each rule must match the same packets, but where warned: a
// packet with AH whose match the end of its chain decides (nft's meta
// l4proto stops at AH).
func TestPrivilegedIPv6Header(t *testing.T) {
	lab.Skip(t, "ip6tables-legacy-restore", "ip")
	// Each match, and whether its translation is warned: where a packet
	// with AH decides on the end of its chain, which nft does not see
	// behind AH, and where no well-formed packet matches (never).
	cases := []struct {
		m             string
		warned, never bool
	}{
		{"--header hop --soft", false, false}, {"--header hop,frag --soft", false, false},
		{"! --header ipv6-route --soft", false, false}, {"--header auth --soft", false, false},
		{"! --header auth,frag --soft", false, false},
		{"--header esp --soft", true, false}, {"--header none --soft", true, false}, {"--header prot --soft", true, false},
		{"! --header esp,none --soft", true, false}, {"--header hop,prot --soft", true, false},
		{"! --header dst,prot --soft", true, false}, {"--header esp,none --soft", true, true},
		{"--header prot", false, false}, {"--header hop,prot", false, false}, {"--header none", false, false},
		{"--header esp", false, false}, {"--header dst,route,prot", false, false}, {"--header frag,prot", false, false},
		{"--header hop,dst,esp", false, false}, {"--header auth,prot", true, false}, {"--header hop,auth,none", true, false},
		{"--header ipv6-route", true, true},
	}
	// Every rule counts every packet it matches (no target), so that
	// one packet meets them all; the counters after each packet say which.
	var rules strings.Builder
	rules.WriteString("*mangle\n:PREROUTING ACCEPT [0:0]\n")
	for _, c := range cases {
		fmt.Fprintf(&rules, "-A PREROUTING -d 2001:db8:100::1 -m ipv6header %s\n", c.m)
	}
	rules.WriteString("COMMIT\n")
	out := translate.Files([]translate.Input{{Name: "rules.v6", Src: []byte(rules.String())}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	chains := []struct {
		name string
		ext  []lab.Ext
	}{
		{"no header", nil},
		{"hop", []lab.Ext{lab.HopByHop(8)}},
		{"dst", []lab.Ext{lab.DestOpts(8)}},
		{"hop dst", []lab.Ext{lab.HopByHop(8), lab.DestOpts(16)}},
		{"hop route", []lab.Ext{lab.HopByHop(8), lab.Routing(2, 0, 24, 0, lab.Addr("2001:db8:200::1"))}},
		{"dst route dst", []lab.Ext{lab.DestOpts(8), lab.Routing(2, 0, 24, 0, lab.Addr("2001:db8:200::1")), lab.DestOpts(8)}},
		{"first fragment", []lab.Ext{lab.Fragment(0, true, 7, 0, 0)}},
		{"later fragment", []lab.Ext{lab.Fragment(100, false, 8, 0, 0)}},
		{"hop fragment", []lab.Ext{lab.HopByHop(8), lab.Fragment(0, true, 9, 0, 0)}},
		{"hop AH", []lab.Ext{lab.HopByHop(8), lab.AH(16, 0x100, 1, 0)}},
		{"AH", []lab.Ext{lab.AH(16, 0x100, 1, 0)}},
	}
	ends := []struct {
		name string
		l4   lab.L4
	}{
		{"udp", &lab.UDP{SrcPort: 5000, DstPort: 53}},
		{"icmpv6", &lab.ICMP{Type: 128}},
		{"esp", &lab.Raw{Proto: 50, Data: []byte{0, 0, 1, 0, 0, 0, 0, 1}}},
		{"none", nil},
	}
	type packet struct {
		name  string
		hasAH bool
		probe lab.Probe
	}
	var packets []packet
	for _, c := range chains {
		for _, e := range ends {
			p := inetPkt("eth0", "fd70::2", "2001:db8:100::1", e.l4)
			p.Packet.Ext = c.ext
			packets = append(packets, packet{c.name + ", " + e.name, strings.Contains(c.name, "AH"), p})
		}
	}
	probes := make([]lab.Probe, len(packets))
	for k, p := range packets {
		probes[k] = p.probe
	}
	matched := matchRows(t, []countSide{
		{name: "ip6tables", legacy: true, v6: true, load: func(l *lab.Lab) error { return l.IPTablesRestore(true, rules.String()) }},
		{name: "nft", load: func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
	}, len(cases), probes)
	hits := make([]int, len(cases))
	warnedDiffs := 0
	for k, p := range packets {
		for i, c := range cases {
			if matched[0][k][i] {
				hits[i]++
			}
			if matched[0][k][i] == matched[1][k][i] {
				continue
			}
			if p.hasAH && c.warned {
				warnedDiffs++
				continue
			}
			t.Errorf("%s, %s: ip6tables matched %v, nft %v", c.m, p.name, matched[0][k][i], matched[1][k][i])
		}
	}
	if warnedDiffs == 0 {
		t.Error("no packet shows the warned difference (the end of a chain behind AH)")
	}
	// Each rule a well-formed packet can match must be met by some
	// packets and missed by others.
	for i, c := range cases {
		switch {
		case c.never && hits[i] != 0:
			t.Errorf("%s: ip6tables matched %d packets, want none (no well-formed packet matches)", c.m, hits[i])
		case !c.never && (hits[i] == 0 || hits[i] == len(packets)):
			t.Errorf("%s: ip6tables matched %d of %d packets: the packets do not tell the rule apart", c.m, hits[i], len(packets))
		}
	}
	for i, c := range cases {
		line := fmt.Sprintf("rules.v6:%d:", 3+i)
		warned := false
		for _, d := range out.Diags {
			warned = warned || strings.HasPrefix(d, line) && strings.Contains(d, "warning")
		}
		if warned != c.warned {
			t.Errorf("%s: warned %v, want %v (%v)", c.m, warned, c.warned, out.Diags)
		}
	}
	t.Logf("%d packets through %d rules, %d matches differ as warned (the end behind AH); ip6tables matches per rule: %v", len(packets), len(cases), warnedDiffs, hits)
}
