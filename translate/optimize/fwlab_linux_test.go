package optimize_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// fwLab is a firewall namespace between two peers: cli sends crafted
// IPv4 frames into the firewall's eth0 (from any source address), the
// firewall routes everything not local out of eth1 to srv, which captures
// what arrives. 10.255.2.0/24 is local to the firewall (INPUT).
//
// It is lean on purpose: a probe is one frame written to a packet socket,
// thousands go through in a second, and what happened to them is read
// from the rules' and set elements' counters and srv's capture.
type fwLab struct {
	t            testing.TB
	fw, cli, srv *nstest.NS
	sendFD       int // AF_PACKET on cli's eth0
	captFD       int // AF_PACKET on srv's eth1
	cliIdx       int
	fwMAC, cMAC  net.HardwareAddr
}

var (
	macFW0 = net.HardwareAddr{2, 0x78, 0x74, 0, 0, 1}
	macCli = net.HardwareAddr{2, 0x78, 0x74, 0, 0, 2}
	macFW1 = net.HardwareAddr{2, 0x78, 0x74, 0, 1, 1}
	macSrv = net.HardwareAddr{2, 0x78, 0x74, 0, 1, 2}
)

func newFWLab(t testing.TB) *fwLab {
	t.Helper()
	l := &fwLab{t: t, fw: nstest.New(t, "ofw"), cli: nstest.New(t, "ocli"), srv: nstest.New(t, "osrv"), fwMAC: macFW0, cMAC: macCli}
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ip("-n", l.fw.Name, "link", "add", "eth0", "address", macFW0.String(), "type", "veth", "peer", "name", "eth0", "address", macCli.String(), "netns", l.cli.Name)
	ip("-n", l.fw.Name, "link", "add", "eth1", "address", macFW1.String(), "type", "veth", "peer", "name", "eth1", "address", macSrv.String(), "netns", l.srv.Name)
	for _, ns := range []*nstest.NS{l.fw, l.cli, l.srv} {
		for _, kv := range []string{"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
			"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"} {
			if _, stderr, err := ns.Run("sysctl", "-qw", kv); err != nil {
				t.Fatalf("sysctl %s: %v %s", kv, err, stderr)
			}
		}
	}
	for _, kv := range []string{"net.ipv4.ip_forward=1", "net.ipv4.conf.eth0.rp_filter=0", "net.ipv4.conf.eth1.rp_filter=0",
		"net.ipv4.icmp_ratelimit=0", "net.ipv4.icmp_msgs_per_sec=10000000", "net.ipv4.icmp_msgs_burst=10000000", "net.ipv4.conf.eth0.accept_local=1"} {
		if _, stderr, err := l.fw.Run("sysctl", "-qw", kv); err != nil {
			t.Fatalf("sysctl %s: %v %s", kv, err, stderr)
		}
	}
	batch := func(ns *nstest.NS, cmds string) {
		t.Helper()
		if _, stderr, err := ns.RunInput(cmds, "ip", "-batch", "-"); err != nil {
			t.Fatalf("ip -batch in %s: %v: %s", ns.Name, err, stderr)
		}
	}
	batch(l.fw, `link set lo up
link set eth0 up
link set eth1 up
addr add 10.255.0.1/30 dev eth0
addr add 10.255.1.1/30 dev eth1
route add local 10.255.2.0/24 dev lo
neigh replace 10.255.1.2 lladdr `+macSrv.String()+` dev eth1 nud permanent
neigh replace 10.255.0.2 lladdr `+macCli.String()+` dev eth0 nud permanent
route add default via 10.255.1.2 dev eth1
route add 10.0.0.0/8 via 10.255.1.2 dev eth1
route add 192.168.0.0/16 via 10.255.0.2 dev eth0
`)
	batch(l.cli, "link set lo up\nlink set eth0 up\naddr add 10.255.0.2/30 dev eth0\n")
	batch(l.srv, "link set lo up\nlink set eth1 up\naddr add 10.255.1.2/30 dev eth1\n")
	var err error
	if l.sendFD, l.cliIdx, err = packetSocket(l.cli.Name, "eth0"); err != nil {
		t.Fatal(err)
	}
	if l.captFD, _, err = packetSocket(l.srv.Name, "eth1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(l.sendFD)
		unix.Close(l.captFD)
	})
	return l
}

// inNS runs fn on a thread in the named namespace (the thread is never
// unlocked: it dies with the goroutine).
func inNS(name string, fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/var/run/netns/" + name)
		if err != nil {
			ch <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- err
			return
		}
		ch <- fn()
	}()
	return <-ch
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// packetSocket opens an AF_PACKET socket bound to an interface of a
// namespace; it returns the descriptor and the interface's index.
func packetSocket(ns, ifname string) (fd, idx int, err error) {
	err = inNS(ns, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		idx = ifi.Index
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 64<<20); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 64<<20); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: idx})
	})
	return fd, idx, err
}

// probe is one IPv4 packet cli sends.
type probe struct {
	id           uint16
	src, dst     netip.Addr
	proto        uint8 // 6, 17 or 1
	sport, dport uint16
}

func (p probe) String() string {
	return fmt.Sprintf("#%d %s %s:%d > %s:%d", p.id, map[uint8]string{1: "icmp", 6: "tcp", 17: "udp"}[p.proto], p.src, p.sport, p.dst, p.dport)
}

func csum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// frame is the probe as an Ethernet frame to the firewall.
func (p probe) frame(dst, src net.HardwareAddr) []byte {
	payload := binary.BigEndian.AppendUint32(nil, uint32(p.id)|0x78740000)
	var l4 []byte
	switch p.proto {
	case 6:
		l4 = make([]byte, 20)
		binary.BigEndian.PutUint16(l4[0:], p.sport)
		binary.BigEndian.PutUint16(l4[2:], p.dport)
		binary.BigEndian.PutUint32(l4[4:], uint32(p.id)*7919)
		l4[12] = 5 << 4
		l4[13] = 0x02 // SYN
		binary.BigEndian.PutUint16(l4[14:], 65535)
	case 17:
		l4 = make([]byte, 8)
		binary.BigEndian.PutUint16(l4[0:], p.sport)
		binary.BigEndian.PutUint16(l4[2:], p.dport)
		binary.BigEndian.PutUint16(l4[4:], uint16(8+len(payload)))
	case 1:
		l4 = make([]byte, 8)
		l4[0] = 8 // echo request
		binary.BigEndian.PutUint16(l4[4:], p.id)
	}
	l4 = append(l4, payload...)
	s, d := p.src.As4(), p.dst.As4()
	if p.proto != 1 {
		var ps uint32
		for i := 0; i < 4; i += 2 {
			ps += uint32(s[i])<<8 | uint32(s[i+1]) + uint32(d[i])<<8 | uint32(d[i+1])
		}
		ps += uint32(p.proto) + uint32(len(l4))
		off := map[uint8]int{6: 16, 17: 6}[p.proto]
		binary.BigEndian.PutUint16(l4[off:], csum(l4, ps))
	} else {
		binary.BigEndian.PutUint16(l4[2:], csum(l4, 0))
	}
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
	binary.BigEndian.PutUint16(ip[4:], p.id)
	ip[8] = 64
	ip[9] = p.proto
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	binary.BigEndian.PutUint16(ip[10:], csum(ip, 0))
	f := append(append(append([]byte(nil), dst...), src...), 0x08, 0x00)
	return append(append(f, ip...), l4...)
}

// send writes the probes and returns, by probe id, how each left the
// firewall towards srv ("proto dst:dport" after NAT; absent: not
// forwarded).
func (l *fwLab) send(ps []probe) map[uint16]string {
	l.t.Helper()
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: l.cliIdx, Halen: 6}
	copy(sa.Addr[:], l.fwMAC)
	for _, p := range ps {
		if err := unix.Sendto(l.sendFD, p.frame(l.fwMAC, l.cMAC), 0, sa); err != nil {
			l.t.Fatalf("sending %s: %v", p, err)
		}
	}
	return l.capture(200 * time.Millisecond)
}

// capture reads srv's frames until none came for quiet.
func (l *fwLab) capture(quiet time.Duration) map[uint16]string {
	got := map[uint16]string{}
	buf := make([]byte, 4096)
	tv := unix.NsecToTimeval(quiet.Nanoseconds())
	unix.SetsockoptTimeval(l.captFD, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	for {
		n, from, err := unix.Recvfrom(l.captFD, buf, 0)
		if err != nil {
			return got
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		f := buf[:n]
		if len(f) < 34 || f[12] != 0x08 || f[13] != 0 {
			continue
		}
		ip := f[14:]
		ihl := int(ip[0]&0xf) * 4
		if len(ip) < ihl+8 {
			continue
		}
		l4 := ip[ihl:]
		proto := ip[9]
		dst := netip.AddrFrom4([4]byte(ip[16:20]))
		if proto == 1 && len(l4) >= 8+20 && (l4[0] == 3 || l4[0] == 11 || l4[0] == 12) {
			// an ICMP error about a probe (REJECT): by the probe it quotes
			q := l4[8:]
			id := binary.BigEndian.Uint16(q[4:])
			got[id] += fmt.Sprintf("icmp %d/%d to %s; ", l4[0], l4[1], dst)
			continue
		}
		if proto == 6 && len(l4) >= 20 && l4[13]&0x04 != 0 {
			// a TCP reset (REJECT --reject-with tcp-reset): its sequence
			// number acknowledges the probe's
			ack := binary.BigEndian.Uint32(l4[8:])
			id := uint16((ack - 1) / 7919)
			got[id] += fmt.Sprintf("rst to %s:%d; ", dst, binary.BigEndian.Uint16(l4[2:]))
			continue
		}
		if len(f) < 4 {
			continue
		}
		tag := binary.BigEndian.Uint32(f[len(f)-4:])
		if tag>>16 != 0x7874 {
			continue
		}
		desc := fmt.Sprintf("%d %s", proto, dst)
		if proto == 6 || proto == 17 {
			desc += ":" + strconv.Itoa(int(binary.BigEndian.Uint16(l4[2:])))
		}
		got[uint16(tag)] += desc + "; "
	}
}

// loadLegacy restores an iptables-save dump into the firewall.
func (l *fwLab) loadLegacy(dump []byte) {
	l.t.Helper()
	if _, stderr, err := l.fw.RunInput(string(dump), "iptables-legacy-restore"); err != nil {
		l.t.Fatalf("iptables-legacy-restore: %v: %s", err, stderr)
	}
}

// loadNFT sends a translation through the netlink backend.
func (l *fwLab) loadNFT(rs *translate.Ruleset) *nft.Program {
	l.t.Helper()
	prog, err := nft.Lower(rs)
	if err != nil {
		l.t.Fatal(err)
	}
	ns, err := nft.OpenNS(l.fw.Name)
	if err != nil {
		l.t.Fatal(err)
	}
	defer ns.Close()
	if _, err := nft.Apply(ns, prog, nft.ApplyOptions{ResetSets: true}); err != nil {
		l.t.Fatal(err)
	}
	return prog
}

// legacyCounts reads the packet counters of the iptables rules, by the
// position of each rule in the dump (iptables-save lists a chain's rules
// in the order they were restored).
func (l *fwLab) legacyCounts(dump *parser.Dump) map[parser.Pos]int64 {
	l.t.Helper()
	out, stderr, err := l.fw.Run("iptables-legacy-save", "-c")
	if err != nil {
		l.t.Fatalf("iptables-legacy-save: %v: %s", err, stderr)
	}
	seen := map[string][]int64{}
	table := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "*") {
			table = line[1:]
		}
		if !strings.HasPrefix(line, "[") {
			continue
		}
		pk, rest, _ := strings.Cut(line[1:], ":")
		n, _ := strconv.ParseInt(pk, 10, 64)
		f := strings.Fields(rest)
		if len(f) >= 3 && f[1] == "-A" {
			seen[table+" "+f[2]] = append(seen[table+" "+f[2]], n)
		}
	}
	counts := map[parser.Pos]int64{}
	for _, t := range dump.Tables {
		for _, c := range t.Chains {
			got := seen[t.Name+" "+c.Name]
			if len(got) != len(c.Rules) {
				l.t.Fatalf("iptables-legacy-save lists %d rules in %s %s, the dump has %d", len(got), t.Name, c.Name, len(c.Rules))
			}
			for i, r := range c.Rules {
				counts[r.Pos] = got[i]
			}
		}
	}
	return counts
}

// nftCounts reads the counters of the rules and of the set elements and
// adds them up by the iptables rule they stand for.
func (l *fwLab) nftCounts(rs *translate.Ruleset, prog *nft.Program) map[parser.Pos]int64 {
	l.t.Helper()
	f, err := os.Open("/var/run/netns/" + l.fw.Name)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	conn, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())))
	if err != nil {
		l.t.Fatal(err)
	}
	counts := map[parser.Pos]int64{}
	for ti, t := range rs.Tables {
		tp := prog.Tables[ti]
		for _, c := range t.Chains {
			var ch *nftables.Chain
			for _, x := range tp.Chains {
				if x.Name == c.Name {
					ch = x
				}
			}
			rules, err := conn.GetRules(tp.Table, ch)
			if err != nil {
				l.t.Fatalf("listing %s: %v", c.Name, err)
			}
			i := 0
			for _, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				if i >= len(rules) {
					l.t.Fatalf("chain %s: %d rules live, more in the translation", c.Name, len(rules))
				}
				for _, e := range rules[i].Exprs {
					if ctr, ok := e.(*expr.Counter); ok {
						counts[r.Origin] += int64(ctr.Packets)
					}
				}
				for _, o := range r.AllOrigins() {
					counts[o] += 0
				}
				i++
			}
		}
		for si, s := range t.Sets {
			if !s.Counter {
				continue
			}
			sp := tp.Sets[si]
			byKey := map[string]parser.Pos{}
			k := 0
			for _, el := range sp.Elems {
				if el.IntervalEnd {
					continue
				}
				byKey[string(el.Key)] = s.Elems[k].(*translate.Elem).Origin
				k++
			}
			live, err := conn.GetSetElements(sp.Set)
			if err != nil {
				l.t.Fatalf("listing set %s: %v", s.Name, err)
			}
			for _, el := range live {
				if el.IntervalEnd || el.Counter == nil {
					continue
				}
				o, ok := byKey[string(el.Key)]
				if !ok {
					l.t.Fatalf("set %s: live element %x is none of the translation's", s.Name, el.Key)
				}
				counts[o] += int64(el.Counter.Packets)
			}
		}
	}
	return counts
}
