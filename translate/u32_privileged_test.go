//go:build linux

package translate_test

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedU32ShortPacket: a u32 test of a word the packet is too
// short for fails in iptables and in nft alike; negated, it matches in
// iptables and not in nft (the load fails and ends the rule), which is
// warned. A packet long enough is treated alike either way.
func TestPrivilegedU32ShortPacket(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -p udp -m udp --dport 7000 -m u32 ! --u32 \"0x40=0x0\" -j DROP\n" +
		"-A INPUT -p udp -m udp --dport 7001 -m u32 --u32 \"0x40=0x0\" -j DROP\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	if diags := strings.Join(out.Diags, "\n"); !strings.Contains(diags, "rules.v4:3:") || !strings.Contains(diags, "too short for the word at offset 64") || strings.Contains(diags, "rules.v4:4:") {
		t.Fatalf("want the short-packet warning on line 3 only: %v", out.Diags)
	}
	long := make([]byte, 64) // a word of zeros at offset 64
	probes := []inetProbe{
		{name: "short, negated", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 7000})},
		{name: "short", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 7001})},
		{name: "long, negated", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 7000})},
		{name: "long", probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 7001})},
	}
	probes[2].probe.Packet.Payload, probes[3].probe.Packet.Payload = long, long
	fates, _ := runInet(t, []inetSide{
		{"legacy", func(l *lab.Lab) error { return l.IPTablesRestore(false, rules) }},
		{"nft", func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
	}, probes)
	for i, p := range probes {
		t.Logf("%s:\n  iptables %s\n  nft      %s", p.name, fates[0][i], fates[1][i])
	}
	if !strings.HasPrefix(fates[0][0], "dropped") || !strings.HasPrefix(fates[1][0], "delivered") {
		t.Errorf("short packet, negated test: iptables %q (want dropped), nft %q (want delivered: the warned difference)", fates[0][0], fates[1][0])
	}
	for i := 1; i < len(probes); i++ {
		if fates[0][i] != fates[1][i] {
			t.Errorf("%s: iptables %q, nft %q", probes[i].name, fates[0][i], fates[1][i])
		}
	}
	if !strings.HasPrefix(fates[0][3], "dropped") || !strings.HasPrefix(fates[0][2], "delivered") {
		t.Errorf("the long packets do not exercise the test: %q, %q", fates[0][2], fates[0][3])
	}
}
