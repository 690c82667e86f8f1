//go:build linux

package main

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// What a packet meets while a migration has both firewalls live: the
// legacy tables and their translation at the same hooks and priorities.
// These tests put a ruleset live three ways (legacy alone, nft alone, both)
// and compare what the same probes do. They are the reasons for migrate's
// order (README, "migrate: the switch, step by step"):
//
//   - at one priority the hook registered last runs first: the nft chains
//     see each packet before the legacy ones;
//   - filter: a packet passes only if both accept it, never more;
//   - NAT: a connection's binding is made once, by whichever NAT runs
//     first (nf_nat_inet_fn stops at the first binding); never twice;
//   - marks: idempotent targets (--set-mark, save/restore) give the same
//     mark, but an --xor-mark applied twice undoes itself: the legacy
//     mangle tables are emptied first, right after the nft batch;
//   - NOTRACK twice is NOTRACK;
//   - recent: each firewall keeps its own lists, and the legacy lists miss
//     the packets nft dropped first (migrate's catch-up merges for that).
func TestPrivilegedBothLive(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	topo := lab.Topology{Links: []lab.Link{
		{Name: "eth0", Addrs: []netip.Prefix{lab.Prefix("10.70.0.1/24")}, PeerAddrs: []netip.Prefix{lab.Prefix("10.70.0.2/24")}},
		{Name: "ppp0", Addrs: []netip.Prefix{lab.Prefix("10.71.0.1/24")}, PeerAddrs: []netip.Prefix{lab.Prefix("10.71.0.2/24")},
			Routes: []netip.Prefix{lab.Prefix("0.0.0.0/0")}},
	}}
	udp := func(dport uint16) lab.Probe {
		return lab.Probe{In: "eth0", Packet: lab.Packet{IP: &lab.IPv4{Src: lab.Addr("10.70.0.2"), Dst: lab.Addr("10.70.0.1")}, L4: &lab.UDP{SrcPort: 40000, DstPort: dport}}}
	}
	syn := func(dst string, dport uint16) lab.Probe {
		return lab.Probe{In: "eth0", Packet: lab.Packet{IP: &lab.IPv4{Src: lab.Addr("10.70.0.2"), Dst: lab.Addr(dst)}, L4: &lab.TCP{SrcPort: 40001, DstPort: dport, Flags: lab.SYN}}}
	}
	type config struct {
		name          string
		legacy, other string // other: a dump translated for the nft side ("" the legacy one)
		extraNFT      string // nft text loaded as it is
	}
	fates := func(t *testing.T, c config, mode string, probes []lab.Probe, after func(l *lab.Lab) string) []string {
		l := lab.New(t, topo)
		if mode != "nft" {
			if err := l.IPTablesRestore(false, c.legacy); err != nil {
				t.Fatal(err)
			}
		}
		if mode != "legacy" {
			src := c.legacy
			if c.other != "" {
				src = c.other
			}
			script := c.extraNFT
			if script == "" {
				out := translate.Files([]translate.Input{{Name: "rules", Src: []byte(src)}}, parser.Options{}, translate.Options{})
				if out.Failed {
					t.Fatal(strings.Join(out.Diags, "\n"))
				}
				script = string(out.Script)
			}
			if err := l.NFT(script); err != nil {
				t.Fatal(err)
			}
		}
		var out []string
		for _, p := range probes {
			o, err := l.Send(p)
			if err != nil {
				t.Fatal(err)
			}
			f := o.Fate()
			if o.CT != nil {
				f += fmt.Sprintf("; ct status nat %#x reply %v:%d > %v:%d", o.CT.Status&0x30, o.CT.Reply.Src, o.CT.Reply.Sport, o.CT.Reply.Dst, o.CT.Reply.Dport)
			}
			out = append(out, f)
		}
		if after != nil {
			out = append(out, after(l))
		}
		return out
	}
	procList := func(l *lab.Lab) string {
		s, _ := l.FW.Run("", "sh", "-c", "cat /proc/net/xt_recent/r 2>/dev/null; true")
		_, stamps, _ := strings.Cut(strings.TrimSpace(s), "oldest_pkt: ")
		return fmt.Sprintf("legacy list: %d stamps", len(strings.Fields(stamps))-1)
	}
	for _, c := range []struct {
		config
		probes []lab.Probe
		after  func(l *lab.Lab) string
		// check compares the fates of legacy alone, nft alone and both.
		check func(t *testing.T, legacy, nft, both []string)
	}{
		{config: config{name: "order", legacy: "*mangle\n-A PREROUTING -j MARK --set-mark 2\nCOMMIT\n",
			extraNFT: "table ip o { chain c { type filter hook prerouting priority mangle; meta mark set 1; }; }"},
			probes: []lab.Probe{udp(53)},
			check: func(t *testing.T, legacy, nft, both []string) {
				if !strings.Contains(both[0], "mark 0x2") || !strings.Contains(nft[0], "mark 0x1") {
					t.Errorf("at one priority the legacy chain should run last (nft first): both %q, nft %q", both[0], nft[0])
				}
			}},
		{config: config{name: "nat", legacy: "*nat\n-A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 10.71.0.2:80\n-A POSTROUTING -o ppp0 -j MASQUERADE\nCOMMIT\n"},
			probes: []lab.Probe{syn("10.70.0.1", 8080)},
			check: func(t *testing.T, legacy, nft, both []string) {
				if !strings.Contains(legacy[0], "leaves ppp0: tcp 10.71.0.1:40001 > 10.71.0.2:80") || !strings.Contains(legacy[0], "nat 0x30") {
					t.Fatalf("the DNAT and MASQUERADE did not happen: %q", legacy[0])
				}
				if both[0] != legacy[0] || nft[0] != legacy[0] {
					t.Errorf("NATed differently with both live:\nlegacy %q\nnft    %q\nboth   %q", legacy[0], nft[0], both[0])
				}
			}},
		{config: config{name: "marks", legacy: "*mangle\n-A PREROUTING -j CONNMARK --restore-mark\n-A PREROUTING -i eth0 -j MARK --set-mark 0x10/0xff\n-A PREROUTING -j CONNMARK --save-mark\nCOMMIT\n"},
			probes: []lab.Probe{udp(53)},
			check: func(t *testing.T, legacy, nft, both []string) {
				if !strings.Contains(legacy[0], "mark 0x10") || both[0] != legacy[0] || nft[0] != legacy[0] {
					t.Errorf("idempotent marks differ:\nlegacy %q\nnft    %q\nboth   %q", legacy[0], nft[0], both[0])
				}
			}},
		{config: config{name: "xor", legacy: "*mangle\n-A PREROUTING -j MARK --xor-mark 0x10\nCOMMIT\n"},
			probes: []lab.Probe{udp(53)},
			check: func(t *testing.T, legacy, nft, both []string) {
				if !strings.Contains(legacy[0], "mark 0x10") || !strings.Contains(nft[0], "mark 0x10") || !strings.Contains(both[0], "mark 0x0") {
					t.Errorf("an --xor-mark applied twice should undo itself:\nlegacy %q\nnft    %q\nboth   %q", legacy[0], nft[0], both[0])
				}
			}},
		{config: config{name: "notrack", legacy: "*raw\n-A PREROUTING -p udp --dport 694 -j NOTRACK\nCOMMIT\n" +
			"*mangle\n-A INPUT -m conntrack --ctstate UNTRACKED -j MARK --set-mark 0x77\nCOMMIT\n"},
			probes: []lab.Probe{udp(694), udp(695)},
			check: func(t *testing.T, legacy, nft, both []string) {
				if !strings.Contains(legacy[0], "mark 0x77") || strings.Contains(legacy[1], "mark 0x77") || fmt.Sprint(both) != fmt.Sprint(legacy) || fmt.Sprint(nft) != fmt.Sprint(legacy) {
					t.Errorf("NOTRACK differs:\nlegacy %q\nnft    %q\nboth   %q", legacy, nft, both)
				}
			}},
		{config: config{name: "filter", legacy: "*filter\n-A INPUT -p udp --dport 53 -j DROP\nCOMMIT\n", other: "*filter\n-A INPUT -p udp --dport 54 -j DROP\nCOMMIT\n"},
			probes: []lab.Probe{udp(53), udp(54), udp(55)},
			check: func(t *testing.T, legacy, nft, both []string) {
				if !strings.HasPrefix(both[0], "dropped") || !strings.HasPrefix(both[1], "dropped") || !strings.HasPrefix(both[2], "delivered") {
					t.Errorf("with both live a packet passes only if both accept it: %q", both)
				}
			}},
		{config: config{name: "recent", legacy: "*filter\n-A INPUT -p udp --dport 99 -m recent --name r --set\n-A INPUT -p udp --dport 99 -m recent --name r --update --seconds 60 --hitcount 3 -j DROP\nCOMMIT\n"},
			probes: []lab.Probe{udp(99), udp(99), udp(99), udp(99)},
			after:  procList,
			check: func(t *testing.T, legacy, nft, both []string) {
				if fmt.Sprint(both[:4]) != fmt.Sprint(legacy[:4]) || fmt.Sprint(nft[:4]) != fmt.Sprint(legacy[:4]) || !strings.HasPrefix(legacy[2], "dropped") {
					t.Errorf("the guard differs with both live:\nlegacy %q\nnft    %q\nboth   %q", legacy, nft, both)
				}
				// Alone the list took a stamp per --set and per true
				// --update; with both live it saw only the 2 packets nft
				// let through.
				if legacy[4] == both[4] || !strings.Contains(both[4], "list: 2 stamps") {
					t.Errorf("the legacy list: alone %q, with both live %q", legacy[4], both[4])
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			legacy := fates(t, c.config, "legacy", c.probes, c.after)
			nft := fates(t, c.config, "nft", c.probes, c.after)
			both := fates(t, c.config, "both", c.probes, c.after)
			t.Logf("legacy %q\nnft    %q\nboth   %q", legacy, nft, both)
			c.check(t, legacy, nft, both)
		})
	}
}
