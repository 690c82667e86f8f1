//go:build linux

package lab

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// Topology is what a lab is built from: the firewall's interfaces, each a
// veth pair whose other end sits alone in a peer namespace.
type Topology struct {
	Links []Link
	// MarkRoutes route packets by their mark (ip rule fwmark): a
	// multihomed host's policy routing, so that re-routing after a mark
	// change shows.
	MarkRoutes []MarkRoute
	// Conntrack makes conntrack run in the firewall namespace whatever the
	// rules use (a namespace runs it only once a rule needs it, and a
	// NOTRACK rule does not): a host whose rules untrack packets runs it,
	// and what untracking changes only shows where it does.
	Conntrack bool
}

// MarkRoute sends packets whose mark & Mask is Mark out of Link (through
// its peer), from a routing table of their own.
type MarkRoute struct {
	Mark, Mask uint32
	Link       string
}

// Link is one interface of the firewall and the peer behind it.
type Link struct {
	// Name is the interface's name in the firewall namespace (eth0, ppp0,
	// wg0: what the rules name). The peer's end has the same name.
	Name string
	// Addrs are the firewall's addresses on it, PeerAddrs the peer's (IPv4
	// and IPv6, with their prefix lengths).
	Addrs, PeerAddrs []netip.Prefix
	// Routes are destinations the firewall routes through the peer (its
	// first address of the family): 0.0.0.0/0 makes the link the uplink.
	Routes []netip.Prefix
	// Group is the firewall interface's device group (ip link set group).
	Group uint32
}

// Lab is a firewall namespace with its peers, the observer and the sockets
// that send and capture probes. Build it with New (tests) or Build.
type Lab struct {
	// FW is the firewall namespace: load rules here (IPTablesRestore, NFT,
	// or anything run with FW.Command / FW.Do).
	FW    *NS
	topo  Topology
	peers map[string]*peer
	names map[uint32]string // firewall ifindex -> name
	log   *netlink.Conn
	ct    *netlink.Conn // ctnetlink, for conntrack dumps
	// Settle is how long Send waits after the last observation of a probe
	// before it returns (default 30 ms: a probe's whole path normally runs
	// in the softirq of the send itself; under load the kernel defers it
	// to ksoftirqd, and this covers that).
	Settle time.Duration

	send   sync.Mutex     // one probe at a time
	raw    map[rawKey]int // raw sockets for probes the firewall sends, by family and owner
	groups []int          // sockets holding multicast memberships (Join)
	lost   atomic.Int64   // NFLOG overflows seen
	busy   atomic.Int64   // readers between a read and its record
	nextID uint32
	preset string // preset chain contents now loaded ("" none)

	rec    sync.Mutex
	recs   []record
	notify chan struct{}
	done   sync.WaitGroup
}

type peer struct {
	link    Link
	ns      *NS
	sock    *os.File // AF_PACKET on the peer's end: sends probes, captures what arrives
	ifindex int
	fwMAC   net.HardwareAddr
	mac     net.HardwareAddr
}

// record is one observation in arrival order.
type record struct {
	at    time.Time
	ev    *Event
	frame *Frame
}

// Observer table: a log statement at the first priority of prerouting and
// output and at the last of input, forward and postrouting, in an inet
// table of its own (identical in every lab, legacy or nft). The rules use
// nothing else, so they do not make conntrack or defragmentation run in a
// namespace whose rules would not.
const (
	observerTable = "xt2nft_lab"
	logGroup      = 7
)

var observerScript = observer(false)

// observer is the observer table's script; with conntrack, a chain whose
// ct test makes conntrack run for both families (and matches nothing it
// changes: the rule has no statement).
func observer(conntrack bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "add table inet %[1]s\ndelete table inet %[1]s\ntable inet %[1]s {\n", observerTable)
	for _, c := range []struct{ name, hook, prio string }{
		{"pre", "prerouting", "-2147483648"}, {"out", "output", "-2147483648"},
		{"in", "input", "2147483647"}, {"fwd", "forward", "2147483647"}, {"post", "postrouting", "2147483647"},
	} {
		fmt.Fprintf(&b, "\tchain see_%s {\n\t\ttype filter hook %s priority %s; policy accept;\n\t\tlog prefix %q group %d\n\t}\n",
			c.name, c.hook, c.prio, c.name, logGroup)
	}
	if conntrack {
		b.WriteString("\tchain ct_on {\n\t\ttype filter hook prerouting priority -2147483648; policy accept;\n\t\tct state established\n\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// Skip skips t unless privileged tests can run (see nstest.Skip) with the
// tools labs use: nsenter, and the programs listed.
func Skip(t testing.TB, extra ...string) {
	t.Helper()
	nstest.Skip(t, append([]string{"nsenter"}, extra...)...)
}

// New builds a lab for a test and closes it when the test ends; it fails
// the test when the lab cannot be built. Call Skip first.
func New(t testing.TB, topo Topology) *Lab {
	t.Helper()
	l, err := Build(topo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// mac is the deterministic MAC address of link i's firewall end (side 1)
// or peer end (side 2).
func mac(i, side int) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0x78, 0x74, 0, byte(i), byte(side)}
}

// Build creates the namespaces, links, addresses, routes and observer of
// topo. Neighbours are static, so no ARP or neighbour discovery runs; the
// peers drop whatever their own stack would receive or send (they only
// inject and capture), so no reply from a peer blurs an observation.
func Build(topo Topology) (l *Lab, err error) {
	l = &Lab{topo: topo.clone(), peers: map[string]*peer{}, names: map[uint32]string{}, Settle: 30 * time.Millisecond, notify: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	if l.FW, err = newNS("firewall"); err != nil {
		return nil, err
	}
	// The firewall's own chatter would pass its rules and move their
	// counters at random moments: no IPv6 link-local addresses (so no
	// duplicate address detection), no router solicitations, and MLD and
	// IGMP reports of the groups it joins repeated never (the first goes
	// out before any rule is loaded). Set before the links exist, as
	// defaults.
	for _, kv := range [][2]string{
		{"ipv6/conf/all/forwarding", "1"}, {"ipv6/conf/default/forwarding", "1"},
		{"ipv6/conf/default/addr_gen_mode", "1"}, {"ipv6/conf/default/accept_dad", "0"},
		{"ipv6/conf/default/router_solicitations", "0"},
		{"ipv6/conf/default/mldv1_unsolicited_report_interval", "2147483647"},
		{"ipv6/conf/default/mldv2_unsolicited_report_interval", "2147483647"},
		// And IPv4's IGMP reports.
		{"ipv4/conf/default/igmpv2_unsolicited_report_interval", "2147483647"},
		{"ipv4/conf/default/igmpv3_unsolicited_report_interval", "2147483647"},
		{"ipv4/conf/all/igmpv2_unsolicited_report_interval", "2147483647"},
		{"ipv4/conf/all/igmpv3_unsolicited_report_interval", "2147483647"},
	} {
		if err := l.FW.Sysctl(kv[0], kv[1]); err != nil {
			return l, err
		}
	}
	var fwBatch strings.Builder
	fwBatch.WriteString("link set lo up\n")
	var files []*os.File
	for i, lk := range topo.Links {
		if lk.Name == "" || len(lk.Name) > 15 {
			return l, fmt.Errorf("lab: bad interface name %q", lk.Name)
		}
		if l.peers[lk.Name] != nil {
			return l, fmt.Errorf("lab: interface %s named twice", lk.Name)
		}
		p := &peer{link: lk, fwMAC: mac(i, 1), mac: mac(i, 2)}
		if p.ns, err = newNS("peer " + lk.Name); err != nil {
			return l, err
		}
		l.peers[lk.Name] = p
		files = append(files, p.ns.f)
		fmt.Fprintf(&fwBatch, "link add %s address %s type veth peer name %s address %s netns /proc/self/fd/%d\n",
			lk.Name, p.fwMAC, lk.Name, p.mac, 4+i)
		if lk.Group != 0 {
			fmt.Fprintf(&fwBatch, "link set %s group %d\n", lk.Name, lk.Group)
		}
		for _, a := range lk.Addrs {
			fmt.Fprintf(&fwBatch, "addr add %s dev %s%s\n", a, lk.Name, nodad(a))
		}
		fmt.Fprintf(&fwBatch, "link set %s up\n", lk.Name)
		for _, pa := range lk.PeerAddrs {
			fmt.Fprintf(&fwBatch, "neigh replace %s lladdr %s dev %s nud permanent\n", pa.Addr(), p.mac, lk.Name)
		}
	}
	// Routes after every link is up.
	for _, lk := range topo.Links {
		for _, r := range lk.Routes {
			via, ok := firstOfFamily(lk.PeerAddrs, r.Addr().Is4())
			if !ok {
				return l, fmt.Errorf("lab: route %s via %s: the peer has no address of that family", r, lk.Name)
			}
			fmt.Fprintf(&fwBatch, "route add %s via %s dev %s\n", r, via, lk.Name)
		}
	}
	var rules6 strings.Builder
	for i, mr := range topo.MarkRoutes {
		table := 100 + i
		for _, v4 := range []bool{true, false} {
			via, ok := firstOfFamily(l.peerAddrs(topo, mr.Link), v4)
			if !ok {
				continue
			}
			def, rules := "0.0.0.0/0", &fwBatch
			if !v4 {
				def, rules = "::/0", &rules6 // ip -batch takes no -6 per line: a batch of their own
			}
			fmt.Fprintf(rules, "rule add fwmark %#x/%#x table %d pref %d\n", mr.Mark, mr.Mask, table, 1000+i)
			fmt.Fprintf(&fwBatch, "route add %s via %s dev %s table %d\n", def, via, mr.Link, table)
		}
	}
	cmd := l.FW.Command("ip", "-batch", "-")
	cmd.ExtraFiles = append(cmd.ExtraFiles, files...)
	if _, err := l.FW.run(cmd, fwBatch.String()); err != nil {
		return l, batchError(err, fwBatch.String())
	}
	if rules6.Len() > 0 {
		if _, err := l.FW.Run(rules6.String(), "ip", "-6", "-batch", "-"); err != nil {
			return l, batchError(err, rules6.String())
		}
	}
	for _, kv := range [][2]string{
		{"ipv4/ip_forward", "1"}, {"ipv6/conf/all/forwarding", "1"},
		{"ipv4/conf/all/rp_filter", "0"}, {"ipv4/conf/default/rp_filter", "0"},
		// ICMP errors (port unreachable, REJECT's) are part of a probe's
		// fate: no rate limit may make them come and go.
		{"ipv4/icmp_ratelimit", "0"}, {"ipv4/icmp_msgs_per_sec", "1000000"}, {"ipv4/icmp_msgs_burst", "1000000"},
		{"ipv6/icmp/ratelimit", "0"},
	} {
		if err := l.FW.Sysctl(kv[0], kv[1]); err != nil {
			return l, err
		}
	}
	for _, lk := range topo.Links {
		p := l.peers[lk.Name]
		// The peer only injects and captures frames (AF_PACKET): its end
		// needs to be up, and its own stack silent; no addresses.
		if err := peerUp(p.ns, lk.Name); err != nil {
			return l, err
		}
		if err := l.openPeer(p); err != nil {
			return l, err
		}
		ifi, err := ifindex(l.FW, lk.Name)
		if err != nil {
			return l, err
		}
		l.names[uint32(ifi)] = lk.Name
	}
	l.names[1] = "lo"                 // the loopback device is always ifindex 1
	if err := l.NFT(""); err != nil { // the observer table
		return l, err
	}
	if l.log, err = nflogOpen(l.FW.Fd(), logGroup); err != nil {
		return l, err
	}
	if l.ct, err = netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: l.FW.Fd()}); err != nil {
		return l, fmt.Errorf("lab: ctnetlink socket: %w", err)
	}
	l.done.Add(1)
	go l.readLog()
	return l, nil
}

func firstOfFamily(ps []netip.Prefix, v4 bool) (netip.Addr, bool) {
	for _, p := range ps {
		if p.Addr().Is4() == v4 {
			return p.Addr(), true
		}
	}
	return netip.Addr{}, false
}

func ifindex(ns *NS, name string) (int, error) {
	var idx int
	err := ns.Do(func() (err error) {
		idx, err = netInterfaceIndex(name)
		return err
	})
	return idx, err
}

// Close removes the lab: sockets closed, namespaces released (they vanish
// with the last descriptor).
func (l *Lab) Close() error {
	var errs []error
	if l.log != nil {
		errs = append(errs, l.log.Close())
	}
	if l.ct != nil {
		errs = append(errs, l.ct.Close())
	}
	for _, fd := range l.raw {
		unix.Close(fd)
	}
	for _, fd := range l.groups {
		unix.Close(fd)
	}
	for _, p := range l.peers {
		if p.sock != nil {
			errs = append(errs, p.sock.Close())
		}
	}
	l.done.Wait()
	for _, p := range l.peers {
		if p.ns != nil {
			errs = append(errs, p.ns.close())
		}
	}
	if l.FW != nil {
		errs = append(errs, l.FW.close())
	}
	return errors.Join(errs...)
}

// NFT loads an nft script into the firewall namespace, with the observer
// table recreated in the same transaction (so a script that flushes the
// ruleset keeps the lab observing).
func (l *Lab) NFT(script string) error {
	obs := observerScript
	if l.topo.Conntrack {
		obs = observer(true)
	}
	_, err := l.FW.Run(script+"\n"+obs, "nft", "-f", "-")
	return err
}

// IPTablesRestore loads an iptables-save dump with iptables-legacy-restore
// (ip6tables-legacy-restore when v6).
func (l *Lab) IPTablesRestore(v6 bool, dump string) error {
	prog := "iptables-legacy-restore"
	if v6 {
		prog = "ip6tables-legacy-restore"
	}
	_, err := l.FW.Run(dump, prog)
	return err
}

// Counters are per-rule packet counters: "TABLE CHAIN" (iptables) or
// "FAMILY TABLE CHAIN" (nft) to the packets of each rule in order (-1 for
// an nft rule without a counter). The observer's chains are left out.
type Counters map[string][]int64

var reSaveRule = regexp.MustCompile(`^\[(\d+):\d+\] -A (\S+)`)

// IPTablesCounters reads iptables-legacy-save -c (ip6tables when v6).
func (l *Lab) IPTablesCounters(v6 bool) (Counters, error) {
	prog := "iptables-legacy-save"
	if v6 {
		prog = "ip6tables-legacy-save"
	}
	out, err := l.FW.Run("", prog, "-c")
	if err != nil {
		return nil, err
	}
	c := Counters{}
	table := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "*") {
			table = line[1:]
		}
		if m := reSaveRule.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			k := table + " " + m[2]
			c[k] = append(c[k], n)
		}
	}
	return c, nil
}

// NFTCounters reads the rules' counters over netlink (no nft process: a
// probe's counters are read twice, and an exec costs more than the probe),
// or from nft list ruleset where google/nftables cannot decode a rule
// (ct direction, for one).
func (l *Lab) NFTCounters() (Counters, error) {
	c, err := l.nftCountersNetlink()
	if err != nil {
		return l.nftCountersText()
	}
	return c, nil
}

var reNFTPacket = regexp.MustCompile(`counter packets (\d+) bytes`)

// nftCountersText parses nft list ruleset.
func (l *Lab) nftCountersText() (Counters, error) {
	out, err := l.FW.Run("", "nft", "list", "ruleset")
	if err != nil {
		return nil, err
	}
	c := Counters{}
	var table, chain string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "table "):
			f := strings.Fields(line)
			table, chain = f[1]+" "+f[2], ""
		case strings.HasPrefix(line, "\tchain "):
			chain = table + " " + strings.Fields(line)[1]
			if strings.Contains(table, " "+observerTable) {
				chain = ""
			}
		case line == "\t}":
			chain = ""
		case chain != "" && strings.HasPrefix(line, "\t\t") && !strings.HasPrefix(line, "\t\t\t"):
			r := strings.TrimSpace(line)
			if strings.HasPrefix(r, "type ") && strings.Contains(r, " hook ") || strings.HasPrefix(r, "comment \"") {
				continue
			}
			n := int64(-1)
			if m := reNFTPacket.FindStringSubmatch(r); m != nil {
				n, _ = strconv.ParseInt(m[1], 10, 64)
			}
			c[chain] = append(c[chain], n)
		}
	}
	return c, sc.Err()
}

func (l *Lab) nftCountersNetlink() (Counters, error) {
	conn, err := nftables.New(nftables.WithNetNSFd(l.FW.Fd()))
	if err != nil {
		return nil, err
	}
	defer conn.CloseLasting()
	chains, err := conn.ListChains()
	if err != nil {
		return nil, fmt.Errorf("lab: listing chains: %w", err)
	}
	fams := map[nftables.TableFamily]string{nftables.TableFamilyIPv4: "ip", nftables.TableFamilyIPv6: "ip6",
		nftables.TableFamilyINet: "inet", nftables.TableFamilyARP: "arp", nftables.TableFamilyBridge: "bridge", nftables.TableFamilyNetdev: "netdev"}
	c := Counters{}
	for _, ch := range chains {
		if ch.Table.Name == observerTable || ch.Table.Name == "xt2nft_lab_preset" {
			continue
		}
		rules, err := conn.GetRules(ch.Table, ch)
		if err != nil {
			return nil, fmt.Errorf("lab: listing %s %s: %w", ch.Table.Name, ch.Name, err)
		}
		k := fams[ch.Table.Family] + " " + ch.Table.Name + " " + ch.Name
		c[k] = []int64{}
		for _, r := range rules {
			n := int64(-1)
			for _, e := range r.Exprs {
				if cnt, ok := e.(*expr.Counter); ok {
					n = int64(cnt.Packets)
					break
				}
			}
			c[k] = append(c[k], n)
		}
	}
	return c, nil
}

// Sub returns c - before, rule by rule (rules missing before count from 0).
func (c Counters) Sub(before Counters) Counters {
	d := Counters{}
	for k, v := range c {
		out := make([]int64, len(v))
		for i, n := range v {
			out[i] = n
			if b := before[k]; i < len(b) && n >= 0 && b[i] >= 0 {
				out[i] = n - b[i]
			}
		}
		d[k] = out
	}
	return d
}

// readLog collects NFLOG messages until the socket closes.
func (l *Lab) readLog() {
	defer l.done.Done()
	rc, err := l.log.SyscallConn()
	if err != nil {
		return
	}
	peek := make([]byte, 16)
	for {
		// busy from before the read until its messages are recorded (see
		// capture): wait until a message is queued, count, then read.
		if err := rc.Read(func(fd uintptr) bool {
			l.busy.Add(1)
			_, _, perr := unix.Recvfrom(int(fd), peek, unix.MSG_PEEK|unix.MSG_DONTWAIT)
			if perr == unix.EAGAIN {
				l.busy.Add(-1)
				return false
			}
			return true
		}); err != nil {
			return // closed
		}
		msgs, err := l.log.Receive()
		if err != nil {
			l.busy.Add(-1)
			if errors.Is(err, os.ErrClosed) || strings.Contains(err.Error(), "closed") {
				return
			}
			var oe *netlink.OpError
			if errors.As(err, &oe) && errors.Is(oe.Err, unix.ENOBUFS) {
				l.lost.Add(1) // messages lost: Send reports it
				continue
			}
			return
		}
		for _, m := range msgs {
			lm, err := parseLog(m)
			if err != nil {
				continue
			}
			ev := &Event{Point: lm.prefix, In: l.names[lm.in], Out: l.names[lm.out], Mark: lm.mark, Packet: lm.payload}
			if lm.in != 0 && ev.In == "" {
				ev.In = fmt.Sprintf("if%d", lm.in)
			}
			if lm.out != 0 && ev.Out == "" {
				ev.Out = fmt.Sprintf("if%d", lm.out)
			}
			l.add(record{ev: ev})
		}
		l.busy.Add(-1)
	}
}

// pending reports whether observations may still be on their way to the
// records: bytes queued on the log or a capture socket, or a reader that
// has read but not yet recorded. Under load the readers can lag behind
// the kernel by more than Settle; this closes that gap.
func (l *Lab) pending() bool {
	if l.busy.Load() != 0 {
		return true
	}
	inq := func(rc interface{ Control(func(uintptr)) error }) bool {
		n := 0
		rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		return n > 0
	}
	if rc, err := l.log.SyscallConn(); err == nil && inq(rc) {
		return true
	}
	for _, p := range l.peers {
		if rc, err := p.sock.SyscallConn(); err == nil && inq(rc) {
			return true
		}
	}
	return false
}

func (l *Lab) add(r record) {
	r.at = time.Now()
	l.rec.Lock()
	l.recs = append(l.recs, r)
	l.rec.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

var reBatchLine = regexp.MustCompile(`Command failed -:(\d+)`)

// batchError names the command of an ip -batch script that failed.
func batchError(err error, script string) error {
	m := reBatchLine.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	n, _ := strconv.Atoi(m[1])
	lines := strings.Split(script, "\n")
	if n < 1 || n > len(lines) {
		return err
	}
	return fmt.Errorf("%w (ip %s)", err, lines[n-1])
}

// nodad keeps an IPv6 address from duplicate address detection (which
// would hold it tentative); IPv4 has none, and ip warns about the flag.
func nodad(a netip.Prefix) string {
	if a.Addr().Is6() {
		return " nodad"
	}
	return ""
}

// Join makes the firewall a member of a multicast group on a link (a UDP
// socket kept open until Close), so that probes to the group are
// delivered to it.
func (l *Lab) Join(link string, group netip.Addr) error {
	ifi, err := ifindex(l.FW, link)
	if err != nil {
		return err
	}
	return l.FW.Do(func() error {
		fam := unix.AF_INET
		if group.Is6() {
			fam = unix.AF_INET6
		}
		fd, err := unix.Socket(fam, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if group.Is6() {
			err = unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, &unix.IPv6Mreq{Multiaddr: group.As16(), Interface: uint32(ifi)})
		} else {
			err = unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &unix.IPMreqn{Multiaddr: group.As4(), Ifindex: int32(ifi)})
		}
		if err != nil {
			unix.Close(fd)
			return fmt.Errorf("lab: joining %s on %s: %w", group, link, err)
		}
		l.groups = append(l.groups, fd)
		return nil
	})
}

// peerAddrs are the peer's addresses of the named link.
func (l *Lab) peerAddrs(topo Topology, name string) []netip.Prefix {
	for _, lk := range topo.Links {
		if lk.Name == name {
			return lk.PeerAddrs
		}
	}
	return nil
}

// peerUp sets a peer's end of its link up and installs the silence table
// (in this process: no commands per peer).
func peerUp(ns *NS, name string) error {
	var ifi int
	if err := ns.Do(func() (err error) {
		ifi, err = netInterfaceIndex(name)
		return err
	}); err != nil {
		return err
	}
	if err := linkUp(ns, ifi); err != nil {
		return fmt.Errorf("lab: setting %s up in %s: %w", name, ns.Name, err)
	}
	c, err := nftables.New(nftables.WithNetNSFd(ns.Fd()))
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: "silence"})
	drop := nftables.ChainPolicyDrop
	for _, h := range []struct {
		name string
		hook *nftables.ChainHook
	}{{"in", nftables.ChainHookInput}, {"out", nftables.ChainHookOutput}} {
		c.AddChain(&nftables.Chain{Name: h.name, Table: t, Type: nftables.ChainTypeFilter, Hooknum: h.hook,
			Priority: nftables.ChainPriorityFilter, Policy: &drop})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("lab: silencing %s: %w", ns.Name, err)
	}
	return nil
}

// linkUp sets interface ifi of namespace ns up (RTM_NEWLINK with IFF_UP).
func linkUp(ns *NS, ifi int) error {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: ns.Fd()})
	if err != nil {
		return err
	}
	defer c.Close()
	msg := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(msg[4:], uint32(ifi))  // ifi_index
	binary.NativeEndian.PutUint32(msg[8:], unix.IFF_UP)  // ifi_flags
	binary.NativeEndian.PutUint32(msg[12:], unix.IFF_UP) // ifi_change
	_, err = c.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_NEWLINK, Flags: netlink.Request | netlink.Acknowledge},
		Data:   msg,
	})
	return err
}

// Extend adds to the lab what t has beyond the topology it was built
// with: addresses and routes of its links (t names the same links).
func (l *Lab) Extend(t Topology) error {
	var b strings.Builder
	for _, lk := range t.Links {
		old, ok := l.link(lk.Name)
		if !ok {
			return fmt.Errorf("lab: Extend cannot add link %s", lk.Name)
		}
		for _, a := range lk.Addrs {
			if !containsPrefix(old.Addrs, a) {
				fmt.Fprintf(&b, "addr add %s dev %s%s\n", a, lk.Name, nodad(a))
			}
		}
		for _, r := range lk.Routes {
			if containsPrefix(old.Routes, r) {
				continue
			}
			via, ok := firstOfFamily(lk.PeerAddrs, r.Addr().Is4())
			if !ok {
				return fmt.Errorf("lab: route %s via %s: the peer has no address of that family", r, lk.Name)
			}
			fmt.Fprintf(&b, "route add %s via %s dev %s\n", r, via, lk.Name)
		}
	}
	if b.Len() > 0 {
		if _, err := l.FW.Run(b.String(), "ip", "-batch", "-"); err != nil {
			return batchError(err, b.String())
		}
	}
	for i, lk := range l.topo.Links {
		for _, n := range t.Links {
			if n.Name == lk.Name {
				l.topo.Links[i].Addrs, l.topo.Links[i].Routes = slices.Clone(n.Addrs), slices.Clone(n.Routes)
			}
		}
	}
	return nil
}

// clone is a copy of t that shares no slice with it: labs built from one
// topology each keep their own (an Extend of one must not make another
// believe it has the new routes already).
func (t Topology) clone() Topology {
	c := t
	c.Links, c.MarkRoutes = slices.Clone(t.Links), slices.Clone(t.MarkRoutes)
	for i, lk := range c.Links {
		c.Links[i].Addrs, c.Links[i].PeerAddrs, c.Links[i].Routes = slices.Clone(lk.Addrs), slices.Clone(lk.PeerAddrs), slices.Clone(lk.Routes)
	}
	return c
}

func (l *Lab) link(name string) (Link, bool) {
	for _, lk := range l.topo.Links {
		if lk.Name == name {
			return lk, true
		}
	}
	return Link{}, false
}

func containsPrefix(ps []netip.Prefix, p netip.Prefix) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}
