//go:build linux

package lab_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
)

func twoLinks() lab.Topology {
	return lab.Topology{Links: []lab.Link{
		{Name: "eth0", Addrs: []netip.Prefix{lab.Prefix("10.70.0.1/24"), lab.Prefix("fd70::1/64")},
			PeerAddrs: []netip.Prefix{lab.Prefix("10.70.0.2/24"), lab.Prefix("fd70::2/64")}},
		{Name: "ppp0", Addrs: []netip.Prefix{lab.Prefix("10.71.0.1/24"), lab.Prefix("fd71::1/64")},
			PeerAddrs: []netip.Prefix{lab.Prefix("10.71.0.2/24"), lab.Prefix("fd71::2/64")},
			Routes:    []netip.Prefix{lab.Prefix("0.0.0.0/0"), lab.Prefix("::/0")}, Group: 5},
	}}
}

// The lab's own proof: each path is observed as it happens, and a rule's
// drop, mark and NAT show in the observation, legacy and nft alike.
func TestPrivilegedLab(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	t.Parallel()
	l := lab.New(t, twoLinks())
	udp := func(src, dst string, dport uint16) lab.Packet {
		var ip lab.IPHeader = &lab.IPv4{Src: lab.Addr(src), Dst: lab.Addr(dst)}
		if strings.Contains(src, ":") {
			ip = &lab.IPv6{Src: lab.Addr(src), Dst: lab.Addr(dst)}
		}
		return lab.Packet{IP: ip, L4: &lab.UDP{SrcPort: 40000, DstPort: dport}}
	}
	check := func(p lab.Probe, want string) {
		t.Helper()
		o, err := l.Send(p)
		if err != nil {
			t.Fatal(err)
		}
		got := o.Fate()
		for _, part := range strings.Split(want, "; ") {
			if !strings.Contains(got, part) {
				t.Errorf("probe %d: fate %q lacks %q\n%s", o.ID, got, part, o)
			}
		}
	}
	check(lab.Probe{In: "eth0", Packet: udp("10.70.0.2", "10.70.0.1", 53)}, "delivered; mark 0x0; as udp")
	check(lab.Probe{In: "eth0", Packet: udp("fd70::2", "fd70::1", 53)}, "delivered; mark 0x0; as udp")
	check(lab.Probe{In: "eth0", Packet: udp("10.70.0.2", "192.0.2.9", 53)}, "forwarded; mark 0x0; leaves ppp0: udp 10.70.0.2:40000 > 192.0.2.9:53 ttl 63")
	check(lab.Probe{In: "eth0", Packet: udp("fd70::2", "2001:db8::9", 53)}, "forwarded; mark 0x0; leaves ppp0: udp [fd70::2]:40000 > [2001:db8::9]:53 ttl 63")
	check(lab.Probe{Packet: udp("10.71.0.1", "192.0.2.9", 53)}, "sent; mark 0x0; leaves ppp0: udp 10.71.0.1:40000 > 192.0.2.9:53 ttl 64")
	check(lab.Probe{In: "eth0", Mark: lab.U32(0x42), Packet: udp("10.70.0.2", "10.70.0.1", 53)}, "delivered; mark 0x42")

	if err := l.IPTablesRestore(false, "*filter\n-A INPUT -p udp --dport 54 -j DROP\n-A FORWARD -o ppp0 -j MARK --set-mark 7\n-A FORWARD -p udp --dport 55 -j REJECT\nCOMMIT\n"+
		"*nat\n-A POSTROUTING -o ppp0 -j MASQUERADE\nCOMMIT\n"); err != nil {
		t.Fatal(err)
	}
	before, err := l.IPTablesCounters(false)
	if err != nil {
		t.Fatal(err)
	}
	check(lab.Probe{In: "eth0", Packet: udp("10.70.0.2", "10.70.0.1", 54)}, "dropped after pre")
	check(lab.Probe{In: "eth0", Packet: lab.Packet{IP: &lab.IPv6{Src: lab.Addr("fd70::2"), Dst: lab.Addr("fd70::1")},
		Ext: []lab.Ext{lab.HopByHop(184)}, L4: &lab.UDP{SrcPort: 1, DstPort: 53}}}, "delivered")
	after, _ := l.IPTablesCounters(false)
	if d := after.Sub(before)["filter INPUT"]; len(d) != 1 || d[0] != 1 {
		t.Errorf("INPUT counters moved by %v, want [1]", d)
	}
	check(lab.Probe{In: "eth0", Packet: udp("10.70.0.2", "192.0.2.9", 53)}, "forwarded; mark 0x7; ctmark 0x0; leaves ppp0: udp 10.71.0.1:40000 > 192.0.2.9:53")
	check(lab.Probe{In: "eth0", Packet: udp("10.70.0.2", "192.0.2.9", 55)}, "dropped after pre; mark 0x0; reply eth0: icmp 10.70.0.1 > 10.70.0.2 type 3 code 3")

	if err := l.NFT("table ip t { chain c { type filter hook input priority 0; udp dport 56 ct mark set 0x9 meta mark set mark | 0x100; ip dscp set af41; }; }\n"); err != nil {
		t.Fatal(err)
	}
	check(lab.Probe{In: "eth0", Mark: lab.U32(1), Packet: udp("10.70.0.2", "10.70.0.1", 56)}, "delivered; mark 0x101; tos 0x88; ctmark 0x9")
	check(lab.Probe{In: "eth0", CTMark: lab.U32(3), Packet: udp("10.70.0.2", "10.70.0.1", 57)}, "delivered; mark 0x0; ctmark 0x3")
}

// A packet the firewall sends that the kernel refuses after the OUTPUT
// rules (a DNAT of a loopback source to another host: no route, EINVAL)
// is a fate of the probe, the same through iptables-legacy and nft, not a
// failure of the lab (verify aborted on CNI portmap's hairpin rule).
func TestPrivilegedSendRefused(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	t.Parallel()
	probe := lab.Probe{Packet: lab.Packet{IP: &lab.IPv4{Src: lab.Addr("127.0.0.1"), Dst: lab.Addr("192.0.2.9")},
		L4: &lab.TCP{SrcPort: 40000, DstPort: 8080, Flags: lab.SYN}}}
	for _, side := range []string{"legacy", "nft"} {
		l := lab.New(t, twoLinks())
		var err error
		if side == "legacy" {
			err = l.IPTablesRestore(false, "*nat\n-A OUTPUT -s 127.0.0.1 -p tcp --dport 8080 -j DNAT --to-destination 10.71.0.2:80\nCOMMIT\n")
		} else {
			err = l.NFT("table ip t { chain c { type nat hook output priority -100; ip saddr 127.0.0.1 tcp dport 8080 dnat to 10.71.0.2:80; }; }\n")
		}
		if err != nil {
			t.Fatal(err)
		}
		o, err := l.Send(probe)
		if err != nil {
			t.Fatalf("%s: %v", side, err)
		}
		if got := o.Fate(); !strings.Contains(got, "send refused: invalid argument") || len(o.Frames) != 0 {
			t.Errorf("%s: fate %q, want the kernel's refusal and no frame\n%s", side, got, o)
		}
	}
}

// Two labs built from one topology keep their own copy of it: extending
// one adds the new route there, extending the other adds it there too.
func TestPrivilegedExtendEach(t *testing.T) {
	lab.Skip(t)
	t.Parallel()
	topo := twoLinks()
	a, b := lab.New(t, topo), lab.New(t, topo)
	topo.Links[0].Routes = append(topo.Links[0].Routes, lab.Prefix("10.99.0.0/31"))
	for _, l := range []*lab.Lab{a, b} {
		if err := l.Extend(topo); err != nil {
			t.Fatal(err)
		}
		out, err := l.FW.Run("", "ip", "route", "show", "10.99.0.0/31")
		if err != nil || !strings.Contains(out, "via 10.70.0.2 dev eth0") {
			t.Errorf("route after Extend: %q, %v (want 10.99.0.0/31 via 10.70.0.2 dev eth0)", out, err)
		}
	}
}

// Topology.Conntrack makes conntrack run where no rule needs it: a probe
// leaves an entry; without it, none.
func TestPrivilegedConntrackOn(t *testing.T) {
	lab.Skip(t)
	t.Parallel()
	for _, on := range []bool{false, true} {
		topo := twoLinks()
		topo.Conntrack = on
		l := lab.New(t, topo)
		o, err := l.Send(lab.Probe{In: "eth0", Packet: lab.Packet{IP: &lab.IPv4{Src: lab.Addr("10.70.0.2"), Dst: lab.Addr("10.70.0.1")}, L4: &lab.UDP{SrcPort: 40000, DstPort: 693}}})
		if err != nil {
			t.Fatal(err)
		}
		if (o.CT != nil) != on {
			t.Errorf("Conntrack %v: the probe's conntrack entry is %+v", on, o.CT)
		}
	}
}

// An ICMP error's conntrack entry is the one of the packet it quotes, not
// another entry between the same two hosts (an echo's, here).
func TestPrivilegedQuotedEntry(t *testing.T) {
	lab.Skip(t)
	t.Parallel()
	topo := twoLinks()
	topo.Conntrack = true
	l := lab.New(t, topo)
	peer, fw := lab.Addr("10.70.0.2"), lab.Addr("10.70.0.1")
	send := func(p lab.Packet) lab.Observation {
		t.Helper()
		o, err := l.Send(lab.Probe{In: "eth0", Packet: p})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	send(lab.Packet{IP: &lab.IPv4{Src: peer, Dst: fw}, L4: &lab.ICMP{Type: 8, ID: 7}})
	send(lab.Packet{IP: &lab.IPv4{Src: peer, Dst: fw}, L4: &lab.UDP{SrcPort: 40000, DstPort: 9}})
	inner := lab.Packet{IP: &lab.IPv4{Src: fw, Dst: peer}, L4: &lab.UDP{SrcPort: 9, DstPort: 40000}}
	q, err := inner.Encode(0)
	if err != nil {
		t.Fatal(err)
	}
	o := send(lab.Packet{IP: &lab.IPv4{Src: peer, Dst: fw}, L4: &lab.ICMP{Type: 3, Code: 3}, Payload: q[:28]})
	if o.CT == nil || o.CT.Orig.Proto != 17 || o.CT.Orig.Sport != 40000 {
		t.Errorf("the ICMP error's entry is %+v, want the UDP flow's", o.CT)
	}
}
