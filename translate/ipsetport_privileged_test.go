//go:build linux

package translate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedIPSetPortICMP sends ICMP, UDP and TCP packets through
// rules that add them to hash:ip,port sets (-j SET) and look them up
// (-m set), in iptables-legacy with ipset and in the translation. ipset
// keys an ICMP packet's "port" by its type and code in either direction
// (ip_set_getport.c), which are the bytes nft reads as th sport: with -p
// icmp the translation keys it so and must match as ipset does. Without
// -p, nft's th dport reads an ICMP packet's checksum, so a second echo
// request (other sequence number, other checksum) is not found where
// ipset finds it: a rule that adds so is warned, and so is a lookup
// by th dport without -p in a set that is given ICMP packets, and those
// lookups must show the difference. A lookup by th sport without -p finds
// ICMP packets as ipset does (their type and code), and is not warned.
func TestPrivilegedIPSetPortICMP(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ipset")
	ipsets := "create pinned hash:ip,port family inet hashsize 1024 maxelem 65536\n" +
		"create loose hash:ip,port family inet hashsize 1024 maxelem 65536\n"
	rules := []string{
		"-p icmp -m set --match-set pinned src,dst",
		"-p icmp -j SET --add-set pinned src,dst",
		"-p icmp -m set --match-set pinned src,src",
		"-m set --match-set pinned src,dst",
		"-p udp -j SET --add-set pinned src,dst",
		"-m set --match-set loose src,dst",
		"-j SET --add-set loose src,dst",
		"-m set --match-set pinned src,src",
	}
	warnedRules := map[int]bool{3: true, 5: true} // the lookups without -p
	var dump strings.Builder
	dump.WriteString("*filter\n:INPUT ACCEPT [0:0]\n")
	for _, r := range rules {
		fmt.Fprintf(&dump, "-A INPUT %s\n", r)
	}
	dump.WriteString("COMMIT\n")
	sets, err := ipset.Parse("ipsets.save", []byte(ipsets))
	if err != nil {
		t.Fatal(err)
	}
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(dump.String())}}, parser.Options{}, translate.Options{IPSets: sets})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	var warned []string
	for _, d := range out.Diags {
		if strings.Contains(d, "warning") {
			line, _, _ := strings.Cut(strings.TrimPrefix(d, "rules.v4:"), ":")
			warned = append(warned, line)
		}
	}
	// Lines 6 and 8 (the lookups without -p), 9 (the -j SET without -p).
	if strings.Join(warned, " ") != "6 8 9" {
		t.Errorf("warnings on lines %v, want 6 8 9: %v", warned, out.Diags)
	}
	icmp := func(typ, code uint8, seq uint16) lab.Probe {
		return inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.ICMP{Type: typ, Code: code, ID: 7, Seq: seq})
	}
	probes := []lab.Probe{
		icmp(8, 0, 1), icmp(8, 0, 2), icmp(8, 0, 3), icmp(13, 0, 1), icmp(13, 0, 9),
		inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 53}),
		inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5001, DstPort: 53}),
		inetPkt("eth0", "10.70.0.2", "10.70.0.1", syn(5000, 53)),
	}
	rows := matchRows(t, []countSide{
		{name: "iptables", legacy: true, load: func(l *lab.Lab) error {
			if _, err := l.FW.Run(ipsets, "ipset", "restore"); err != nil {
				return err
			}
			return l.IPTablesRestore(false, dump.String())
		}},
		{name: "nft", load: func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
	}, len(rules), probes)
	hits := make([]int, len(rules))
	warnedDiffs := 0
	for k := range probes {
		for i, r := range rules {
			if rows[0][k][i] {
				hits[i]++
			}
			if rows[0][k][i] == rows[1][k][i] {
				continue
			}
			if warnedRules[i] {
				warnedDiffs++
				continue
			}
			t.Errorf("%s, probe %d: iptables matched %v, nft %v", r, k, rows[0][k][i], rows[1][k][i])
		}
	}
	for _, i := range []int{0, 2, 3, 5, 7} {
		if hits[i] == 0 || hits[i] == len(probes) {
			t.Errorf("%s: iptables matched %d of %d probes: the probes do not tell the rule apart", rules[i], hits[i], len(probes))
		}
	}
	if warnedDiffs == 0 {
		t.Error("no probe shows the warned difference (an ICMP packet added without -p icmp)")
	}
	t.Logf("%d probes through %d rules; iptables matches per rule: %v; %d warned differences", len(probes), len(rules), hits, warnedDiffs)
}

// TestPrivilegedIPSetNetTakesNetworks: a hash:net ipset that holds only
// addresses now still takes a network afterwards, as ipset does (fail2ban,
// sshguard and crowdsec ban networks at run time): its nft set is an
// interval set whatever it holds. Before, the translation made a plain
// set, and nft add element of a /24 failed.
func TestPrivilegedIPSetNetTakesNetworks(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ipset")
	ipsets := "create blk hash:net family inet hashsize 1024 maxelem 65536\nadd blk 192.0.2.1\n"
	dump := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set blk src\nCOMMIT\n"
	sets, err := ipset.Parse("ipsets.save", []byte(ipsets))
	if err != nil {
		t.Fatal(err)
	}
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(dump)}}, parser.Options{}, translate.Options{IPSets: sets})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	probes := []lab.Probe{
		inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 53}),
		inetPkt("eth0", "10.70.0.3", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 53}),
	}
	rows := matchRows(t, []countSide{
		{name: "iptables", legacy: true, load: func(l *lab.Lab) error {
			if _, err := l.FW.Run(ipsets, "ipset", "restore"); err != nil {
				return err
			}
			if err := l.IPTablesRestore(false, dump); err != nil {
				return err
			}
			_, err := l.FW.Run("", "ipset", "add", "blk", "10.70.0.2/31")
			return err
		}},
		{name: "nft", load: func(l *lab.Lab) error {
			if err := l.NFT(string(out.Script)); err != nil {
				return err
			}
			_, err := l.FW.Run("", "nft", "add", "element", "ip", "xt2nft", "blk", "{ 10.70.0.2/31 }")
			return err
		}},
	}, 1, probes)
	for k := range probes {
		if !rows[0][k][0] || rows[1][k][0] != rows[0][k][0] {
			t.Errorf("probe %d: iptables matched %v, nft %v (both must match: the network was added)", k, rows[0][k][0], rows[1][k][0])
		}
	}
}
