//go:build linux

package translate_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedAddrtype6 sends IPv6 packets of every address kind a rule
// can tell apart through ip6tables-legacy's addrtype rules and through
// their translation: the firewall's own address, a peer's, a link-local
// one, the unspecified and an IPv4-mapped address, the subnet-router
// anycast, and addresses whose route is unreachable, prohibit, blackhole
// or throw. ip6tables tests UNICAST, MULTICAST and UNSPEC on the address
// itself (each one required) and only LOCAL, ANYCAST and UNREACHABLE on
// its route, where nft's fib says local or unreachable for what is
// UNICAST there; every fate must be the same.
func TestPrivilegedAddrtype6(t *testing.T) {
	lab.Skip(t, "ip6tables-legacy-restore", "ip")
	src := []string{
		"--src-type UNICAST", "! --src-type UNICAST", "--src-type UNSPEC", "--src-type LOCAL",
		"! --src-type LOCAL", "--src-type UNREACHABLE", "! --src-type UNREACHABLE", "--src-type ANYCAST",
		"--src-type UNICAST,MULTICAST", "! --src-type UNICAST,UNSPEC", "--src-type UNICAST,LOCAL",
		"--src-type LOCAL --limit-iface-in", "--src-type LOCAL,UNREACHABLE",
	}
	dst := []string{
		"--dst-type UNICAST", "! --dst-type UNICAST", "--dst-type MULTICAST", "! --dst-type MULTICAST",
		"--dst-type LOCAL", "--dst-type ANYCAST", "--dst-type UNREACHABLE", "! --dst-type LOCAL,ANYCAST",
		"--dst-type UNICAST,LOCAL", "--dst-type LOCAL --limit-iface-in", "--dst-type MULTICAST,LOCAL",
	}
	var rules strings.Builder
	rules.WriteString("*mangle\n:PREROUTING ACCEPT [0:0]\n")
	for i, m := range src {
		fmt.Fprintf(&rules, "-A PREROUTING -p udp -m udp --dport %d -m addrtype %s -j DROP\n", 1000+i, m)
	}
	for i, m := range dst {
		fmt.Fprintf(&rules, "-A PREROUTING -p udp -m udp --dport %d -m addrtype %s -j DROP\n", 2000+i, m)
	}
	rules.WriteString("COMMIT\n")
	out := translate.Files([]translate.Input{{Name: "rules.v6", Src: []byte(rules.String())}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatalf("translation failed: %v", out.Diags)
	}
	// Routes of every kind, in the firewall's main table.
	routes := [][]string{
		{"unreachable", "2001:db8:de::/48"}, {"prohibit", "2001:db8:be::/48"},
		{"blackhole", "2001:db8:b1::/48"}, {"throw", "2001:db8:70::/48"},
	}
	withRoutes := func(load func(*lab.Lab) error) func(*lab.Lab) error {
		return func(l *lab.Lab) error {
			for _, r := range routes {
				if b, err := l.FW.Command("ip", "-6", "route", "add", r[0], r[1]).CombinedOutput(); err != nil {
					return fmt.Errorf("ip -6 route add %s %s: %v: %s", r[0], r[1], err, b)
				}
			}
			// A link-local address of the firewall's on the other link.
			if b, err := l.FW.Command("ip", "-6", "addr", "add", "fe80::1/64", "dev", "ppp0", "nodad").CombinedOutput(); err != nil {
				return fmt.Errorf("ip -6 addr add fe80::1/64 dev ppp0: %v: %s", err, b)
			}
			return load(l)
		}
	}
	// fd70::1 is the firewall's on eth0, fd70::2 the peer's, fd70:: the
	// subnet-router anycast of the forwarding firewall; ppp0 is the
	// default route.
	sources := []string{"fd70::2", "fd70::1", "fe80::2", "fe80::1", "::", "::ffff:10.1.2.3", "fd70::", "2001:db8:1::5",
		"2001:db8:de::1", "2001:db8:be::1", "2001:db8:b1::1", "2001:db8:70::1"}
	dests := []string{"fd70::1", "fd70::2", "ff02::1", "fd70::", "2001:db8:1::5", "2001:db8:de::1", "2001:db8:be::1",
		"fe80::1", "fe80::9", "2001:db8:70::1"}
	var probes []inetProbe
	for i := range src {
		for _, s := range sources {
			probes = append(probes, inetProbe{name: fmt.Sprintf("%s from %s", src[i], s),
				probe: inetPkt("eth0", s, "fd70::1", &lab.UDP{SrcPort: 5000, DstPort: uint16(1000 + i)})})
		}
	}
	for i := range dst {
		for _, d := range dests {
			probes = append(probes, inetProbe{name: fmt.Sprintf("%s to %s", dst[i], d),
				probe: inetPkt("eth0", "fd70::2", d, &lab.UDP{SrcPort: 5000, DstPort: uint16(2000 + i)})})
		}
	}
	fates, _ := runInet(t, []inetSide{
		{"legacy", withRoutes(func(l *lab.Lab) error { return l.IPTablesRestore(true, rules.String()) })},
		{"nft", withRoutes(func(l *lab.Lab) error { return l.NFT(string(out.Script)) })},
	}, probes)
	// The warned approximation: a link-local address's route types
	// (LOCAL, ANYCAST, UNREACHABLE), looked up on the packet's interface
	// by nft. It must be warned, and show.
	for i, m := range append(append([]string(nil), src...), dst...) {
		line := fmt.Sprintf("rules.v6:%d:", 3+i)
		warned := false
		for _, d := range out.Diags {
			warned = warned || strings.HasPrefix(d, line) && strings.Contains(d, "for a link-local address")
		}
		if warned != routeType(m) {
			t.Errorf("%s (%s): warned of the link-local lookup: %v, want %v", line, m, warned, routeType(m))
		}
	}
	dropped, passed, warnedDiffs := 0, 0, 0
	for i, p := range probes {
		if strings.HasPrefix(fates[0][i], "dropped") {
			dropped++
		} else {
			passed++
		}
		if fates[0][i] == fates[1][i] {
			continue
		}
		if linkLocal(p.probe) && routeType(p.name) {
			warnedDiffs++
			continue
		}
		t.Errorf("%s:\n  ip6tables %s\n  nft       %s", p.name, fates[0][i], fates[1][i])
	}
	if warnedDiffs == 0 {
		t.Error("no probe shows the warned link-local difference")
	}
	// The probes must tell the rules apart: some dropped, some not.
	if dropped == 0 || passed == 0 {
		t.Errorf("%d probes dropped by ip6tables, %d not: the probes do not exercise the rules", dropped, passed)
	}
	t.Logf("%d probes: %d dropped by ip6tables, %d passed; %d differ as warned (link-local)", len(probes), dropped, passed, warnedDiffs)
}

// routeType reports whether an addrtype match names a route type.
func routeType(m string) bool {
	for _, t := range []string{"LOCAL", "ANYCAST", "UNREACHABLE"} {
		if strings.Contains(m, t) {
			return true
		}
	}
	return false
}

// linkLocal reports whether a probe has a link-local address.
func linkLocal(p lab.Probe) bool {
	h := p.Packet.IP.(*lab.IPv6)
	ll := netip.MustParsePrefix("fe80::/10")
	return ll.Contains(h.Src) || ll.Contains(h.Dst)
}

// TestPrivilegedAddrtypeRouteNumbers: the route types nft has no name for
// are written as numbers (fib saddr type 9 for THROW), which load and
// which packets meet alike in iptables-legacy and in the translation: from
// an address with a throw route, one with a blackhole route and one with
// an ordinary route. Both ask inet_dev_addr_type, which answers UNICAST
// when the route lookup fails, as it does on a throw or blackhole route:
// only ! THROW matches, for all three.
func TestPrivilegedAddrtypeRouteNumbers(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip")
	const rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n" +
		"-A PREROUTING -p udp -m udp --dport 3001 -m addrtype --src-type THROW -j DROP\n" +
		"-A PREROUTING -p udp -m udp --dport 3002 -m addrtype --src-type BLACKHOLE,THROW -j DROP\n" +
		"-A PREROUTING -p udp -m udp --dport 3003 -m addrtype ! --src-type THROW -j DROP\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
	if out.Failed || !strings.Contains(string(out.Script), "fib saddr type 9") {
		t.Fatalf("translation: %v\n%s", out.Diags, out.Script)
	}
	withRoutes := func(load func(*lab.Lab) error) func(*lab.Lab) error {
		return func(l *lab.Lab) error {
			for _, r := range [][]string{{"throw", "198.51.100.0/24"}, {"blackhole", "203.0.113.0/24"}} {
				if b, err := l.FW.Command("ip", "route", "add", r[0], r[1]).CombinedOutput(); err != nil {
					return fmt.Errorf("ip route add %s %s: %v: %s", r[0], r[1], err, b)
				}
			}
			return load(l)
		}
	}
	var probes []inetProbe
	for _, dport := range []uint16{3001, 3002, 3003} {
		for _, src := range []string{"198.51.100.5", "203.0.113.5", "10.70.0.2"} {
			probes = append(probes, inetProbe{name: fmt.Sprintf("port %d from %s", dport, src),
				probe: inetPkt("eth0", src, "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: dport})})
		}
	}
	fates, _ := runInet(t, []inetSide{
		{"legacy", withRoutes(func(l *lab.Lab) error { return l.IPTablesRestore(false, rules) })},
		{"nft", withRoutes(func(l *lab.Lab) error { return l.NFT(string(out.Script)) })},
	}, probes)
	dropped := 0
	for i, p := range probes {
		if strings.HasPrefix(fates[0][i], "dropped after pre") {
			dropped++
		}
		if fates[0][i] != fates[1][i] {
			t.Errorf("%s:\n  iptables %s\n  nft      %s", p.name, fates[0][i], fates[1][i])
		}
	}
	if dropped != 3 {
		t.Errorf("iptables dropped %d of 9 probes in prerouting, want the 3 of ! THROW", dropped)
	}
}
