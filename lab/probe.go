//go:build linux

package lab

import (
	"encoding/binary"
	"errors"
	"math"

	"fmt"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Probe is one crafted packet and where it enters the firewall.
type Probe struct {
	// ID tags the packet (0: the lab numbers probes itself).
	ID uint32
	// In is the firewall interface the packet arrives on: the peer of that
	// link injects it as an Ethernet frame (PREROUTING, then INPUT or
	// FORWARD). Empty: the firewall sends it itself through a raw socket
	// (OUTPUT, POSTROUTING).
	In     string
	Packet Packet
	// Mark and CTMark preset the packet mark and the conntrack mark before
	// any rule sees the packet (nil: leave them as they are).
	Mark, CTMark *uint32
	// UID and GID, for a probe the firewall sends, are the owner of the
	// socket it is sent from (iptables' -m owner, nft's meta skuid and
	// skgid); nil: root.
	UID, GID *uint32
}

// U32 returns a pointer to v (for Probe.Mark and Probe.CTMark).
func U32(v uint32) *uint32 { return &v }

// Event is what one observer chain saw of a probe.
type Event struct {
	// Point is the observer chain: "pre" (first in prerouting), "out"
	// (first in output), "in" (last in input: delivered to the host),
	// "fwd" (last in forward), "post" (last in postrouting: leaving).
	Point   string
	In, Out string // interfaces (names of the firewall's links)
	Mark    uint32
	Packet  []byte // the IP packet as the chain saw it
}

// Frame is an IP packet a peer received from the firewall.
type Frame struct {
	Link   string // the firewall interface the peer sits behind
	Packet []byte
	// Tagged frames carry the probe's tag: the probe itself (forwarded,
	// NATed, mangled) or an ICMP error quoting it. Untagged ones arrived
	// while the probe was in flight (a TCP reset, say).
	Tagged bool
}

// Observation is everything the lab saw of one probe.
type Observation struct {
	ID     uint32
	Events []Event
	Frames []Frame
	// Stray are the observer's events of other packets while the probe
	// was in flight: packets the firewall sent on its own, answers to an
	// earlier probe that came late (their counts are the probe's too).
	Stray []Event
	// CT is the conntrack entry whose original or reply tuple is the
	// probe's (as sent) after the probe; nil when there is none.
	CT *CT
	// Refused is the error the kernel gave the firewall's send of the
	// probe ("invalid argument": no route for it after the OUTPUT rules),
	// "" when it took it.
	Refused string
}

// Seen reports whether the observer chain point saw the probe itself (not
// an ICMP error quoting it).
func (o Observation) Seen(point string) bool {
	for _, e := range o.Events {
		if e.Point == point && !quoting(e.Packet) {
			return true
		}
	}
	return false
}

// Last returns the last event of the probe itself at point (ok false when
// there is none).
func (o Observation) Last(point string) (Event, bool) {
	for i := len(o.Events) - 1; i >= 0; i-- {
		if e := o.Events[i]; e.Point == point && !quoting(e.Packet) {
			return e, true
		}
	}
	return Event{}, false
}

func quoting(b []byte) bool {
	h, err := Parse(b)
	return err == nil && h.Quoted
}

// Fate summarises an observation in one line, for comparing the same
// probe in two labs: where it went (delivered to the host, forwarded or
// sent out of which interfaces, dropped), the mark, the headers as the
// last observer chain saw them, the ct mark, what left the firewall
// (headers after NAT and mangling) and any reply (ICMP error, TCP reset).
func (o Observation) Fate() string {
	var parts []string
	last := Event{}
	have := false
	for _, e := range o.Events {
		if !quoting(e.Packet) {
			last, have = e, true
		}
	}
	switch {
	case o.Seen("in"):
		parts = append(parts, "delivered")
	case o.Seen("fwd"):
		parts = append(parts, "forwarded")
	case o.Seen("out") && o.Seen("post"):
		parts = append(parts, "sent")
	case have:
		parts = append(parts, "dropped after "+last.Point)
	default:
		parts = append(parts, "not seen")
	}
	if have {
		h, _ := Parse(last.Packet)
		parts = append(parts, fmt.Sprintf("mark %#x", last.Mark), "as "+h.String())
	}
	if o.CT != nil {
		parts = append(parts, fmt.Sprintf("ctmark %#x", o.CT.Mark))
	}
	if o.Refused != "" {
		parts = append(parts, "send refused: "+o.Refused)
	}
	for _, f := range o.Frames {
		h, err := Parse(f.Packet)
		what := "leaves"
		if !f.Tagged || h.Quoted {
			what = "reply"
		}
		if err != nil {
			parts = append(parts, fmt.Sprintf("%s %s: %v", what, f.Link, err))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", what, f.Link, h))
	}
	return strings.Join(parts, "; ")
}

// String lists every event and frame.
func (o Observation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "probe %d:", o.ID)
	for _, e := range o.Events {
		h, _ := Parse(e.Packet)
		fmt.Fprintf(&b, "\n  %-4s in=%s out=%s mark=%#x %s", e.Point, e.In, e.Out, e.Mark, h)
	}
	if o.CT != nil {
		fmt.Fprintf(&b, "\n  ct mark=%#x status=%#x timeout=%ds orig=%v reply=%v", o.CT.Mark, o.CT.Status, o.CT.Timeout, o.CT.Orig, o.CT.Reply)
	}
	for _, f := range o.Frames {
		h, _ := Parse(f.Packet)
		fmt.Fprintf(&b, "\n  frame %s tagged=%v %s", f.Link, f.Tagged, h)
	}
	return b.String()
}

// Send sends one probe and returns what the lab observed of it. Probes are
// sent one at a time per lab (Send serialises them); use several labs for
// parallelism.
func (l *Lab) Send(p Probe) (Observation, error) {
	l.send.Lock()
	defer l.send.Unlock()
	if p.ID == 0 {
		l.nextID++
		p.ID = l.nextID
	}
	pkt, err := p.Packet.Encode(p.ID)
	if err != nil {
		return Observation{}, err
	}
	if err := l.setPreset(p); err != nil {
		return Observation{}, err
	}
	l.rec.Lock()
	start := len(l.recs)
	l.rec.Unlock()
	select { // drop a stale wake-up
	case <-l.notify:
	default:
	}
	if p.In != "" {
		err = l.inject(p.In, pkt)
	} else {
		err = l.sendLocal(p, pkt)
	}
	var why refused
	if errors.As(err, &why) {
		err = nil
	}
	if err != nil {
		return Observation{}, err
	}
	lost := l.lost.Load()
	o := l.collect(p.ID, start)
	if why.errno != 0 {
		o.Refused = why.Error()
	}
	if l.lost.Load() != lost {
		return o, fmt.Errorf("lab: probe %d: the observer's log overflowed (messages lost)", p.ID)
	}
	if o.CT, err = l.conntrack(pkt); err != nil {
		return o, err
	}
	return o, nil
}

// conntrack returns the entry one of whose tuples is pkt's: looked up by
// its tuple where the packet has one conntrack knows (TCP, UDP, SCTP,
// DCCP, UDP-Lite, ICMP and ICMPv6 queries), else found in a dump.
func (l *Lab) conntrack(pkt []byte) (*CT, error) {
	h, err := Parse(pkt)
	if err != nil {
		return nil, err
	}
	if t, ok := lookupTuple(pkt, h); ok {
		return ctGet(l.ct, t)
	}
	// An ICMP error belongs to the entry of the packet it quotes: asked
	// for by that packet's tuple (a search of the dump by addresses alone
	// would take whichever entry between the two hosts it met first, one
	// another probe left, say).
	if q, ok := quotedPacket(pkt, h); ok {
		if qh, err := Parse(q); err == nil {
			if t, ok := lookupTuple(q, qh); ok {
				return ctGet(l.ct, t)
			}
		}
	}
	cts, err := ctDump(l.ct)
	if err != nil {
		return nil, err
	}
	for i, ct := range cts {
		for _, t := range []Tuple{ct.Orig, ct.Reply} {
			if t.Src == h.Src && t.Dst == h.Dst && t.Proto == h.Proto && (t.Sport == h.Sport && t.Dport == h.Dport || h.Proto != 6 && h.Proto != 17 && h.Proto != 132 && h.Proto != 33) {
				return &cts[i], nil
			}
		}
	}
	return nil, nil
}

// quotedPacket is the packet an ICMP error quotes (IPv4, or ICMPv6
// right after the IPv6 header).
func quotedPacket(pkt []byte, h Header) ([]byte, bool) {
	if !h.Quoted || h.Proto != 1 && h.Proto != 58 {
		return nil, false
	}
	off := 40
	if !h.V6 {
		off = int(pkt[0]&15) * 4
	} else if pkt[6] != 58 {
		return nil, false
	}
	if len(pkt) < off+8+20 {
		return nil, false
	}
	return pkt[off+8:], true
}

// lookupTuple is the conntrack tuple of a packet, when it has one the
// kernel can be asked about directly (no ICMP errors: they belong to the
// entry they quote).
func lookupTuple(pkt []byte, h Header) (ctLookup, bool) {
	t := ctLookup{v6: h.V6, src: h.Src.AsSlice(), dst: h.Dst.AsSlice(), proto: h.Proto, sport: h.Sport, dport: h.Dport}
	switch h.Proto {
	case 6, 17, 33, 132, 136:
		return t, true
	case 1, 58:
		if h.Quoted {
			return t, false
		}
		off := 40
		if !h.V6 {
			off = int(pkt[0]&15) * 4
		} else if pkt[6] != 58 {
			return t, false // extension headers before ICMPv6: use the dump
		}
		if len(pkt) < off+8 {
			return t, false
		}
		t.icmpType, t.icmpCo, t.icmpID = pkt[off], pkt[off+1], binary.BigEndian.Uint16(pkt[off+4:])
		return t, true
	}
	return t, false
}

// collect waits for the probe's observations: until something tagged with
// id arrived and then nothing for Settle, or a second without any (a packet
// the stack drops before the first hook, such as a bad IPv4 header).
func (l *Lab) collect(id uint32, start int) Observation {
	first := time.NewTimer(time.Second)
	defer first.Stop()
	seen := false
	for !seen {
		l.rec.Lock()
		for _, r := range l.recs[start:] {
			// A probe's first log message (pre or out) comes before
			// anything else of it; a frame may be read before it.
			if r.ev != nil {
				if t, ok := TagOf(r.ev.Packet); ok && t == id {
					seen = true
				}
			}
		}
		l.rec.Unlock()
		if seen {
			break
		}
		select {
		case <-l.notify:
		case <-first.C:
			return l.gather(id, start)
		}
	}
	for {
		l.rec.Lock()
		lastAt := l.recs[len(l.recs)-1].at
		l.rec.Unlock()
		wait := l.Settle - time.Since(lastAt)
		if wait <= 0 && l.pending() {
			wait = 2 * time.Millisecond
		}
		if wait <= 0 {
			break
		}
		select {
		case <-l.notify:
		case <-time.After(wait):
		}
	}
	// Under load the kernel finishes a packet's way in ksoftirqd, later
	// than any settle time: a packet that left by a link is waited for
	// at its peer, one that left by lo at its way back in.
	deadline := time.Now().Add(3 * time.Second)
	for !l.complete(id, start) && time.Now().Before(deadline) {
		select {
		case <-l.notify:
		case <-time.After(5 * time.Millisecond):
		}
	}
	return l.gather(id, start)
}

// complete reports whether every way out the probe took was seen to its
// end, and nothing of it is missing before: as many frames tagged with it
// at the peer of each link as postrouting events leaving by that link,
// and as many ways back in over lo as ways out (in whatever order the
// readers recorded them).
func (l *Lab) complete(id uint32, start int) bool {
	l.rec.Lock()
	defer l.rec.Unlock()
	need := map[string]int{} // frames expected per link minus frames seen; "lo": ways back in
	back := false
	for _, r := range l.recs[start:] {
		switch {
		case r.ev != nil:
			if t, ok := TagOf(r.ev.Packet); !ok || t != id {
				continue
			}
			if r.ev.Point == "post" && (l.peers[r.ev.Out] != nil || r.ev.Out == "lo") {
				need[r.ev.Out]++
			}
			if r.ev.Point == "pre" && r.ev.In == "lo" {
				need["lo"]--
				back = true
			}
		case r.frame != nil && r.frame.Tagged:
			if t, _ := TagOf(r.frame.Packet); t == id {
				need[r.frame.Link]--
			}
		}
	}
	// Equal both ways: a frame whose postrouting event is not recorded
	// yet means the log reader lags.
	for _, n := range need {
		if n != 0 {
			return false
		}
	}
	// A packet that came back in over lo goes on in a softirq of its own
	// (delivery, an answer): give it loSettle after the last record.
	if back && time.Since(l.recs[len(l.recs)-1].at) < loSettle {
		return false
	}
	return true
}

// loSettle is how long a probe that came back in over lo is waited for
// after its last observation.
const loSettle = 15 * time.Millisecond

func (l *Lab) gather(id uint32, start int) Observation {
	l.rec.Lock()
	defer l.rec.Unlock()
	o := Observation{ID: id}
	for _, r := range l.recs[start:] {
		if r.ev != nil {
			if t, ok := TagOf(r.ev.Packet); ok && t == id {
				o.Events = append(o.Events, *r.ev)
			} else {
				o.Stray = append(o.Stray, *r.ev)
			}
			continue
		}
		t, ok := TagOf(r.frame.Packet)
		if !ok || t == id {
			o.Frames = append(o.Frames, *r.frame)
		}
	}
	// Records are kept only while a probe is in flight.
	l.recs = l.recs[:0]
	return o
}

// setPreset loads the preset chain for p's marks when it differs from the
// one loaded: the packet mark first thing in prerouting (output probes get
// it from SO_MARK), the ct mark right after conntrack has attached the
// entry (priority -180: after conntrack at -200 and before mangle at -150).
func (l *Lab) setPreset(p Probe) error {
	hook := "prerouting"
	if p.In == "" {
		hook = "output" // the firewall's own packets: after conntrack in output
	}
	var mark, ctmark *uint32
	if p.Mark != nil && p.In != "" {
		mark = p.Mark
	}
	ctmark = p.CTMark
	want := ""
	if mark != nil || ctmark != nil {
		want = fmt.Sprintf("%v %v %s", fmtU32(mark), fmtU32(ctmark), hook)
	}
	if want == l.preset {
		return nil
	}
	// Recreated whole, in one batch: a chain's hook cannot change in place.
	c, err := nftables.New(nftables.WithNetNSFd(l.FW.Fd()))
	if err != nil {
		return err
	}
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: "xt2nft_lab_preset"}
	c.AddTable(t)
	c.DelTable(t)
	if want != "" {
		c.AddTable(t)
		first := nftables.ChainPriority(math.MinInt32 + 1)
		ctPrio := nftables.ChainPriority(-180)
		hooks := map[string]*nftables.ChainHook{"prerouting": nftables.ChainHookPrerouting, "output": nftables.ChainHookOutput}
		setMark := c.AddChain(&nftables.Chain{Name: "set_mark", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookPrerouting, Priority: &first})
		setCT := c.AddChain(&nftables.Chain{Name: "set_ctmark", Table: t, Type: nftables.ChainTypeFilter, Hooknum: hooks[hook], Priority: &ctPrio})
		if mark != nil {
			c.AddRule(&nftables.Rule{Table: t, Chain: setMark, Exprs: []expr.Any{
				&expr.Immediate{Register: 1, Data: binary.NativeEndian.AppendUint32(nil, *mark)},
				&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1}}})
		}
		if ctmark != nil {
			c.AddRule(&nftables.Rule{Table: t, Chain: setCT, Exprs: []expr.Any{
				&expr.Immediate{Register: 1, Data: binary.NativeEndian.AppendUint32(nil, *ctmark)},
				&expr.Ct{Key: expr.CtKeyMARK, SourceRegister: true, Register: 1}}})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("lab: presetting marks: %w", err)
	}
	l.preset = want
	return nil
}

func fmtU32(v *uint32) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%#x", *v)
}

// inject sends pkt as an Ethernet frame from the peer behind link name to
// the firewall's interface.
func (l *Lab) inject(name string, pkt []byte) error {
	p := l.peers[name]
	if p == nil {
		return fmt.Errorf("lab: no link %q", name)
	}
	et := uint16(unix.ETH_P_IP)
	if pkt[0]>>4 == 6 {
		et = unix.ETH_P_IPV6
	}
	frame := make([]byte, 14, 14+len(pkt))
	copy(frame, p.fwMAC)
	copy(frame[6:], p.mac)
	frame[12], frame[13] = byte(et>>8), byte(et)
	frame = append(frame, pkt...)
	rc, err := p.sock.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), frame, 0, &unix.SockaddrLinklayer{Ifindex: p.ifindex, Protocol: htons(et), Halen: 6, Addr: [8]byte(append(append([]byte(nil), p.fwMAC...), 0, 0))})
		return serr != unix.EAGAIN
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("lab: injecting on %s: %w", name, serr)
	}
	return nil
}

// sendLocal sends pkt from the firewall itself through a raw socket
// (IPPROTO_RAW: the header is ours), with p.Mark as SO_MARK (0 without
// one). The sockets are opened in the firewall namespace once and kept.
func (l *Lab) sendLocal(p Probe, pkt []byte) error {
	h, err := Parse(pkt)
	if err != nil {
		return err
	}
	var uid, gid uint32
	if p.UID != nil {
		uid = *p.UID
	}
	if p.GID != nil {
		gid = *p.GID
	}
	fd, err := l.rawSocket(h.V6, uid, gid)
	if err != nil {
		return err
	}
	mark := 0
	if p.Mark != nil {
		mark = int(*p.Mark)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, mark); err != nil {
		return err
	}
	var to unix.Sockaddr
	if h.V6 {
		to = &unix.SockaddrInet6{Addr: h.Dst.As16()}
	} else {
		to = &unix.SockaddrInet4{Addr: h.Dst.As4()}
	}
	// EPERM: an OUTPUT rule dropped it (the observation shows where).
	switch err := unix.Sendto(fd, pkt, 0, to); err {
	case nil, unix.EPERM:
	case unix.EINVAL, unix.ENETUNREACH, unix.EHOSTUNREACH, unix.EMSGSIZE:
		// The kernel's answer for this packet: a route after the OUTPUT
		// rules changed it fails (a DNAT of a loopback source to another
		// host: EINVAL), or there is none.
		return refused{err.(unix.Errno)}
	default:
		return fmt.Errorf("lab: sending %s from the firewall: %w", h, err)
	}
	return nil
}

// refused is the kernel's refusal of a packet the firewall sends: part of
// the probe's fate (Observation.Refused), not a failure of the lab.
type refused struct{ errno unix.Errno }

func (r refused) Error() string { return r.errno.Error() }

// rawSocket is the firewall's raw socket of a family and owner, opened on
// first use. A socket belongs to whoever had the file system uid and gid
// that created it (sk_uid and the file's credentials): the thread that
// opens it takes the owner's (setfsuid, setfsgid), keeping root's
// capabilities, and is discarded after (NS.Do).
func (l *Lab) rawSocket(v6 bool, uid, gid uint32) (int, error) {
	key := rawKey{v6, uid, gid}
	if fd, ok := l.raw[key]; ok {
		return fd, nil
	}
	fam := unix.AF_INET
	if v6 {
		fam = unix.AF_INET6
	}
	var fd int
	err := l.FW.Do(func() error {
		if gid != 0 {
			unix.Setfsgid(int(gid))
		}
		if uid != 0 {
			unix.Setfsuid(int(uid))
		}
		var err error
		fd, err = unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		if err != nil {
			return fmt.Errorf("lab: raw socket: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if l.raw == nil {
		l.raw = map[rawKey]int{}
	}
	l.raw[key] = fd
	return fd, nil
}

// rawKey names a raw socket: family and owner.
type rawKey struct {
	v6       bool
	uid, gid uint32
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openPeer opens the peer's AF_PACKET socket and starts capturing.
func (l *Lab) openPeer(p *peer) error {
	return p.ns.Do(func() error {
		ifi, err := netInterfaceIndex(p.link.Name)
		if err != nil {
			return err
		}
		p.ifindex = ifi
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("lab: packet socket: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi}); err != nil {
			unix.Close(fd)
			return fmt.Errorf("lab: binding the packet socket to %s: %w", p.link.Name, err)
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
		p.sock = os.NewFile(uintptr(fd), "packet "+p.link.Name)
		l.done.Add(1)
		go l.capture(p)
		return nil
	})
}

func netInterfaceIndex(name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("lab: interface %s: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}

// capture records the IP frames the peer receives (not the ones it sends).
func (l *Lab) capture(p *peer) {
	defer l.done.Done()
	rc, err := p.sock.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 65536)
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			// busy from before the read until the frame is recorded: at
			// every moment a frame is queued on the socket or counted here.
			l.busy.Add(1)
			n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
			if rerr == unix.EAGAIN {
				l.busy.Add(-1)
				return false
			}
			return true
		}); err != nil {
			return // closed
		}
		l.capture1(p, n, from, rerr, buf)
		l.busy.Add(-1)
	}
}

// capture1 records one frame read by capture.
func (l *Lab) capture1(p *peer, n int, from unix.Sockaddr, rerr error, buf []byte) {
	{
		if rerr != nil {
			return
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok || ll.Pkttype == unix.PACKET_OUTGOING || n < 14+20 {
			return
		}
		if buf[0]&1 != 0 { // multicast or broadcast: not for the probe
			return
		}
		et := uint16(buf[12])<<8 | uint16(buf[13])
		if et != unix.ETH_P_IP && et != unix.ETH_P_IPV6 {
			return
		}
		pkt := append([]byte(nil), ipLen(buf[14:n])...)
		_, tagged := TagOf(pkt)
		l.add(record{frame: &Frame{Link: p.link.Name, Packet: pkt, Tagged: tagged}})
	}
}

// ipLen cuts b to the IP packet's own length (a frame may be padded).
func ipLen(b []byte) []byte {
	n := len(b)
	switch b[0] >> 4 {
	case 4:
		n = int(b[2])<<8 | int(b[3])
	case 6:
		n = 40 + (int(b[4])<<8 | int(b[5]))
	}
	if n < len(b) {
		return b[:n]
	}
	return b
}

// Addr parses an address; it panics on a bad one (for literals in tests).
func Addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// Prefix parses a prefix; it panics on a bad one (for literals in tests).
func Prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// Forget deletes the conntrack entry of a probe's flow (as Send would
// send it), so that the same packet can be sent again as the first of
// its flow. Nothing else of the probe's traces (recent lists, limits,
// counters) is undone.
func (l *Lab) Forget(p Probe) error {
	l.send.Lock()
	defer l.send.Unlock()
	pkt, err := p.Packet.Encode(1)
	if err != nil {
		return err
	}
	h, err := Parse(pkt)
	if err != nil {
		return err
	}
	if t, ok := lookupTuple(pkt, h); ok {
		return ctDelete(l.ct, t)
	}
	return nil
}
