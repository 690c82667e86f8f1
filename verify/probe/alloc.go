package probe

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/xt2nft/xt2nft/translate/desc"
)

// Alloc gives probes the addresses and ports no condition chose, and
// records what the lab must provide for the ones conditions chose: a
// destination a probe delivers to is one of the firewall's addresses, one
// it forwards to is routed out of the probe's output interface, and no
// address plays two parts. Every probe gets a flow of its own (a source
// port, an ICMP id or a source address no other probe uses), so that
// conntrack entries and recent lists of one probe never touch another.
type Alloc struct {
	links map[string]*LinkAddrs
	order []string
	roles map[netip.Addr]role
	port  uint16
	// local hands out fresh addresses of the firewall's own (a recent
	// list keyed by destination needs one no other probe shares).
	local [2]*pool
	// Locals are addresses to add to the firewall (beyond its links'),
	// Routes host routes through a link's peer.
	Locals []netip.Addr
	Routes map[string][]netip.Prefix
	routed map[netip.Addr]bool
	// Groups are the multicast groups the firewall joins, per link.
	Groups map[string][]netip.Addr
}

// LinkAddrs are the addresses of one link: the firewall's and the peer's
// (IPv4 and IPv6), and the remote prefixes routed through the peer.
type LinkAddrs struct {
	FW, Peer   [2]netip.Prefix
	Remote     [2]netip.Prefix
	nextRemote [2]Num
	Uplink     bool // the default routes point here
}

type roleKind uint8

const (
	roleLocal  roleKind = iota + 1 // one of the firewall's addresses
	roleRouted                     // routed through a link
	roleSource                     // a source of injected probes
)

type role struct {
	kind  roleKind
	iface string
}

// pool hands out addresses of a prefix in order.
type pool struct {
	p    netip.Prefix
	next Num
}

func (p *pool) take() (netip.Addr, error) {
	sp := PrefixSpan(p.p)
	if p.next.IsZero() {
		p.next = sp.Lo
	}
	for p.next.Cmp(sp.Hi) < 0 {
		a := p.next.Addr(p.p.Addr().BitLen())
		p.next, _ = p.next.Add1(128)
		if usableAddr(a) && a != p.p.Masked().Addr() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("address pool %s exhausted", p.p)
}

// NewAlloc lays out the lab's addresses, from prefixes no rule mentions
// (mentioned holds the spans of the addresses rules test, per family):
// every interface gets an IPv4 /24 and an IPv6 /64 for itself and its
// peer, and a large remote prefix routed through the peer, where the
// sources of probes arriving on it and the destinations of probes leaving
// by it come from. uplink is the interface the default routes use.
func NewAlloc(ifaces []string, uplink string, mentioned [2]Spans) (*Alloc, error) {
	a := &Alloc{links: map[string]*LinkAddrs{}, roles: map[netip.Addr]role{}, Routes: map[string][]netip.Prefix{}, port: 20000}
	if len(ifaces) > 60 {
		return nil, fmt.Errorf("too many interfaces (%d) for one lab", len(ifaces))
	}
	for _, name := range ifaces {
		if a.links[name] == nil {
			a.links[name] = &LinkAddrs{Uplink: name == uplink}
			a.order = append(a.order, name)
		}
	}
	for f, cands := range [2][]string{
		{"198.18.0.0/15", "172.30.0.0/15", "192.168.0.0/16", "100.64.0.0/10", "10.200.0.0/13", "44.0.0.0/8", "45.0.0.0/8"},
		{"2001:2::/48", "fd58:7874::/32", "2001:db8:7874::/48", "fc00:7874::/32", "fd00:7875::/32"},
	} {
		free := freeBlocks(cands, mentioned[f])
		if len(free) < 2 {
			return nil, fmt.Errorf("no address blocks for the lab are free of the ruleset's addresses")
		}
		linkBits := 24
		if f == 1 {
			linkBits = 64
		}
		remBits := free[1].Bits()
		for 1<<(remBits-free[1].Bits()) < len(a.order)+1 {
			remBits++
		}
		a.local[f] = &pool{p: subPrefix(free[0], linkBits, 200)}
		for i, name := range a.order {
			la := a.links[name]
			sub := subPrefix(free[0], linkBits, i+1)
			fw, _ := (&pool{p: sub}).take()
			peer := fw.Next()
			la.FW[f], la.Peer[f] = netip.PrefixFrom(fw, linkBits), netip.PrefixFrom(peer, linkBits)
			la.Remote[f] = subPrefix(free[1], remBits, i)
			a.roles[fw] = role{roleLocal, name}
			a.roles[peer] = role{roleRouted, name}
		}
	}
	return a, nil
}

// subPrefix is the i-th prefix of length bits inside b.
func subPrefix(b netip.Prefix, bits, i int) netip.Prefix {
	base := AddrNum(b.Masked().Addr())
	step := Num{Lo: uint64(i)}.Shl(uint(b.Addr().BitLen() - bits))
	lo, c := base.Lo+step.Lo, uint64(0)
	if lo < base.Lo {
		c = 1
	}
	n := Num{base.Hi + step.Hi + c, lo}
	return netip.PrefixFrom(n.Addr(b.Addr().BitLen()), bits)
}

// freeBlocks are the candidates that overlap no mentioned span.
func freeBlocks(cands []string, mentioned Spans) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range cands {
		p := netip.MustParsePrefix(c)
		sp := PrefixSpan(p)
		if len(mentioned.Intersect(Spans{sp})) == 0 {
			out = append(out, p)
		}
	}
	return out
}

// Link returns the addresses of an interface.
func (a *Alloc) Link(name string) *LinkAddrs { return a.links[name] }

// Ifaces are the interfaces in the order they were given.
func (a *Alloc) Ifaces() []string { return a.order }

func fam(v6 bool) int {
	if v6 {
		return 1
	}
	return 0
}

// Fits reports whether address x can be the source or destination of s
// without playing two parts in the lab.
func (a *Alloc) Fits(s *Spec, dst bool, x netip.Addr) bool {
	if !s.usable(x, dst) || x.Is6() != s.V6 {
		return false
	}
	if x.IsLoopback() || isBroadcast(x) || x.IsMulticast() {
		return true // the kernel's own: lo holds 127.0.0.0/8 and ::1; groups are joined per link
	}
	r, taken := a.roles[x]
	if !taken {
		if name, ok := a.behind(x); ok {
			r, taken = role{roleRouted, name}, true
		}
	}
	switch {
	case dst && (s.Path == PathIn || s.Path == PathLoop):
		return !taken || r.kind == roleLocal
	case dst:
		return !taken || r.kind == roleSource || r.kind == roleRouted && r.iface == s.Out
	case s.Path == PathIn || s.Path == PathFwd:
		return !taken || r.kind != roleLocal
	}
	return !taken || r.kind == roleLocal
}

// behind returns the link an address of the lab's own prefixes is routed
// through (its peer's subnet or its remote prefix).
func (a *Alloc) behind(x netip.Addr) (string, bool) {
	for _, name := range a.order {
		la := a.links[name]
		for f := 0; f < 2; f++ {
			if la.FW[f].Masked().Contains(x) || la.Remote[f].Contains(x) {
				return name, true
			}
		}
	}
	return "", false
}

// Finish gives s what no condition chose (source, destination, a flow of
// its own) and records the addresses and routes it needs. It fails when
// an address a condition chose conflicts with another probe's.
func (a *Alloc) Finish(s *Spec) error {
	f := fam(s.V6)
	for _, dst := range []bool{false, true} {
		x, set := s.Addr(dst)
		if !set {
			var err error
			if x, err = a.fresh(s, dst); err != nil {
				return err
			}
			s.SetAddr(dst, x)
		}
		if !a.Fits(s, dst, x) {
			return fmt.Errorf("address %s cannot be both a %s and what other probes need it for", x, map[bool]string{false: "source", true: "destination"}[dst])
		}
		a.claim(s, dst, x, f)
	}
	if dst, _ := s.Addr(true); s.Path == PathFwd || s.Path == PathOut {
		// The kernel routes by the destination: the probe leaves where
		// its address is routed (a destination a setter shares with a
		// check may lie behind another link than the default).
		if out := a.routeOf(dst); out != "" && (s.Path == PathOut || out != s.In) {
			s.Out = out
		}
	}
	a.uniqueFlow(s)
	return nil
}

// routeOf is the link an address is routed through ("" for a local one).
func (a *Alloc) routeOf(x netip.Addr) string {
	if r, ok := a.roles[x]; ok {
		switch r.kind {
		case roleLocal:
			return ""
		case roleRouted, roleSource:
			if r.iface != "" {
				return r.iface
			}
		}
	}
	if name, ok := a.behind(x); ok {
		return name
	}
	for _, name := range a.order {
		if a.links[name].Uplink {
			return name
		}
	}
	return ""
}

// fresh is an address for what no condition chose: a new address behind
// the input link for the source of an injected probe, the firewall's
// address on its link for a delivered one, a new address behind the
// output link for a forwarded one.
func (a *Alloc) fresh(s *Spec, dst bool) (netip.Addr, error) {
	f := fam(s.V6)
	name := s.In
	switch {
	case !dst && (s.Path == PathIn || s.Path == PathFwd):
	case !dst || s.Path == PathIn || s.Path == PathLoop:
		if !dst || s.Path == PathLoop {
			name = s.Out
		}
		la := a.links[name]
		if la == nil {
			la = a.links[a.order[0]]
		}
		return la.FW[f].Addr(), nil
	default:
		name = s.Out
	}
	la := a.links[name]
	if la == nil {
		return netip.Addr{}, fmt.Errorf("no interface %q", name)
	}
	return la.remote(f)
}

// remote is the next unused address behind the link.
func (la *LinkAddrs) remote(f int) (netip.Addr, error) {
	sp := PrefixSpan(la.Remote[f])
	if la.nextRemote[f].IsZero() {
		la.nextRemote[f] = sp.Lo
	}
	for la.nextRemote[f].Cmp(sp.Hi) < 0 {
		x := la.nextRemote[f].Addr(la.Remote[f].Addr().BitLen())
		la.nextRemote[f], _ = la.nextRemote[f].Add1(128)
		if usableAddr(x) && x.As16()[15] != 0 && x.As16()[15] != 255 {
			return x, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("the addresses behind a link are exhausted")
}

// claim records the part x plays for s.
func (a *Alloc) claim(s *Spec, dst bool, x netip.Addr, f int) {
	if x.IsMulticast() && !allHosts(x) {
		if a.Groups == nil {
			a.Groups = map[string][]netip.Addr{}
		}
		for _, g := range a.Groups[s.In] {
			if g == x {
				return
			}
		}
		a.Groups[s.In] = append(a.Groups[s.In], x)
		return
	}
	if x.IsLoopback() || isBroadcast(x) || x.IsMulticast() {
		return
	}
	r, taken := a.roles[x]
	switch {
	case dst && (s.Path == PathIn || s.Path == PathLoop):
		if !taken {
			a.roles[x] = role{roleLocal, ""}
			a.Locals = append(a.Locals, x)
		}
	case dst:
		if !taken || r.kind == roleSource {
			if !a.inRemote(x, s.Out) {
				a.route(s.Out, x)
			}
			a.roles[x] = role{roleRouted, s.Out}
		}
	case s.Path == PathIn || s.Path == PathFwd:
		// Replies to an injected probe go back through its link, unless
		// its source is routed elsewhere already.
		if !taken {
			a.roles[x] = role{roleSource, s.In}
			if !a.inRemote(x, s.In) {
				a.route(s.In, x)
			}
		}
	default:
		if !taken {
			a.roles[x] = role{roleLocal, ""}
			a.Locals = append(a.Locals, x)
		}
	}
}

// route adds a host route for x through a link, unless x has one.
func (a *Alloc) route(link string, x netip.Addr) {
	if a.routed == nil {
		a.routed = map[netip.Addr]bool{}
	}
	if a.routed[x] {
		return
	}
	a.routed[x] = true
	a.Routes[link] = append(a.Routes[link], netip.PrefixFrom(x, x.BitLen()))
}

func (a *Alloc) inRemote(x netip.Addr, iface string) bool {
	la := a.links[iface]
	return la != nil && (la.Remote[0].Contains(x) || la.Remote[1].Contains(x))
}

// uniqueFlow gives s a source port (or ICMP id) no other probe has, unless
// a condition chose it; then its source address is unique already (a
// fresh pool address) or the flow may be shared.
func (a *Alloc) uniqueFlow(s *Spec) {
	h := desc.HeaderOf(s.proto())
	var f *desc.Field
	switch {
	case h != nil && h.Sport != nil:
		f = h.Sport
	case s.proto() == 1 || s.proto() == 58:
		f = s.L3().ICMP.Field("id")
	default:
		return
	}
	if _, set := s.Vals[FieldKey(f)]; set {
		return
	}
	a.port++
	if a.port < 20000 {
		a.port = 20000
	}
	s.Set(FieldKey(f), N(uint64(a.port)))
}

// Peer returns the peer address of link name in family v6.
func (a *Alloc) Peer(name string, v6 bool) netip.Addr { return a.links[name].Peer[fam(v6)].Addr() }

// SortedLocals are the added local addresses in order.
func (a *Alloc) SortedLocals() []netip.Addr {
	out := append([]netip.Addr(nil), a.Locals...)
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

var (
	special4 = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("224.0.0.0/3"), netip.MustParsePrefix("169.254.0.0/16")}
	special6 = []netip.Prefix{netip.MustParsePrefix("::/127"), netip.MustParsePrefix("::ffff:0:0/96"),
		netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("ff00::/8")}
)

var limitedBroadcast = netip.MustParseAddr("255.255.255.255")

func isBroadcast(x netip.Addr) bool { return x == limitedBroadcast }

// usable reports whether the probe can carry x as its source or
// destination: any usable address, the loopback ones on its way over lo,
// the limited broadcast address as the destination of one a peer sends
// to the firewall.
func (s *Spec) usable(x netip.Addr, dst bool) bool {
	switch {
	case x.IsLoopback():
		// Over lo; or as the destination of a packet a peer sends, which
		// prerouting sees before routing drops it (a martian). Not lo's
		// network and broadcast addresses (the kernel refuses to send to a
		// broadcast address without SO_BROADCAST).
		return (s.Path == PathLoop || dst && s.Path == PathIn) && x != netip.MustParseAddr("127.255.255.255") && x != netip.MustParseAddr("127.0.0.0")
	case isBroadcast(x):
		return dst && s.Path == PathIn
	case x.IsMulticast():
		return dst && s.Path == PathIn && !x.IsInterfaceLocalMulticast()
	}
	return usableAddr(x)
}

// usableAddr reports whether a probe can carry x: not unspecified,
// loopback, multicast, link-local or broadcast, which the kernel routes
// apart from other addresses.
func usableAddr(x netip.Addr) bool {
	if !x.IsValid() {
		return false
	}
	sp := special4
	if x.Is6() {
		sp = special6
	}
	for _, p := range sp {
		if p.Contains(x) {
			return false
		}
	}
	return true
}

// FreshDst is a destination for s that no probe used: a new address of
// the firewall's for a delivered probe, a new one behind its output link
// for one that leaves.
func (a *Alloc) FreshDst(s *Spec) (netip.Addr, error) {
	if s.Path == PathIn || s.Path == PathLoop {
		x, err := a.local[fam(s.V6)].take()
		if err != nil {
			return x, err
		}
		a.roles[x] = role{roleLocal, ""}
		a.Locals = append(a.Locals, x)
		return x, nil
	}
	return a.fresh(s, true)
}

// allHosts reports whether x is a group every interface is a member of
// (224.0.0.1, ff02::1).
func allHosts(x netip.Addr) bool {
	return x == netip.MustParseAddr("224.0.0.1") || x == netip.MustParseAddr("ff02::1")
}
