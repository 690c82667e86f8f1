//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// A migration lab: a host (fw) running a real iptables-legacy firewall
// between a client (cli, on two links) and a server behind it (srv):
//
//	cli c0 10.1.0.2 (.3 .66 .99), fd01::2  ---  eth0 10.1.0.1, fd01::1  fw
//	cli c2 10.3.0.2                         ---  eth2 10.3.0.1           fw
//	srv s0 10.2.0.2                         ---  eth1 10.2.0.1           fw
//
// The firewall: an SSH guard (recent --set, --update --seconds 60
// --hitcount 4), an ipset blocklist with timeouts, a port forward (DNAT
// 8080 to srv:80, MASQUERADE towards srv), MARK/CONNMARK policy routing
// (the client's address 10.9.0.2 is routed by eth0 in fw's main table, but
// what came in on eth2 is marked, and its replies leave by eth2: the client
// drops 10.9.0.2 arriving on c0), NOTRACK for the UDP heartbeat on 694,
// and an IPv6 filter.
type migrateLab struct {
	t            *testing.T
	fw, cli, srv *nstest.NS
	workers      map[*nstest.NS]*worker
}

const migrateLabV4 = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i eth0 -p udp --dport 694 -j NOTRACK
-A OUTPUT -o eth0 -p udp --sport 694 -j NOTRACK
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j CONNMARK --restore-mark
-A PREROUTING -i eth2 -j MARK --set-mark 10
-A PREROUTING -j CONNMARK --save-mark
-A OUTPUT -j CONNMARK --restore-mark
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 10.2.0.2:80
-A POSTROUTING -o eth1 -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:guard - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m set --match-set blocklist src -j DROP
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j guard
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p tcp --dport 80 -j ACCEPT
-A INPUT -p udp --dport 694 -j ACCEPT
-A INPUT -i eth2 -p udp --dport 5353 -j ACCEPT
-A FORWARD -m set --match-set blocklist src -j DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -d 10.2.0.2/32 -p tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT
-A guard -m recent --name ssh --set
-A guard -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP
COMMIT
`

const migrateLabV6 = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport 80 -j ACCEPT
COMMIT
`

const migrateLabIPSets = `create blocklist hash:ip family inet hashsize 1024 maxelem 65536 timeout 600
add blocklist 10.1.0.99 timeout 300
add blocklist 192.0.2.7 timeout 500
`

// newMigrateLab builds the namespaces and links and loads the legacy
// firewall.
func newMigrateLab(t *testing.T, name string) *migrateLab {
	t.Helper()
	l := &migrateLab{t: t, fw: nstest.New(t, name+"-fw"), cli: nstest.New(t, name+"-cli"), srv: nstest.New(t, name+"-srv"),
		workers: map[*nstest.NS]*worker{}}
	root := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	// The links are made straight into the namespaces: nothing is added to
	// the root namespace.
	root("ip", "link", "add", "eth0", "netns", l.fw.Name, "type", "veth", "peer", "name", "c0", "netns", l.cli.Name)
	root("ip", "link", "add", "eth2", "netns", l.fw.Name, "type", "veth", "peer", "name", "c2", "netns", l.cli.Name)
	root("ip", "link", "add", "eth1", "netns", l.fw.Name, "type", "veth", "peer", "name", "s0", "netns", l.srv.Name)
	in := func(ns *nstest.NS, script string) {
		t.Helper()
		for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			if _, stderr, err := ns.Run(strings.Fields(line)...); err != nil {
				t.Fatalf("%s: %s: %v: %s", ns.Name, line, err, stderr)
			}
		}
	}
	in(l.fw, `
		sysctl -qw net.ipv4.ip_forward=1
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		sysctl -qw net.ipv4.conf.default.rp_filter=0
		ip link set lo up
		ip addr add 10.1.0.1/24 dev eth0
		ip addr add fd01::1/64 dev eth0 nodad
		ip addr add 10.2.0.1/24 dev eth1
		ip addr add 10.3.0.1/24 dev eth2
		ip link set eth0 up
		ip link set eth1 up
		ip link set eth2 up
		sysctl -qw net.ipv4.conf.eth2.rp_filter=0
		ip route add 10.9.0.0/24 via 10.1.0.2 dev eth0
		ip rule add fwmark 10 lookup 10
		ip route add default via 10.3.0.2 dev eth2 table 10`)
	in(l.cli, `
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		sysctl -qw net.ipv4.conf.default.rp_filter=0
		ip link set lo up
		ip addr add 10.9.0.2/32 dev lo
		ip addr add 10.1.0.2/24 dev c0
		ip addr add 10.1.0.3/24 dev c0
		ip addr add 10.1.0.66/24 dev c0
		ip addr add 10.1.0.67/24 dev c0
		ip addr add 10.1.0.68/24 dev c0
		ip addr add 10.1.0.99/24 dev c0
		ip addr add fd01::2/64 dev c0 nodad
		ip addr add 10.3.0.2/24 dev c2
		ip link set c0 up
		ip link set c2 up
		sysctl -qw net.ipv4.conf.c0.rp_filter=0
		sysctl -qw net.ipv4.conf.c2.rp_filter=0
		ip route add 10.2.0.0/24 via 10.1.0.1`)
	in(l.srv, `
		ip link set lo up
		ip addr add 10.2.0.2/24 dev s0
		ip link set s0 up
		ip route add default via 10.2.0.1`)
	// A reply to 10.9.0.2 that comes back by c0 left fw by the wrong link.
	if _, stderr, err := l.cli.NFT("table inet wronglink { chain in { type filter hook prerouting priority -400; iifname \"c0\" ip daddr 10.9.0.2 drop; }; }\n"); err != nil {
		t.Fatal(stderr)
	}
	l.load()
	return l
}

// load puts the legacy firewall live (again).
func (l *migrateLab) load() {
	t := l.t
	t.Helper()
	for _, c := range []struct{ input, prog string }{{migrateLabIPSets, "ipset"}, {migrateLabV4, "iptables-legacy-restore"}, {migrateLabV6, "ip6tables-legacy-restore"}} {
		args := []string{c.prog}
		if c.prog == "ipset" {
			args = append(args, "restore", "-exist")
		}
		if _, stderr, err := l.fw.RunInput(c.input, args...); err != nil {
			t.Fatalf("%s: %v: %s", c.prog, err, stderr)
		}
	}
}

// worker is a thread that stays in one namespace and creates sockets
// there (a socket belongs to the namespace of the thread that made it).
type worker struct {
	ch chan func()
}

func (l *migrateLab) worker(ns *nstest.NS) *worker {
	if w := l.workers[ns]; w != nil {
		return w
	}
	h, err := netns.Open(ns.Name)
	if err != nil {
		l.t.Fatal(err)
	}
	w := &worker{ch: make(chan func())}
	go h.Do(func() error {
		for f := range w.ch {
			f()
		}
		return nil
	})
	l.t.Cleanup(func() { close(w.ch); h.Close() })
	l.workers[ns] = w
	return w
}

// do runs f on the worker's thread.
func (w *worker) do(f func()) {
	done := make(chan struct{})
	w.ch <- func() { f(); close(done) }
	<-done
}

// listen serves TCP on addr in ns: every connection echoes lines.
func (l *migrateLab) listen(ns *nstest.NS, addr string) {
	var ln net.Listener
	var err error
	network := "tcp4"
	if strings.HasPrefix(addr, "[") {
		network = "tcp6"
	}
	l.worker(ns).do(func() { ln, err = net.Listen(network, addr) })
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
}

// udpServe serves UDP on addr in fw; echo says whether it answers. It
// records the sequence numbers it receives.
func (l *migrateLab) udpServe(addr string, echo bool) *seqs {
	var pc net.PacketConn
	var err error
	l.worker(l.fw).do(func() { pc, err = net.ListenPacket("udp", addr) })
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { pc.Close() })
	got := &seqs{m: map[string]bool{}}
	go func() {
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got.add(string(buf[:n]))
			if echo {
				pc.WriteTo(buf[:n], from)
			}
		}
	}()
	return got
}

type seqs struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *seqs) add(k string) {
	s.mu.Lock()
	s.m[k] = true
	s.mu.Unlock()
}

func (s *seqs) has(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}

// dial opens a TCP connection from src in cli.
func (l *migrateLab) dial(src, dst string) (net.Conn, error) {
	var c net.Conn
	var err error
	l.worker(l.cli).do(func() {
		d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err = d.Dial("tcp", dst)
	})
	return c, err
}

// tcpProbe tries a TCP handshake from src to dst (within timeout): true
// when it completed. The socket is made on cli's worker and left to
// connect while the worker makes the next one.
func (l *migrateLab) tcpProbe(src netip.Addr, dst netip.AddrPort, timeout time.Duration) (bool, error) {
	fam := unix.AF_INET
	var sa, da unix.Sockaddr
	if src.Is6() {
		fam = unix.AF_INET6
		sa, da = &unix.SockaddrInet6{Addr: src.As16()}, &unix.SockaddrInet6{Addr: dst.Addr().As16(), Port: int(dst.Port())}
	} else {
		sa, da = &unix.SockaddrInet4{Addr: src.As4()}, &unix.SockaddrInet4{Addr: dst.Addr().As4(), Port: int(dst.Port())}
	}
	fd := -1
	var err error
	l.worker(l.cli).do(func() {
		if fd, err = unix.Socket(fam, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0); err != nil {
			return
		}
		if err = unix.Bind(fd, sa); err == nil {
			if err = unix.Connect(fd, da); err == unix.EINPROGRESS {
				err = nil
			}
		}
	})
	if fd < 0 {
		return false, err
	}
	defer unix.Close(fd)
	if err != nil {
		return false, err
	}
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for deadline := time.Now().Add(timeout); ; {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		n, err := unix.Poll(pfd, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return false, err
		}
		soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil || soerr != 0 {
			return false, fmt.Errorf("connect: %v", unix.Errno(soerr))
		}
		return true, nil
	}
}

// udpClient is a UDP socket in cli bound to src whose replies are
// recorded.
func (l *migrateLab) udpClient(src string) (net.PacketConn, *seqs) {
	var pc net.PacketConn
	var err error
	l.worker(l.cli).do(func() { pc, err = net.ListenPacket("udp", src+":0") })
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { pc.Close() })
	got := &seqs{m: map[string]bool{}}
	go func() {
		buf := make([]byte, 64)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got.add(string(buf[:n]))
		}
	}()
	return pc, got
}

// probeResult is one probe of a stream.
type probeResult struct {
	at time.Time
	ok bool
}

// stream sends one probe of a kind every period until stop closes, each
// in a goroutine of its own, and returns the results once stop closed
// and every probe ended.
func stream(period time.Duration, stop <-chan struct{}, probe func(seq int) bool) func() []probeResult {
	var mu sync.Mutex
	var out []probeResult
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for seq := 0; ; seq++ {
			select {
			case <-stop:
				wg.Wait()
				return
			case <-tick.C:
			}
			wg.Add(1)
			go func(seq int) {
				defer wg.Done()
				at := time.Now()
				ok := probe(seq)
				mu.Lock()
				out = append(out, probeResult{at, ok})
				mu.Unlock()
			}(seq)
		}
	}()
	return func() []probeResult {
		<-done
		sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
		return out
	}
}

var reSwitchTimes = regexp.MustCompile(`switch times \(RFC 3339\): live (\S+) emptied (\S+)`)

// switchWindow reads the moments both firewalls were live from migrate's
// output.
func switchWindow(t testing.TB, out string) (time.Time, time.Time) {
	t.Helper()
	m := reSwitchTimes.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no switch times in migrate's output:\n%s", out)
	}
	from, err1 := time.Parse(time.RFC3339Nano, m[1])
	to, err2 := time.Parse(time.RFC3339Nano, m[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("switch times: %v %v", err1, err2)
	}
	return from, to
}

// legacyState is what a rollback must give back: both families' legacy
// tables without counters and comments, the ipsets' members, and each
// xt_recent list's addresses with their last_seen (jiffies).
func (l *migrateLab) legacySnapshot() (tables, ipsets string, lists map[string]map[string]uint64) {
	t := l.t
	t.Helper()
	for _, prog := range []string{"iptables-legacy-save", "ip6tables-legacy-save"} {
		out, stderr, err := l.fw.Run(prog)
		if err != nil {
			t.Fatalf("%s: %v: %s", prog, err, stderr)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			if strings.HasPrefix(line, ":") {
				line = line[:strings.LastIndex(line, " ")]
			}
			tables += line + "\n"
		}
	}
	out, _, err := l.fw.Run("ipset", "save")
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "add" {
			members = append(members, f[1]+" "+f[2])
		}
	}
	sort.Strings(members)
	ipsets = strings.Join(members, "\n")
	lists = l.procLists()
	return tables, ipsets, lists
}

// procLists reads every xt_recent list of fw: address -> last_seen.
func (l *migrateLab) procLists() map[string]map[string]uint64 {
	out, _, _ := l.fw.Run("sh", "-c", `for f in /proc/net/xt_recent/*; do [ -e "$f" ] && { echo "== ${f##*/}"; cat "$f"; }; done; true`)
	lists := map[string]map[string]uint64{}
	var cur map[string]uint64
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "== "); ok {
			cur = map[string]uint64{}
			lists[name] = cur
			continue
		}
		var addr string
		var ttl, last uint64
		if _, err := fmt.Sscanf(line, "src=%s ttl: %d last_seen: %d", &addr, &ttl, &last); err == nil && cur != nil {
			cur[addr] = last
		}
	}
	return lists
}

// nftTables lists fw's xt2nft tables ("" when there are none).
func (l *migrateLab) nftTables() string {
	out, _, _ := l.fw.NFT("", "list", "tables")
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " xt2nft") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func xtBinaryOrSkip(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/proc/net/xt_recent"); err != nil {
		t.Skip("the kernel has no xt_recent")
	}
	return xtBinary(t)
}
