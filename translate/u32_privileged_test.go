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
// short for fails in iptables and in nft alike; negated, it matches such
// a packet in iptables, so the translation is two rules: the packets
// shorter than the word (meta length) and the others' value. Packets one
// byte short of the word, just long enough and long are treated alike.
// Where the rule cannot be split (a limit before the test would count a
// packet in both rules) the single rule stays, warned, and differs on the
// short packet.
func TestPrivilegedU32ShortPacket(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -p udp -m udp --dport 7000 -m u32 ! --u32 \"0x40=0x0\" -j DROP\n" +
		"-A INPUT -p udp -m udp --dport 7001 -m u32 --u32 \"0x40=0x0\" -j DROP\n" +
		"-A INPUT -p udp -m udp --dport 7002 -m limit --limit 1000/sec -m u32 ! --u32 \"0x40=0x0\" -j DROP\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	if diags := strings.Join(out.Diags, "\n"); !strings.Contains(diags, "rules.v4:5:") || !strings.Contains(diags, "too short for the word at offset 64") || strings.Contains(diags, "rules.v4:3:") || strings.Contains(diags, "rules.v4:4:") {
		t.Fatalf("want the short-packet warning on line 5 only: %v", out.Diags)
	}
	// The word at offset 64 is bytes 36-39 of the UDP payload (20 bytes
	// of IP header, 8 of UDP), and the lab ends every probe with its
	// 8-byte tag (4 bytes of magic, the id): 31 bytes before the tag are
	// a packet of 67 bytes, one short of the word; 32 just hold it (the
	// tag's magic); from 40 the word is the payload's.
	payload := func(n int, last byte) []byte {
		b := make([]byte, n)
		if n > 0 {
			b[n-1] = last
		}
		return b
	}
	cases := []struct {
		name    string
		port    uint16
		payload []byte
		want    string // the fate in iptables
	}{
		{"negated, no payload", 7000, nil, "dropped"},
		{"negated, one byte short (67)", 7000, payload(31, 0), "dropped"},
		{"negated, just long enough (68): the magic", 7000, payload(32, 0), "dropped"},
		{"negated, word 0", 7000, payload(40, 0), "delivered"},
		{"negated, word 1", 7000, payload(40, 1), "dropped"},
		{"negated, long, word 0", 7000, payload(64, 0), "delivered"},
		{"plain, one byte short", 7001, payload(31, 0), "delivered"},
		{"plain, word 0", 7001, payload(40, 0), "dropped"},
		{"plain, word 1", 7001, payload(40, 1), "delivered"},
		{"after a limit, one byte short (warned)", 7002, payload(31, 0), "dropped"},
		{"after a limit, word 0", 7002, payload(40, 0), "delivered"},
		{"after a limit, word 1", 7002, payload(40, 1), "dropped"},
	}
	var probes []inetProbe
	for _, c := range cases {
		p := inetProbe{name: c.name, probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: c.port})}
		p.probe.Packet.Payload = c.payload
		probes = append(probes, p)
	}
	fates, _ := runInet(t, []inetSide{
		{"legacy", func(l *lab.Lab) error { return l.IPTablesRestore(false, rules) }},
		{"nft", func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
	}, probes)
	for i, c := range cases {
		t.Logf("%s:\n  iptables %s\n  nft      %s", c.name, fates[0][i], fates[1][i])
		if !strings.HasPrefix(fates[0][i], c.want) {
			t.Errorf("%s: iptables %q, want %s (the probe does not test what it says)", c.name, fates[0][i], c.want)
		}
		warned := i == 9
		if same := fates[0][i] == fates[1][i]; same == warned {
			t.Errorf("%s: iptables %q, nft %q (warned difference: %v)", c.name, fates[0][i], fates[1][i], warned)
		}
	}
}

// TestPrivilegedU32NegatedTests: ! --u32 "A && B" holds when A fails or
// B does (a word the packet is too short for fails its test): rules
// that exclude each other (not A; A and not B, B's short packets apart),
// so that a target that does not end the rule (MARK here) runs once per
// packet and the rules' counters sum to iptables' one. Probes: A false
// and true, B's word missing, 0 and 1.
func TestPrivilegedU32NegatedTests(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	// A: the UDP source port (the word at 20) is 5000; B: the word at 64
	// is 0 (bytes 36-39 of the UDP payload). Both lie past the IP header,
	// so each has a rule for the packets too short for it. The target
	// flips the mark (0x1/0x0 is mark ^ 1): run twice, it would undo
	// itself and let the packet through.
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -p udp -m udp --dport 7003 -m u32 ! --u32 \"0x14>>0x10=0x1388&&0x40=0x0\" -j MARK --set-xmark 0x1/0x0\n" +
		"-A INPUT -m mark --mark 0x1 -j DROP\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
	if out.Failed || len(out.Diags) > 0 {
		t.Fatalf("want an exact translation: failed %v, %v", out.Failed, out.Diags)
	}
	payload := func(n int, last byte) []byte {
		b := make([]byte, n)
		if n > 0 {
			b[n-1] = last
		}
		return b
	}
	cases := []struct {
		name    string
		sport   uint16
		payload []byte
		want    string
	}{
		{"A fails, no payload", 5001, nil, "dropped"},
		{"A fails, word 0", 5001, payload(40, 0), "dropped"},
		{"A fails, word 1", 5001, payload(40, 1), "dropped"},
		{"A holds, one byte short of B's word", 5000, payload(31, 0), "dropped"},
		{"A holds, word 0: both hold", 5000, payload(40, 0), "delivered"},
		{"A holds, word 1", 5000, payload(40, 1), "dropped"},
		{"A holds, long, word 0", 5000, payload(64, 0), "delivered"},
	}
	var probes []inetProbe
	for _, c := range cases {
		p := inetProbe{name: c.name, probe: inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: c.sport, DstPort: 7003})}
		p.probe.Packet.Payload = c.payload
		probes = append(probes, p)
	}
	fates, counters := runInet(t, []inetSide{
		{"legacy", func(l *lab.Lab) error { return l.IPTablesRestore(false, rules) }},
		{"nft", func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
	}, probes)
	for i, c := range cases {
		t.Logf("%s:\n  iptables %s\n  nft      %s", c.name, fates[0][i], fates[1][i])
		if !strings.HasPrefix(fates[0][i], c.want) {
			t.Errorf("%s: iptables %q, want %s (the probe does not test what it says)", c.name, fates[0][i], c.want)
		}
		if fates[0][i] != fates[1][i] {
			t.Errorf("%s: iptables %q, nft %q", c.name, fates[0][i], fates[1][i])
		}
	}
	legacy, err := counters[0](false)
	if err != nil {
		t.Fatal(err)
	}
	nft, err := counters[1](false)
	if err != nil {
		t.Fatal(err)
	}
	lc, nc := legacy["filter INPUT"], nft["ip xt2nft filter_INPUT"]
	if len(lc) != 2 || len(nc) < 3 {
		t.Fatalf("counters: iptables %v, nft %v (want 2 rules and at least 3)\n%s", legacy, nft, out.Script)
	}
	var sum int64
	for _, n := range nc[:len(nc)-1] {
		sum += n
	}
	if sum != lc[0] || nc[len(nc)-1] != lc[1] || lc[0] != 5 {
		t.Errorf("the MARK rule counted %d in iptables (want 5), %d in nft's %d rules %v; the DROP %d and %d\n%s", lc[0], sum, len(nc)-1, nc, lc[1], nc[len(nc)-1], out.Script)
	}
}
