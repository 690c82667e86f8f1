package probe

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Path is how a probe crosses the firewall.
type Path uint8

// Paths.
const (
	// PathIn: a peer sends it to one of the firewall's addresses
	// (PREROUTING, INPUT).
	PathIn Path = iota
	// PathFwd: a peer sends it through the firewall to another link
	// (PREROUTING, FORWARD, POSTROUTING).
	PathFwd
	// PathOut: the firewall sends it out of a link (OUTPUT, POSTROUTING).
	PathOut
	// PathLoop: the firewall sends it to itself over lo (OUTPUT,
	// POSTROUTING, then PREROUTING and INPUT with iif lo).
	PathLoop
)

func (p Path) String() string { return [...]string{"in", "forward", "out", "loop"}[p] }

// Hooks are the hooks a probe on path p passes, in order.
func (p Path) Hooks() []translate.Hook {
	switch p {
	case PathIn:
		return []translate.Hook{translate.HookPrerouting, translate.HookInput}
	case PathFwd:
		return []translate.Hook{translate.HookPrerouting, translate.HookForward, translate.HookPostrouting}
	case PathOut:
		return []translate.Hook{translate.HookOutput, translate.HookPostrouting}
	}
	return []translate.Hook{translate.HookOutput, translate.HookPostrouting, translate.HookPrerouting, translate.HookInput}
}

// State is the conntrack state a probe packet has when the rules see it;
// every state but New comes from a real exchange sent before the probe.
type State uint8

// Conntrack states of probes.
const (
	StNew      State = iota // the first packet of a flow
	StEstReply              // the reverse flow was opened first: the probe is its reply
	StEstOrig               // the probe's flow was opened and answered: the probe is its next packet
	StRelated               // an ICMP error about a flow the firewall passed
	StInvalid               // a packet conntrack refuses: a TCP RST without connection
)

func (s State) String() string {
	return [...]string{"NEW", "ESTABLISHED (reply)", "ESTABLISHED", "RELATED", "INVALID"}[s]
}

// ctBits are the ct state bits of each State.
var ctBits = [...]uint64{StNew: 8, StEstReply: 2, StEstOrig: 2, StRelated: 4, StInvalid: 1}

// Spec is a probe before it is a packet: its path, interfaces, conntrack
// state, protocol and the values it gives the keys rules test. Keys it
// does not set have the values Value derives (ttl 64, mark 0, ...).
type Spec struct {
	V6    bool
	Path  Path
	In    string // interface it arrives on (PathIn, PathFwd)
	Out   string // interface it leaves by (PathFwd, PathOut): the route to its destination
	State State
	Proto uint8 // transport protocol; 0 until a condition or the default decides
	Vals  map[Key]Num
}

// Clone copies s (its values too).
func (s *Spec) Clone() *Spec {
	c := *s
	c.Vals = make(map[Key]Num, len(s.Vals))
	for k, v := range s.Vals {
		c.Vals[k] = v
	}
	return &c
}

// Set gives key k the value v, with what it implies: a transport field
// sets the protocol, an extension header field the header's presence.
func (s *Spec) Set(k Key, v Num) {
	if s.Vals == nil {
		s.Vals = map[Key]Num{}
	}
	s.Vals[k] = v
	if k.Kind == KField {
		if p := k.Field.Proto; p.Kind == desc.Payload && p.Base == desc.TransportHeader && p.Implied {
			s.Proto = p.Number
		}
		if p := k.Field.Proto; p.Kind != desc.Payload {
			s.Vals[Presence(canonHdr(p))] = N(1)
			if p == desc.MH {
				s.Proto = p.Number
			}
			if p.Parent != nil && p.Parent.Implied {
				s.Proto = p.Parent.Number
			}
		}
	}
	if k.Kind == KExthdr && v.Lo == 1 {
		switch {
		case k.Hdr.Parent != nil:
			s.Proto = k.Hdr.Parent.Number
		case k.Hdr == desc.MH:
			s.Proto = k.Hdr.Number
		}
	}
	if (k == protoKey(false) || k == protoKey(true) || k.Kind == KMeta && k.Meta == desc.MetaL4proto) && v.Lo < 256 {
		s.Proto = uint8(v.Lo)
	}
	if k.Kind == KMeta && k.Meta == desc.MetaNfproto {
		s.V6 = v.Lo == desc.NFProtoIPv6
	}
}

// canonHdr is the header whose presence stands for p's: a type 0 routing
// header is a routing header.
func canonHdr(p *desc.Proto) *desc.Proto {
	if p == desc.RT0 {
		return desc.RT
	}
	return p
}

// Presence is the key of a header's presence (exthdr frag, tcp option maxseg).
func Presence(p *desc.Proto) Key { return Key{Kind: KExthdr, Hdr: p, Name: p.Presence()} }

// FieldKey is the key of a header field.
func FieldKey(f *desc.Field) Key { return Key{Kind: KField, Field: f, Name: f.String()} }

// MetaKey is the key of a meta expression.
func MetaKey(m *desc.MetaKey) Key { return Key{Kind: KMeta, Meta: m, Name: m.String()} }

// CTKey is the key of a conntrack expression (no direction).
func CTKey(c *desc.CTKey) Key { return Key{Kind: KCT, CT: c, Name: "ct " + c.Name} }

func protoKey(v6 bool) Key {
	if v6 {
		return FieldKey(desc.IP6Nexthdr)
	}
	return FieldKey(desc.IPProtocol)
}

// L3 is the spec's network header.
func (s *Spec) L3() *desc.L3 {
	if s.V6 {
		return desc.IPv6
	}
	return desc.IPv4
}

// Addr returns the spec's source or destination address, if set.
func (s *Spec) Addr(dst bool) (netip.Addr, bool) {
	f := s.L3().Saddr
	if dst {
		f = s.L3().Daddr
	}
	v, ok := s.Vals[FieldKey(f)]
	if !ok {
		return netip.Addr{}, false
	}
	return v.Addr(s.L3().AddrBits), true
}

// SetAddr sets the source or destination address.
func (s *Spec) SetAddr(dst bool, a netip.Addr) {
	f := s.L3().Saddr
	if dst {
		f = s.L3().Daddr
	}
	s.Set(FieldKey(f), AddrNum(a))
}

// Ctx is where a rule sees a probe: the hook (interfaces, ct entry and
// routing depend on it) and what the lab will give the probe.
type Ctx struct {
	Hook translate.Hook
}

// Value is the probe's value for key k at the hook of ctx.
func (s *Spec) Value(k Key, ctx Ctx) Value {
	switch k.Kind {
	case KField:
		return s.fieldValue(k.Field)
	case KExthdr:
		return Value{N: s.Vals[k], Present: true}
	case KMeta:
		return s.metaValue(k.Meta, ctx)
	case KCT:
		return s.ctValue(k, ctx)
	case KFib:
		return s.fibValue(k)
	case KRaw:
		return s.rawValue(k)
	}
	return Value{Unknown: true}
}

// rawPart is a field a raw load covers, at bit at of the load's base.
type rawPart struct {
	f  *desc.Field
	at uint32
}

// rawFields are the fields a raw load's bits overlap, each where it
// starts from the load's base; a load from the network header goes on
// into the transport header after an IPv4 header without options or an
// IPv6 header without extension headers (u32 reads ports so).
func (s *Spec) rawFields(k Key) (ps []rawPart, ok bool) {
	type hdr struct {
		p  *desc.Proto
		at uint32
	}
	var hs []hdr
	switch desc.Base(k.Raw[0]) {
	case desc.NetworkHeader:
		l3 := s.L3().Proto
		hs = append(hs, hdr{l3, 0})
		if h := desc.HeaderOf(s.proto()); h != nil && h.Kind == desc.Payload && s.plainL3() {
			hs = append(hs, hdr{h, headerBits(l3)})
		}
	case desc.TransportHeader:
		h := desc.HeaderOf(s.proto())
		if h == nil || h.Kind != desc.Payload {
			return nil, false
		}
		hs = append(hs, hdr{h, 0})
	default:
		return nil, false
	}
	off, end := k.Raw[1], k.Raw[1]+k.Raw[2]
	covered := uint32(0)
	for _, h := range hs {
		for _, f := range h.p.Fields {
			fo := h.at + f.Offset
			if fo+f.Len <= off || fo >= end || f.Len > 64 {
				continue
			}
			if n := len(ps); n > 0 && fo < ps[n-1].at+ps[n-1].f.Len {
				continue // a field overlapping another (icmp gateway and id)
			}
			ps = append(ps, rawPart{f, fo})
			covered += min(fo+f.Len, end) - max(fo, off)
		}
	}
	return ps, covered == k.Raw[2]
}

// headerBits is the length of header p without options: where its last
// field ends (IPv4 160, IPv6 320).
func headerBits(p *desc.Proto) uint32 {
	n := uint32(0)
	for _, f := range p.Fields {
		n = max(n, f.Offset+f.Len)
	}
	return n
}

// plainL3 reports whether the probe's network header has its plain
// length: no IPv4 options (header length 5), no IPv6 extension headers.
func (s *Spec) plainL3() bool {
	if s.V6 {
		for _, p := range desc.IPv6Exts {
			if s.has(p) {
				return false
			}
		}
		return true
	}
	v := s.fieldValue(desc.IP.Field("hdrlength"))
	return !v.Present || v.Unset || v.N.Lo == 5
}

// rawValue composes a raw load from the fields it covers.
func (s *Spec) rawValue(k Key) Value {
	ps, ok := s.rawFields(k)
	if !ok {
		return Value{Unknown: true}
	}
	off, end := k.Raw[1], k.Raw[1]+k.Raw[2]
	var v uint64
	for _, p := range ps {
		fv := s.fieldValue(p.f)
		if !fv.Present || fv.Unknown || fv.Unset {
			return fv
		}
		lo, hi := max(p.at, off), min(p.at+p.f.Len, end)
		bits := (fv.N.Lo >> (p.at + p.f.Len - hi)) & (1<<(hi-lo) - 1)
		v |= bits << (end - hi)
	}
	return Value{N: N(v), Present: true}
}

// setRaw gives the fields a raw load covers the bits of v.
func (s *Spec) setRaw(k Key, v uint64) bool {
	ps, ok := s.rawFields(k)
	if !ok {
		return false
	}
	off, end := k.Raw[1], k.Raw[1]+k.Raw[2]
	for _, p := range ps {
		fv := s.fieldValue(p.f)
		if fv.Unknown || !fv.Present {
			return false
		}
		lo, hi := max(p.at, off), min(p.at+p.f.Len, end)
		shift := p.at + p.f.Len - hi
		mask := uint64(1)<<(hi-lo) - 1
		bits := (v >> (end - hi)) & mask
		nv := fv.N.Lo&^(mask<<shift) | bits<<shift
		if nv != fv.N.Lo || fv.Unset {
			s.Set(FieldKey(p.f), N(nv))
		}
	}
	return true
}

// has reports whether the packet carries header p.
func (s *Spec) has(p *desc.Proto) bool {
	switch {
	case p == desc.IP:
		return !s.V6
	case p == desc.IP6:
		return s.V6
	case p == desc.Ether:
		return s.Path == PathIn || s.Path == PathFwd
	case p == desc.TH:
		return s.proto() == 6 || s.proto() == 17 || s.proto() == 136 || s.proto() == 132 || s.proto() == 33
	case p.Kind == desc.Payload && p.Base == desc.TransportHeader:
		if p == desc.ICMP && s.V6 || p == desc.ICMPv6 && !s.V6 {
			return false
		}
		return s.proto() == p.Number
	case p.Kind == desc.IPv6Ext:
		return s.V6 && s.Vals[Presence(canonHdr(p))].Lo == 1
	}
	return s.Vals[Presence(p)].Lo == 1 && (p.Parent == nil || s.proto() == p.Parent.Number)
}

func (s *Spec) proto() uint8 {
	if s.Proto == 0 {
		return DefaultProto
	}
	return s.Proto
}

// DefaultProto is the protocol of a probe no condition gives one: UDP
// (no handshake, and every firewall has rules about it).
const DefaultProto = 17

func (s *Spec) fieldValue(f *desc.Field) Value {
	if !s.has(f.Proto) {
		return Value{}
	}
	if v, ok := s.Vals[FieldKey(f)]; ok {
		return Value{N: v, Present: true}
	}
	if f.Proto == desc.Ether {
		return Value{Unknown: true, Present: true} // the lab's MAC addresses
	}
	switch v, kind := fieldDefault(s, f); kind {
	case known:
		return Value{N: N(v), Present: true}
	case unset:
		return Value{Unset: true, Present: true}
	}
	return Value{Unknown: true, Present: true}
}

// Kinds of field defaults.
const (
	known    = iota // the realizer's fixed value
	unset           // the allocator's to choose (addresses, source ports)
	computed        // lengths and checksums
)

// fieldDefault is the value the realizer gives a field nothing set.
func fieldDefault(s *Spec, f *desc.Field) (uint64, int) {
	switch f {
	case desc.IPProtocol, desc.IP6Nexthdr:
		if f == desc.IP6Nexthdr && len(s.exts()) > 0 {
			return uint64(s.exts()[0].Number), known
		}
		return uint64(s.proto()), known
	case desc.IPTTL, desc.IP6Hoplimit:
		return 64, known
	case desc.TCPFlags:
		return uint64(s.tcpFlags()), known
	}
	switch f.String() {
	case "ip version":
		return 4, known
	case "ip6 version":
		return 6, known
	case "ip hdrlength", "tcp doff":
		return 5, known
	case "ah hdrlength":
		return 1, known
	case "tcp window":
		return 65535, known
	case "tcp sequence":
		return 1000, known
	case "icmp type":
		if s.State == StRelated {
			return 3, known
		}
		return 8, known
	case "icmp code":
		if s.State == StRelated {
			return 3, known
		}
		return 0, known
	case "icmpv6 type":
		if s.State == StRelated {
			return 1, known
		}
		return 128, known
	case "icmpv6 code":
		if s.State == StRelated {
			return 4, known
		}
		return 0, known
	case "sctp vtag", "dccp type":
		return 0, known
	case "tcp sport", "udp sport", "udplite sport", "sctp sport", "dccp sport", "th sport", "icmp id", "icmpv6 id", "ip saddr", "ip6 saddr", "ip daddr", "ip6 daddr":
		return 0, unset
	case "tcp dport", "udp dport", "udplite dport", "sctp dport", "dccp dport", "th dport":
		return DefaultPort, known
	}
	switch {
	case f.Name == "hdrlength" && f.Proto.Kind == desc.IPv6Ext:
		return 0, known // the header's own length field: 8 bytes unless a condition sets it
	case strings.HasSuffix(f.Name, "length") || f.Name == "checksum" || f.Name == "csumcov":
		return 0, computed
	case f.Proto.Kind == desc.IPv6Ext && f.Name == "nexthdr":
		return 0, computed
	}
	return 0, known // every other field is zero in a crafted packet
}

// DefaultPort is the destination port of a probe no condition gives one.
const DefaultPort = 9

// tcpFlags are the flags a TCP probe has in its state unless a condition
// sets them.
func (s *Spec) tcpFlags() uint8 {
	switch s.State {
	case StEstReply:
		return 0x12 // SYN,ACK: the answer to the reverse SYN
	case StEstOrig:
		return 0x10 // ACK
	case StInvalid:
		return 0x04 // RST
	}
	return 0x02 // SYN
}

// exts are the IPv6 extension headers the probe carries, in the order
// the realizer puts them (RFC 8200's).
func (s *Spec) exts() []*desc.Proto {
	var out []*desc.Proto
	for _, p := range []*desc.Proto{desc.HBH, desc.Dst, desc.RT, desc.Frag, desc.ExtAH} {
		if s.V6 && s.Vals[Presence(p)].Lo == 1 {
			out = append(out, p)
		}
	}
	return out
}

// ifnames at a hook: no output interface before routing, no input
// interface on the firewall's own packets.
func (s *Spec) ifname(out bool, h translate.Hook) string {
	if out {
		if h == translate.HookPrerouting || h == translate.HookInput {
			return ""
		}
		if s.Path == PathLoop {
			return "lo"
		}
		if s.Path == PathIn {
			return ""
		}
		return s.Out
	}
	switch {
	case h == translate.HookOutput || (h == translate.HookPostrouting && (s.Path == PathOut || s.Path == PathLoop)):
		return ""
	case s.Path == PathLoop:
		return "lo"
	case s.Path == PathOut:
		return ""
	}
	return s.In
}

func (s *Spec) metaValue(m *desc.MetaKey, ctx Ctx) Value {
	if v, ok := s.Vals[MetaKey(m)]; ok {
		return Value{N: v, Present: true}
	}
	fam := uint64(desc.NFProtoIPv4)
	eth := uint64(0x0800)
	if s.V6 {
		fam, eth = desc.NFProtoIPv6, 0x86dd
	}
	local := s.Path == PathOut || s.Path == PathLoop
	switch m {
	case desc.MetaIifname:
		return Value{Str: s.ifname(false, ctx.Hook), Present: true}
	case desc.MetaOifname:
		return Value{Str: s.ifname(true, ctx.Hook), Present: true}
	case desc.MetaMark:
		return Value{Present: true}
	case desc.MetaL4proto:
		return Value{N: N(uint64(s.proto())), Present: true}
	case desc.MetaNfproto:
		return Value{N: N(fam), Present: true}
	case desc.MetaProtocol:
		return Value{N: N(eth), Present: true}
	case desc.MetaPkttype:
		return Value{Present: true} // unicast to the firewall's MAC
	case desc.MetaIiftype:
		if s.ifname(false, ctx.Hook) == "" {
			return Value{}
		}
		if s.Path == PathLoop {
			return Value{N: N(772), Present: true}
		}
		return Value{N: N(1), Present: true}
	case desc.MetaSkuid, desc.MetaSkgid:
		if !local {
			return Value{} // no socket
		}
		return Value{Present: true} // the lab's raw socket: root unless a condition chose its owner
	case desc.MetaSecpath:
		return Value{Present: true}
	case desc.MetaIifgroup, desc.MetaOifgroup:
		return Value{Present: true}
	}
	return Value{Unknown: true}
}

func (s *Spec) ctValue(k Key, ctx Ctx) Value {
	if s.State == StInvalid {
		return Value{}
	}
	c := k.CT
	if c == desc.CTState {
		if s.State == StNew && s.icmpError() {
			return Value{N: N(ctBits[StInvalid]), Present: true} // an ICMP error about no flow
		}
		return Value{N: N(ctBits[s.State]), Present: true}
	}
	if v, ok := s.Vals[Key{Kind: KCT, CT: c, Name: "ct " + c.Name}]; ok && k.Dir == desc.CTAnyDir {
		return Value{N: v, Present: true}
	}
	switch c {
	case desc.CTMark, desc.CTZone, desc.CTLabel:
		return Value{Present: true}
	case desc.CTDirection:
		switch s.State {
		case StEstReply:
			return Value{N: N(1), Present: true}
		case StRelated:
			return Value{Unknown: true}
		}
		return Value{Present: true}
	case desc.CTL3proto:
		if s.V6 {
			return Value{N: N(desc.NFProtoIPv6), Present: true}
		}
		return Value{N: N(desc.NFProtoIPv4), Present: true}
	case desc.CTProtocol:
		return Value{N: N(uint64(s.proto())), Present: true}
	case desc.CTSaddr, desc.CTDaddr, desc.CTIPSaddr, desc.CTIPDaddr, desc.CTIP6Saddr, desc.CTIP6Daddr, desc.CTProtoSrc, desc.CTProtoDst:
		return s.tupleValue(k)
	}
	return Value{Unknown: true}
}

// tupleValue is a conntrack tuple field: the original tuple is the flow
// opener's, the reply tuple its reverse (no NAT assumed: the kernel's
// answer differs where NAT applies, and then the probe just misses).
func (s *Spec) tupleValue(k Key) Value {
	src := k.CT == desc.CTSaddr || k.CT == desc.CTIPSaddr || k.CT == desc.CTIP6Saddr || k.CT == desc.CTProtoSrc
	if s.State == StEstReply {
		src = !src // the reverse flow opened the connection
	}
	if k.Dir == desc.CTReply {
		src = !src
	}
	if k.CT == desc.CTProtoSrc || k.CT == desc.CTProtoDst {
		h := desc.HeaderOf(s.proto())
		if h == nil || h.Sport == nil {
			return Value{}
		}
		f := h.Dport
		if src {
			f = h.Sport
		}
		return s.fieldValue(f)
	}
	f := s.L3().Daddr
	if src {
		f = s.L3().Saddr
	}
	return s.fieldValue(f)
}

func (s *Spec) fibValue(k Key) Value {
	if k.Fib != desc.FibResultType || k.FibFlags&^(desc.FibDaddr.Bit|desc.FibSaddr.Bit) != 0 {
		return Value{Unknown: true} // routes by interface: the kernel's answer
	}
	if v, ok := s.Vals[k]; ok {
		return Value{N: v, Present: true}
	}
	local := uint64(desc.FibAddr.Syms["local"])
	unicast := uint64(desc.FibAddr.Syms["unicast"])
	if k.FibFlags&desc.FibDaddr.Bit != 0 {
		if dst, ok := s.Addr(true); ok && isBroadcast(dst) {
			return Value{N: N(uint64(desc.FibAddr.Syms["broadcast"])), Present: true}
		}
		if dst, ok := s.Addr(true); ok && dst.IsMulticast() {
			return Value{N: N(uint64(desc.FibAddr.Syms["multicast"])), Present: true}
		}
		if s.Path == PathIn || s.Path == PathLoop {
			return Value{N: N(local), Present: true}
		}
		return Value{N: N(unicast), Present: true}
	}
	if s.Path == PathOut || s.Path == PathLoop {
		return Value{N: N(local), Present: true}
	}
	return Value{N: N(unicast), Present: true}
}

// String is the probe as a reader recognises it:
// "tcp 10.0.0.5:40000 -> 10.0.0.1:22 in eth0, NEW".
func (s *Spec) String() string {
	var b strings.Builder
	name := protoName(s.proto(), s.V6)
	b.WriteString(name)
	src, _ := s.Addr(false)
	dst, _ := s.Addr(true)
	h := desc.HeaderOf(s.proto())
	if h != nil && h.Sport != nil {
		sp, dp := s.fieldValue(h.Sport), s.fieldValue(h.Dport)
		fmt.Fprintf(&b, " %s -> %s", netip.AddrPortFrom(src, uint16(sp.N.Lo)), netip.AddrPortFrom(dst, uint16(dp.N.Lo)))
	} else {
		fmt.Fprintf(&b, " %s -> %s", src, dst)
	}
	if s.proto() == 6 {
		fmt.Fprintf(&b, " [%s]", tcpFlagNames(uint8(s.fieldValue(desc.TCPFlags).N.Lo)))
	}
	if s.proto() == 1 || s.proto() == 58 {
		l := s.L3().ICMP
		fmt.Fprintf(&b, " type %d code %d", s.fieldValue(l.Field("type")).N.Lo, s.fieldValue(l.Field("code")).N.Lo)
	}
	switch s.Path {
	case PathIn:
		fmt.Fprintf(&b, " in %s", s.In)
	case PathFwd:
		fmt.Fprintf(&b, " in %s out %s", s.In, s.Out)
	case PathOut:
		fmt.Fprintf(&b, " from the firewall out %s", s.Out)
	case PathLoop:
		b.WriteString(" from the firewall to itself (lo)")
	}
	fmt.Fprintf(&b, ", %s", s.State)
	if extra := s.extras(); extra != "" {
		b.WriteString(", " + extra)
	}
	return b.String()
}

// extras lists the values set beyond the 5-tuple, for String.
func (s *Spec) extras() string {
	var parts []string
	for k, v := range s.Vals {
		switch {
		case k.Kind == KField && (k.Field == s.L3().Saddr || k.Field == s.L3().Daddr || k.Field.Name == "sport" || k.Field.Name == "dport" ||
			k.Field == desc.TCPFlags || k.Field.Proto == s.L3().ICMP && (k.Field.Name == "type" || k.Field.Name == "code")):
			continue
		case k.Kind == KField && (k.Field == desc.IPProtocol || k.Field == desc.IP6Nexthdr):
			continue
		case k.Kind == KMeta && (k.Meta == desc.MetaL4proto || k.Meta == desc.MetaNfproto):
			continue
		case k.Kind == KExthdr && v.Lo == 1:
			parts = append(parts, "with "+k.Hdr.String())
		case k.Kind == KExthdr:
			continue
		case k.Kind == KField && k.Field.Type != nil && (k.Field.Type.Bits == 32 && k.Field.Type == desc.IPv4Addr || k.Field.Type == desc.IPv6Addr):
			parts = append(parts, fmt.Sprintf("%s %s", k, v.Addr(k.Field.Type.Bits)))
		default:
			parts = append(parts, fmt.Sprintf("%s %#x", k, v.Lo))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func protoName(p uint8, v6 bool) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 33:
		return "dccp"
	case 50:
		return "esp"
	case 51:
		return "ah"
	case 58:
		return "icmpv6"
	case 108:
		return "comp"
	case 132:
		return "sctp"
	case 136:
		return "udplite"
	}
	return fmt.Sprintf("proto %d", p)
}

func tcpFlagNames(f uint8) string {
	var b strings.Builder
	for i, c := range "FSRPAUEC" {
		if f&(1<<i) != 0 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Key is a canonical text of the spec: specs with equal keys make the
// same probe.
func (s *Spec) Key() string {
	parts := []string{fmt.Sprint(s.V6, s.Path, s.In, s.Out, s.State, s.proto())}
	for k, v := range s.Vals {
		parts = append(parts, fmt.Sprintf("%s=%x/%x", k.Name, v.Hi, v.Lo))
	}
	sort.Strings(parts[1:])
	return strings.Join(parts, " ")
}

// icmpError reports whether the probe is an ICMP error message (never the
// first packet of a flow: conntrack calls one about nothing it knows
// INVALID).
func (s *Spec) icmpError() bool {
	if s.proto() != 1 && s.proto() != 58 {
		return false
	}
	t := s.fieldValue(s.L3().ICMP.Field("type")).N.Lo
	if s.V6 {
		return t >= 1 && t <= 4
	}
	return t == 3 || t == 4 || t == 5 || t == 11 || t == 12
}
