//go:build linux

package translate_test

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedSynproxy: a SYN proxy as Realm Gateway sets it up (SYNs
// to the protected server untracked in raw, SYNPROXY on INVALID and
// UNTRACKED in FORWARD) answers such a SYN itself with a SYN-ACK carrying
// the options it was given, in iptables-legacy and in the translation
// alike; a SYN to another server is forwarded.
func TestPrivilegedSynproxy(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	const rules = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
		"-A PREROUTING -i eth0 -d 198.51.100.7/32 -p tcp -m tcp --syn -j CT --notrack\nCOMMIT\n" +
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
		"-A FORWARD -i eth0 -p tcp -m tcp -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460\n" +
		"-A FORWARD -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	// The client offers MSS 1400, SACK, timestamps and window scaling 5:
	// the proxy answers with those it was told to (its --mss is what it
	// announces to the client side).
	opts := []byte{2, 4, 0x05, 0x78, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 5}
	protected := syn(5000, 80)
	protected.Options, protected.Window = opts, 64240
	probes := []inetProbe{
		{name: "SYN to the protected server", probe: inetPkt("eth0", "10.70.0.2", "198.51.100.7", protected)},
		{name: "SYN to another server", probe: inetPkt("eth0", "10.70.0.2", "198.51.100.8", syn(5001, 80))},
	}
	loose := func(l *lab.Lab) error {
		return l.FW.Command("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_tcp_loose=0").Run()
	}
	fates, _ := runInet(t, []inetSide{
		{"legacy", func(l *lab.Lab) error {
			if err := l.IPTablesRestore(false, rules); err != nil {
				return err
			}
			return loose(l)
		}},
		{"nft", func(l *lab.Lab) error {
			if err := l.NFT(string(out.Script)); err != nil {
				return err
			}
			return loose(l)
		}},
	}, probes)
	for i, p := range probes {
		t.Logf("%s:\n  iptables %s\n  nft      %s", p.name, fates[0][i], fates[1][i])
		if fates[0][i] != fates[1][i] {
			t.Errorf("%s: iptables %q, nft %q", p.name, fates[0][i], fates[1][i])
		}
	}
	if !strings.Contains(fates[0][0], "reply eth0: tcp 198.51.100.7:80 > 10.70.0.2:5000 [SA]") || !strings.Contains(fates[0][1], "leaves ppp0") {
		t.Errorf("the probes do not exercise the SYN proxy: %q, %q", fates[0][0], fates[0][1])
	}
}
