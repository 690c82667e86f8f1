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

// TestPrivilegedNotrackReplies: a packet that is not tracked and is
// REJECTed gets a reply carrying its conntrack state (related, no
// connection). In raw OUTPUT iptables' NOTRACK leaves that reply alone,
// conntrack finds it INVALID, and "ctstate INVALID -j DROP" drops it: the
// host keeps silent. nft's notrack untracks it and the reply leaves. The
// translation must warn of exactly the NOTRACK rules such a reply meets,
// and the packets must show the difference there and nowhere else (a
// NOTRACK of UDP in OUTPUT meets no reply; the stack's own ICMP errors and
// resets, for closed ports, carry no state).
func TestPrivilegedNotrackReplies(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip")
	const rules = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -j NOTRACK
-A PREROUTING -p tcp -j NOTRACK
-A OUTPUT -p %s -j NOTRACK
-A OUTPUT -p tcp -j CT --notrack
COMMIT
*mangle
:OUTPUT ACCEPT [0:0]
-A OUTPUT -m conntrack --ctstate INVALID -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 53 -j REJECT
-A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset
COMMIT
`
	probes := []inetProbe{
		{name: "udp to a rejected port", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 4000, DstPort: 53})},
		{name: "tcp syn to a rejected port", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", syn(4001, 80))},
		{name: "udp to a closed port", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 4002, DstPort: 54})},
		{name: "tcp syn to a closed port", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", syn(4003, 81))},
	}
	for _, icmp := range []string{"icmp", "udp"} {
		src := fmt.Sprintf(rules, icmp)
		out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(src)}}, parser.Options{}, translate.Options{})
		if out.Failed {
			t.Fatalf("translation failed: %v", out.Diags)
		}
		warned := map[int]bool{}
		for _, d := range out.Diags {
			if strings.Contains(d, "REJECT") && strings.Contains(d, "notrack") {
				var line int
				fmt.Sscanf(strings.TrimPrefix(d, "rules.v4:"), "%d", &line)
				warned[line] = true
			}
		}
		// Lines 6 (-p icmp, the ICMP error's) and 7 (tcp, the reset's)
		// are warned; line 6 as -p udp is not.
		want := map[int]bool{6: icmp == "icmp", 7: true}
		for _, line := range []int{4, 5, 6, 7} {
			if warned[line] != want[line] {
				t.Errorf("-p %s: line %d warned %v, want %v (%v)", icmp, line, warned[line], want[line], out.Diags)
			}
		}
		fates, _ := runInet(t, []inetSide{
			{"legacy", func(l *lab.Lab) error { return l.IPTablesRestore(false, src) }},
			{"nft", func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
		}, probes)
		for i, p := range probes {
			differs := fates[0][i] != fates[1][i]
			// The reset meets the CT --notrack of tcp (line 7) in both
			// runs; the ICMP error meets line 6 only as -p icmp. The
			// stack's own replies (closed ports) carry no state: no
			// difference.
			wantDiff := i == 1 || i == 0 && icmp == "icmp"
			if differs != wantDiff {
				t.Errorf("-p %s, %s: fates differ %v, want %v:\n  iptables %s\n  nft      %s", icmp, p.name, differs, wantDiff, fates[0][i], fates[1][i])
			}
			t.Logf("-p %s, %s:\n  iptables %s\n  nft      %s", icmp, p.name, fates[0][i], fates[1][i])
		}
	}
}
