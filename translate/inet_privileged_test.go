//go:build linux

package translate_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// inetTopo is a router: a LAN on eth0 (two hosts per family) and an uplink
// on ppp0, the default route of both families.
func inetTopo() lab.Topology {
	return lab.Topology{Links: []lab.Link{
		{Name: "eth0", Addrs: []netip.Prefix{lab.Prefix("10.70.0.1/24"), lab.Prefix("fd70::1/64")},
			PeerAddrs: []netip.Prefix{lab.Prefix("10.70.0.2/24"), lab.Prefix("10.70.0.3/24"), lab.Prefix("fd70::2/64"), lab.Prefix("fd70::3/64")}},
		{Name: "ppp0", Addrs: []netip.Prefix{lab.Prefix("10.71.0.1/24"), lab.Prefix("fd71::1/64")},
			PeerAddrs: []netip.Prefix{lab.Prefix("10.71.0.2/24"), lab.Prefix("fd71::2/64")},
			Routes:    []netip.Prefix{lab.Prefix("0.0.0.0/0"), lab.Prefix("::/0")}},
	}}
}

// inetProbe is one probe of an inet differential and, for some, the fate
// the legacy rules must give it (so that the trace is known to exercise
// what it is about).
type inetProbe struct {
	name  string
	probe lab.Probe
	want  string // part of the legacy fate ("" any)
}

func inetPkt(in, src, dst string, l4 lab.L4) lab.Probe {
	var ip lab.IPHeader = &lab.IPv4{Src: lab.Addr(src), Dst: lab.Addr(dst)}
	if strings.Contains(src, ":") {
		ip = &lab.IPv6{Src: lab.Addr(src), Dst: lab.Addr(dst)}
	}
	return lab.Probe{In: in, Packet: lab.Packet{IP: ip, L4: l4}}
}

func syn(sport, dport uint16) *lab.TCP {
	return &lab.TCP{SrcPort: sport, DstPort: dport, Flags: lab.SYN}
}

// inetSide is one way of loading the rules into a lab.
type inetSide struct {
	name string
	load func(l *lab.Lab) error
}

// runInet sends the probes through a lab per side, in parallel, and
// returns each side's fates and its lab's counters after the last probe.
func runInet(t *testing.T, sides []inetSide, probes []inetProbe) ([][]string, []func(v6 bool) (lab.Counters, error)) {
	t.Helper()
	fates := make([][]string, len(sides))
	counters := make([]func(bool) (lab.Counters, error), len(sides))
	errs := make([]error, len(sides))
	var wg sync.WaitGroup
	for i, s := range sides {
		l := lab.New(t, inetTopo())
		// Two labs at work on a shared machine: the observer's log can
		// come later than a probe's frames, which the default settle
		// time does not always wait for.
		l.Settle = 100 * time.Millisecond
		counters[i] = func(v6 bool) (lab.Counters, error) {
			if s.name == "legacy" {
				return l.IPTablesCounters(v6)
			}
			return l.NFTCounters()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = s.load(l); errs[i] != nil {
				return
			}
			for _, p := range probes {
				o, err := l.Send(p.probe)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %v", p.name, err)
					return
				}
				fates[i] = append(fates[i], o.Fate())
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", sides[i].name, err)
		}
	}
	return fates, counters
}

// inetGolden reads golden/layout-inet-lab: its two dumps and their
// translation.
func inetGolden(t *testing.T) (v4, v6, script string) {
	t.Helper()
	dir := filepath.Join(goldenDir, "layout-inet-lab")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	v4, v6, script = read("input.rules"), read("input.v6.rules"), read("expected.nft")
	for _, gc := range goldenCases(t) {
		if gc.Name == "layout-inet-lab" {
			if out := gc.Run(); out.Failed || string(out.Script) != script {
				t.Fatalf("golden/layout-inet-lab/expected.nft is not the translation (go test ./translate -run TestGolden)")
			}
		}
	}
	return v4, v6, script
}

// TestPrivilegedInetDifferential sends IPv4 and IPv6 probes through the
// legacy rules (iptables-legacy-restore and ip6tables-legacy-restore) and
// through their translation into one inet table (golden/layout-inet-lab,
// as nft -f loads it and as its listing reloads), and requires the same
// fate for every probe. What they prove:
//   - one list name in IPv4 and IPv6 rules: each family's sources are
//     counted apart (the kernel keys entries by family too), SSH
//     connections interleaved across families drop at the third of each;
//   - policies that differ per family: INPUT and FORWARD drop IPv4 and
//     accept IPv6; IPv4's RETURN in INPUT reaches its drop policy;
//   - a user chain (SVC) in both families, with rules in common (the
//     REJECT, written once, rejects each family with its own ICMP error)
//     and rules of one family;
//   - NAT in both: DNAT of each family to the LAN host, IPv4 masquerade,
//     IPv6 SNAT;
//   - the rule both families have counts both families' packets: its nft
//     counter is the sum of the two legacy rules' counters.
//
// The legacy side loads the IPv6 rules first: a list an IPv4 rule creates
// keys IPv6 addresses by their first 32 bits (TestPrivilegedInetRecentMask),
// which the translation does not reproduce and warns about.
func TestPrivilegedInetDifferential(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	t.Parallel()
	v4, v6, script := inetGolden(t)
	var probes []inetProbe
	add := func(name, want string, p lab.Probe) { probes = append(probes, inetProbe{name, p, want}) }
	add("v4 udp 53 (a rule of both)", "delivered", inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 53}))
	add("v6 udp 53 (a rule of both)", "delivered", inetPkt("eth0", "fd70::2", "fd70::1", &lab.UDP{SrcPort: 5000, DstPort: 53}))
	add("v4 udp 54 (IPv4 policy drop)", "dropped", inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5001, DstPort: 54}))
	add("v6 udp 54 (IPv6 rule drop)", "dropped", inetPkt("eth0", "fd70::2", "fd70::1", &lab.UDP{SrcPort: 5001, DstPort: 54}))
	add("v4 udp 99 (RETURN to the drop policy)", "dropped", inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5002, DstPort: 99}))
	add("v6 udp 99 (IPv6 policy accept)", "delivered", inetPkt("eth0", "fd70::2", "fd70::1", &lab.UDP{SrcPort: 5002, DstPort: 99}))
	add("v4 udp 100 (after the RETURN)", "delivered", inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5003, DstPort: 100}))
	add("v4 echo", "delivered", inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.ICMP{Type: 8, ID: 1, Seq: 1}))
	add("v6 echo", "delivered", inetPkt("eth0", "fd70::2", "fd70::1", &lab.ICMP{Type: 128, ID: 1, Seq: 1}))
	add("v4 timestamp (not accepted)", "dropped", inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.ICMP{Type: 13, ID: 1, Seq: 1}))
	for i := 0; i < 4; i++ {
		want := map[bool]string{true: "delivered", false: "dropped"}[i < 2]
		add(fmt.Sprintf("v4 ssh %d", i+1), want, inetPkt("eth0", "10.70.0.2", "10.70.0.1", syn(uint16(6000+i), 22)))
		add(fmt.Sprintf("v6 ssh %d", i+1), want, inetPkt("eth0", "fd70::2", "fd70::1", syn(uint16(6000+i), 22)))
	}
	add("v4 ssh from another LAN host", "delivered", inetPkt("eth0", "10.70.0.3", "10.70.0.1", syn(6100, 22)))
	add("v6 ssh from another LAN host", "delivered", inetPkt("eth0", "fd70::3", "fd70::1", syn(6100, 22)))
	add("v4 ssh from the uplink (REJECT)", "reply ppp0: icmp", inetPkt("ppp0", "10.71.0.2", "10.71.0.1", syn(6200, 22)))
	add("v6 ssh from the uplink (REJECT)", "reply ppp0: icmpv6", inetPkt("ppp0", "fd71::2", "fd71::1", syn(6200, 22)))
	add("v4 DNAT 8080", "leaves eth0", inetPkt("ppp0", "10.71.0.2", "10.71.0.1", syn(6300, 8080)))
	add("v6 DNAT 8080", "leaves eth0", inetPkt("ppp0", "fd71::2", "fd71::1", syn(6300, 8080)))
	add("v4 LAN out (masquerade)", "leaves ppp0: udp 10.71.0.1", inetPkt("eth0", "10.70.0.2", "192.0.2.9", &lab.UDP{SrcPort: 7000, DstPort: 53}))
	add("v6 LAN out (SNAT)", "leaves ppp0: udp [fd71::1]", inetPkt("eth0", "fd70::2", "2001:db8::9", &lab.UDP{SrcPort: 7000, DstPort: 53}))
	add("v4 uplink to LAN (IPv4 FORWARD drop)", "dropped", inetPkt("ppp0", "10.71.0.2", "10.70.0.2", &lab.UDP{SrcPort: 7100, DstPort: 53}))
	add("v6 uplink to LAN (IPv6 FORWARD accept)", "forwarded", inetPkt("ppp0", "fd71::2", "fd70::2", &lab.UDP{SrcPort: 7100, DstPort: 53}))

	legacy := func(l *lab.Lab) error {
		if err := l.IPTablesRestore(true, v6); err != nil {
			return err
		}
		return l.IPTablesRestore(false, v4)
	}
	fates, counters := runInet(t, []inetSide{
		{"legacy", legacy},
		{"inet", func(l *lab.Lab) error { return l.NFT(script) }},
		{"inet reloaded", func(l *lab.Lab) error {
			if err := l.NFT(script); err != nil {
				return err
			}
			listing, err := l.FW.Run("", "nft", "list", "table", "inet", "xt2nft")
			if err != nil {
				return err
			}
			return l.NFT("delete table inet xt2nft\n" + listing)
		}},
	}, probes)
	for i, p := range probes {
		if !strings.Contains(fates[0][i], p.want) {
			t.Errorf("%s: legacy fate %q, want %q (the probe does not test what it is about)", p.name, fates[0][i], p.want)
		}
		for s := 1; s < len(fates); s++ {
			if fates[s][i] != fates[0][i] {
				t.Errorf("%s: legacy %q, %s %q", p.name, fates[0][i], []string{"", "inet", "inet reloaded"}[s], fates[s][i])
			}
		}
		t.Logf("%-40s %s", p.name, fates[0][i])
	}
	// The rule both families have (udp dport 53 accept) counts both.
	c4, err4 := counters[0](false)
	c6, err6 := counters[0](true)
	cn, errn := counters[1](false)
	if err4 != nil || err6 != nil || errn != nil {
		t.Fatal(err4, err6, errn)
	}
	idx := -1
	for i, l := range strings.Split(script[strings.Index(script, "chain filter_INPUT {"):], "\n")[2:] {
		if strings.Contains(l, "udp dport 53 counter accept") {
			idx = i
			break
		}
	}
	legacySum := c4["filter INPUT"][2] + c6["filter INPUT"][2]
	if got := cn["inet xt2nft filter_INPUT"]; idx < 0 || idx >= len(got) || got[idx] != legacySum || legacySum != 2 {
		t.Errorf("udp dport 53: nft counter %v (rule %d), legacy IPv4 %v + IPv6 %v", got, idx, c4["filter INPUT"], c6["filter INPUT"])
	}
}

// TestPrivilegedInetRecentMask proves the warning the translation gives for
// a recent list both families use: restored IPv4 rules first, as a boot
// usually restores them, xt_recent keys IPv6 addresses by their first 32
// bits (iptables-restore writes the IPv4 --mask 255.255.255.255 into the
// first 4 bytes of the list's mask and zeros after): the fourth SSH
// connection from a second IPv6 host of the LAN is dropped because the
// first host made three. The translation keys each IPv6 address whole.
func TestPrivilegedInetRecentMask(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	t.Parallel()
	v4, v6, script := inetGolden(t)
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(v4)}, {Name: "rules.v6", Src: []byte(v6)}}, parser.Options{}, translate.Options{Layout: translate.LayoutInet})
	if !strings.Contains(strings.Join(out.Diags, "\n"), `list "ssh" is used by IPv4 rules`) {
		t.Fatalf("no warning about the shared list: %v", out.Diags)
	}
	probes := []inetProbe{
		{name: "fd70::2 ssh 1", probe: inetPkt("eth0", "fd70::2", "fd70::1", syn(6000, 22))},
		{name: "fd70::2 ssh 2", probe: inetPkt("eth0", "fd70::2", "fd70::1", syn(6001, 22))},
		{name: "fd70::3 ssh 1", probe: inetPkt("eth0", "fd70::3", "fd70::1", syn(6002, 22))},
	}
	fates, _ := runInet(t, []inetSide{
		{"legacy", func(l *lab.Lab) error {
			if err := l.IPTablesRestore(false, v4); err != nil {
				return err
			}
			return l.IPTablesRestore(true, v6)
		}},
		{"inet", func(l *lab.Lab) error { return l.NFT(script) }},
	}, probes)
	for i, p := range probes {
		t.Logf("%s: legacy %q, inet %q", p.name, fates[0][i], fates[1][i])
	}
	if !strings.HasPrefix(fates[0][2], "dropped") || !strings.HasPrefix(fates[1][2], "delivered") {
		t.Errorf("fd70::3 after two from fd70::2: legacy %q (want dropped: one entry for fd70::/32), inet %q (want delivered)", fates[0][2], fates[1][2])
	}
	for i := 0; i < 2; i++ {
		if fates[0][i] != fates[1][i] {
			t.Errorf("%s: legacy %q, inet %q", probes[i].name, fates[0][i], fates[1][i])
		}
	}
}

// TestPrivilegedInetDefrag proves the warning for a family whose rules test
// fragments and use no conntrack while the other family's rules use it: in
// ip6tables-legacy an IPv6 atomic fragment (offset 0, no more fragments)
// meets the rule that drops fragments; in the inet table, whose IPv4 rules
// make conntrack run for IPv6 too, the kernel reassembles it before the
// chains, and the rule sees a packet without a fragment header.
func TestPrivilegedInetDefrag(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	t.Parallel()
	v4 := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n"
	v6 := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m frag --fragid 0:4294967295 -j DROP\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(v4)}, {Name: "rules.v6", Src: []byte(v6)}}, parser.Options{}, translate.Options{Layout: translate.LayoutInet})
	if out.Failed || !strings.Contains(strings.Join(out.Diags, "\n"), "rules.v6:3:1: warning: --layout inet: the IPv4 rules use conntrack and the IPv6 rules do not") {
		t.Fatalf("no warning: %v", out.Diags)
	}
	p := inetPkt("eth0", "fd70::2", "fd70::1", &lab.UDP{SrcPort: 5000, DstPort: 53})
	p.Packet.Ext = []lab.Ext{lab.Fragment(0, false, 7, 0, 0)}
	fates, _ := runInet(t, []inetSide{
		{"legacy", func(l *lab.Lab) error {
			if err := l.IPTablesRestore(false, v4); err != nil {
				return err
			}
			return l.IPTablesRestore(true, v6)
		}},
		{"inet", func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
	}, []inetProbe{{name: "atomic fragment", probe: p}})
	t.Logf("legacy %q\ninet   %q", fates[0][0], fates[1][0])
	if !strings.HasPrefix(fates[0][0], "dropped") || !strings.HasPrefix(fates[1][0], "delivered") {
		t.Errorf("atomic fragment: legacy %q (want dropped by the fragment rule), inet %q (want delivered: reassembled first)", fates[0][0], fates[1][0])
	}
}

// TestPrivilegedInetNoDup stands behind the refusal of -j TEE in the inet
// layout: nft refuses its dup statement in an inet table, and takes it in
// an ip table (so the refusal is the family's, not the statement's).
func TestPrivilegedInetNoDup(t *testing.T) {
	nstest.Skip(t, "nft")
	ns := nstest.New(t, "nodup")
	script := func(fam string) string {
		return "table " + fam + " t {\n\tchain c {\n\t\ttype filter hook prerouting priority 0; policy accept;\n\t\tdup to 192.0.2.1\n\t}\n}\n"
	}
	if _, stderr, err := ns.NFT(script("inet")); err == nil || !strings.Contains(stderr, "unsupported family") {
		t.Errorf("nft took dup in an inet table (err %v: %s): xt2nft --layout inet can translate TEE now", err, stderr)
	}
	if _, stderr, err := ns.NFT(script("ip")); err != nil {
		t.Errorf("dup in an ip table: %v: %s", err, stderr)
	}
}

// TestPrivilegedInetCorpusPairs: the corpus's IPv4 and IPv6 dumps of one
// source (firewalld, iptables' own tests, istio, moby), loaded into
// iptables-legacy and ip6tables-legacy and translated into one inet table,
// meet the same probes of both families (services on the firewall from the
// LAN and the uplink, forwarding both ways) with the same fates.
func TestPrivilegedInetCorpusPairs(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	pairs := corpusPairs(t)
	if len(pairs) == 0 {
		t.Skip("no corpus pairs (the shared corpus sits next to the repository)")
	}
	var probes []inetProbe
	for _, f := range []struct{ lan, fw, up, upfw, out string }{
		{"10.70.0.2", "10.70.0.1", "10.71.0.2", "10.71.0.1", "192.0.2.9"},
		{"fd70::2", "fd70::1", "fd71::2", "fd71::1", "2001:db8::9"},
	} {
		for _, port := range []uint16{22, 53, 80, 443, 546, 5353} {
			probes = append(probes,
				inetProbe{name: fmt.Sprintf("%s tcp %d from the LAN", f.lan, port), probe: inetPkt("eth0", f.lan, f.fw, syn(1000+port, port))},
				inetProbe{name: fmt.Sprintf("%s udp %d from the uplink", f.up, port), probe: inetPkt("ppp0", f.up, f.upfw, &lab.UDP{SrcPort: 1000 + port, DstPort: port})})
		}
		echo := uint8(8)
		if strings.Contains(f.lan, ":") {
			echo = 128
		}
		probes = append(probes,
			inetProbe{name: f.lan + " echo", probe: inetPkt("eth0", f.lan, f.fw, &lab.ICMP{Type: echo, ID: 1, Seq: 1})},
			inetProbe{name: f.lan + " forwarded out", probe: inetPkt("eth0", f.lan, f.out, syn(2000, 443))},
			inetProbe{name: f.up + " forwarded in", probe: inetPkt("ppp0", f.up, f.lan, syn(2001, 80))})
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			out := translate.Files(p.inputs, parser.Options{}, translate.Options{Layout: translate.LayoutInet})
			if out.Failed {
				t.Fatal(out.Diags)
			}
			fates, _ := runInet(t, []inetSide{
				{"legacy", func(l *lab.Lab) error {
					if err := l.IPTablesRestore(true, string(p.inputs[1].Src)); err != nil {
						return err
					}
					return l.IPTablesRestore(false, string(p.inputs[0].Src))
				}},
				{"inet", func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
			}, probes)
			differ := 0
			for i, pr := range probes {
				if fates[0][i] != fates[1][i] {
					differ++
					t.Errorf("%s: legacy %q, inet %q", pr.name, fates[0][i], fates[1][i])
				}
			}
			t.Logf("%d probes, %d differ", len(probes), differ)
		})
	}
}

// TestPrivilegedInetConntrackOtherFamily stands behind the warning on an
// inet translation where one family's rules use conntrack and the other's
// do not (here: one family's rules only). iptables' conntrack tracks its
// own family alone; in one inet table the kernel tracks, and defragments,
// both families, so a lone fragment of the other family that the router
// forwarded as it came is now held for reassembly and never leaves.
func TestPrivilegedInetConntrackOtherFamily(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	const ct = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n"
	// A nat table without NAT rules does not hook conntrack in, neither
	// in iptables nor as an nft nat chain: no warning, nothing held.
	const nat = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j RETURN\nCOMMIT\n"
	v4 := inetPkt("eth0", "10.70.0.2", "192.0.2.9", &lab.UDP{SrcPort: 5000, DstPort: 53})
	v4.Packet.IP.(*lab.IPv4).Flags = 1 // MF: the first fragment, its others never come
	v6 := inetPkt("eth0", "fd70::2", "2001:db8::9", &lab.UDP{SrcPort: 5000, DstPort: 53})
	v6.Packet.Ext = []lab.Ext{lab.Fragment(0, true, 7, 0, 0)}
	for _, c := range []struct {
		name, file, rules, other string
		v6, held                 bool
		probe                    lab.Probe
	}{
		{"v6-conntrack", "rules.v6", ct, "IPv4", true, true, v4},
		{"v4-conntrack", "rules.v4", ct, "IPv6", false, true, v6},
		{"v6-nat-table", "rules.v6", nat, "IPv4", true, false, v4},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := translate.Files([]translate.Input{{Name: c.file, Src: []byte(c.rules)}}, parser.Options{}, translate.Options{Layout: translate.LayoutInet})
			want := "warning: --layout inet: the " + map[bool]string{true: "IPv6", false: "IPv4"}[c.v6] + " rules use conntrack and the " + c.other + " rules do not"
			if warned := strings.Contains(strings.Join(out.Diags, "\n"), c.file+":4:1: "+want); out.Failed || warned != c.held {
				t.Fatalf("warning %q: %v, want %v: %v", want, warned, c.held, out.Diags)
			}
			fates, _ := runInet(t, []inetSide{
				{"legacy", func(l *lab.Lab) error { return l.IPTablesRestore(c.v6, c.rules) }},
				{"inet", func(l *lab.Lab) error { return l.NFT(string(out.Script)) }},
			}, []inetProbe{{name: "lone " + c.other + " fragment", probe: c.probe}})
			t.Logf("legacy %q\ninet   %q", fates[0][0], fates[1][0])
			if !strings.Contains(fates[0][0], "leaves ppp0") || strings.Contains(fates[1][0], "leaves ppp0") == c.held {
				t.Errorf("lone %s fragment: legacy %q (want forwarded out ppp0), inet %q (want held: %v)", c.other, fates[0][0], fates[1][0], c.held)
			}
		})
	}
}
