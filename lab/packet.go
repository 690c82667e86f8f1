package lab

// Hand-written encoders for the packets probes send: every field a rule
// can test is settable, including the ones a socket would never let an
// application choose (reserved bits, header lengths, fragment fields).
// Checksums are computed unless the caller sets one explicitly.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/netip"
	"strings"
)

// Packet is an IP packet: a network header, extension headers (IPv6
// extension headers, or AH in IPv4), a transport header and a payload.
// Encode appends the probe tag (tagLen bytes) at the very end.
type Packet struct {
	IP      IPHeader // *IPv4 or *IPv6
	Ext     []Ext    // in order after the IP header
	L4      L4       // *TCP, *UDP, *ICMP, *SCTP, *DCCP, *Raw; nil: no transport header
	Payload []byte
	// Len pads the payload with zeros so that the whole IP packet is Len
	// bytes long (0: no padding). Encode fails when the packet is longer.
	Len int
}

// IPHeader is *IPv4 or *IPv6.
type IPHeader interface{ isIP() }

// IPv4 is an IPv4 header. Zero TTL means 64; Proto 0 means the protocol of
// the first extension or transport header.
type IPv4 struct {
	Src, Dst netip.Addr
	TOS, TTL uint8
	ID       uint16
	Flags    uint8  // 3 bits: 4 = reserved ("evil"), 2 = DF, 1 = MF
	FragOff  uint16 // fragment offset in 8-byte units
	Options  []byte // padded with zeros (end of options) to 4 bytes
	Proto    uint8
}

// IPv6 is an IPv6 header. Zero HopLimit means 64.
type IPv6 struct {
	Src, Dst     netip.Addr
	TrafficClass uint8
	FlowLabel    uint32 // 20 bits
	HopLimit     uint8
}

func (*IPv4) isIP() {}
func (*IPv6) isIP() {}

// Ext is an extension header; Raw is the whole header, whose first byte
// (the next header) Encode fills in. Build one with HopByHop, DestOpts,
// Routing, Fragment or AH.
type Ext struct {
	Proto uint8 // its protocol number: 0 hop-by-hop, 43 routing, 44 fragment, 51 AH, 60 destination options
	Raw   []byte
}

// padN fills b with one PadN option (or Pad1 for a single byte).
func padN(b []byte) {
	switch len(b) {
	case 0:
	case 1:
		b[0] = 0
	default:
		b[0], b[1] = 1, byte(len(b)-2)
	}
}

func optionsHeader(proto uint8, n int) Ext {
	if n < 8 || n%8 != 0 || n > 2048 {
		panic(fmt.Sprintf("lab: options header length %d (want a multiple of 8, 8 to 2048)", n))
	}
	b := make([]byte, n)
	b[1] = byte(n/8 - 1)
	// Linux refuses more than 7 bytes of padding in a row (ip6_parse_tlv),
	// so longer headers carry skippable experimental options (type 0x1e,
	// RFC 4727: "skip if unknown") of up to 255 bytes, padding at the end.
	opts := b[2:]
	for len(opts) > 7 {
		l := min(len(opts)-2, 255)
		if len(opts)-2-l > 0 && len(opts)-2-l < 2 {
			l-- // leave room for a PadN, not a lone Pad1 run
		}
		opts[0], opts[1] = 0x1e, byte(l)
		opts = opts[2+l:]
	}
	padN(opts)
	return Ext{Proto: proto, Raw: b}
}

// HopByHop is a hop-by-hop options header n bytes long (n a multiple of
// 8), filled with padding and skippable options.
func HopByHop(n int) Ext { return optionsHeader(0, n) }

// DestOpts is a destination options header n bytes long, filled like HopByHop.
func DestOpts(n int) Ext { return optionsHeader(60, n) }

// Routing is a routing header of the given type and segments left, n bytes
// long (a multiple of 8, at least 8); reserved is the 32-bit field after
// the segments left (type 0's reserved field); addrs fill the rest from
// byte 8 (type 0's address list).
func Routing(typ, segsLeft uint8, n int, reserved uint32, addrs ...netip.Addr) Ext {
	if min := 8 + 16*len(addrs); n < min {
		n = min
	}
	if n%8 != 0 {
		panic(fmt.Sprintf("lab: routing header length %d is not a multiple of 8", n))
	}
	b := make([]byte, n)
	b[1], b[2], b[3] = byte(n/8-1), typ, segsLeft
	binary.BigEndian.PutUint32(b[4:], reserved)
	for i, a := range addrs {
		a16 := a.As16()
		copy(b[8+16*i:], a16[:])
	}
	return Ext{Proto: 43, Raw: b}
}

// Fragment is an IPv6 fragment header: offset in 8-byte units, the M flag,
// the identification, the reserved byte and the two reserved bits beside M.
func Fragment(offset uint16, more bool, id uint32, res uint8, resBits uint8) Ext {
	b := make([]byte, 8)
	b[1] = res
	v := offset<<3 | uint16(resBits&3)<<1
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:], v)
	binary.BigEndian.PutUint32(b[4:], id)
	return Ext{Proto: 44, Raw: b}
}

// AH is an authentication header n bytes long (a multiple of 4, at least
// 12; its length field is n/4 - 2) with the given SPI, sequence number and
// reserved field; the ICV is zeros.
func AH(n int, spi, seq uint32, reserved uint16) Ext {
	if n < 12 || n%4 != 0 || n > 1028 {
		panic(fmt.Sprintf("lab: AH length %d (want a multiple of 4, 12 to 1028)", n))
	}
	b := make([]byte, n)
	b[1] = byte(n/4 - 2)
	binary.BigEndian.PutUint16(b[2:], reserved)
	binary.BigEndian.PutUint32(b[4:], spi)
	binary.BigEndian.PutUint32(b[8:], seq)
	return Ext{Proto: 51, Raw: b}
}

// L4 is a transport header: *TCP, *UDP, *ICMP, *SCTP, *DCCP or *Raw.
type L4 interface {
	proto(v6 bool) uint8
	// encode returns the header followed by payload, checksummed with
	// the pseudo-header sum ph (0 when the protocol has none).
	encode(payload []byte, ph func(proto uint8, n int) uint32) []byte
}

// TCP flag bits.
const (
	FIN = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// TCP is a TCP header. Zero Window means 65535; Options are padded with
// zeros (end of option list) to 4 bytes.
type TCP struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            uint8
	Window, Urgent   uint16
	Options          []byte
}

// UDP is a UDP header.
type UDP struct{ SrcPort, DstPort uint16 }

// ICMP is an ICMP (IPv4) or ICMPv6 header; ID and Seq fill the second
// word (echo's identifier and sequence number).
type ICMP struct {
	Type, Code uint8
	ID, Seq    uint16
}

// SCTP is an SCTP common header and its chunks.
type SCTP struct {
	SrcPort, DstPort uint16
	Tag              uint32
	Chunks           []SCTPChunk
}

// SCTPChunk is one chunk; Data is padded to 4 bytes.
type SCTPChunk struct {
	Type, Flags uint8
	Data        []byte
}

// DCCP is a DCCP header with extended sequence numbers (X=1, 16 bytes),
// followed by Body (the type-specific fields: service code of a Request,
// acknowledgement subheader of the others) and Options (padded to 4).
type DCCP struct {
	SrcPort, DstPort uint16
	Type             uint8 // 0 Request, 1 Response, 2 Data, 3 Ack, ...
	Seq              uint64
	Body, Options    []byte
}

// Raw is a transport header given as bytes, for any protocol (ESP,
// IPcomp, MH, ...); Raw headers carry no checksum.
type Raw struct {
	Proto uint8
	Data  []byte
}

// ProtoMH is IPv6's mobility header (Raw{Proto: ProtoMH, ...}).
const ProtoMH = 135

func (*TCP) proto(bool) uint8 { return 6 }
func (*UDP) proto(bool) uint8 { return 17 }
func (*ICMP) proto(v6 bool) uint8 {
	if v6 {
		return 58
	}
	return 1
}
func (*SCTP) proto(bool) uint8       { return 132 }
func (*DCCP) proto(bool) uint8       { return 33 }
func (r *Raw) proto(bool) uint8      { return r.Proto }
func pad4(b []byte) []byte           { return append(b, make([]byte, (4-len(b)%4)%4)...) }
func put16(b []byte, v uint16)       { binary.BigEndian.PutUint16(b, v) }
func put32(b []byte, v uint32)       { binary.BigEndian.PutUint32(b, v) }
func withPayload(h, p []byte) []byte { return append(h, p...) }

func (t *TCP) encode(p []byte, ph func(uint8, int) uint32) []byte {
	opts := pad4(append([]byte(nil), t.Options...))
	h := make([]byte, 20, 20+len(opts)+len(p))
	put16(h[0:], t.SrcPort)
	put16(h[2:], t.DstPort)
	put32(h[4:], t.Seq)
	put32(h[8:], t.Ack)
	h[12] = byte((20+len(opts))/4) << 4
	h[13] = t.Flags
	w := t.Window
	if w == 0 {
		w = 65535
	}
	put16(h[14:], w)
	put16(h[18:], t.Urgent)
	b := withPayload(append(h, opts...), p)
	put16(b[16:], finish(ph(6, len(b))+sum(b)))
	return b
}

func (u *UDP) encode(p []byte, ph func(uint8, int) uint32) []byte {
	b := make([]byte, 8, 8+len(p))
	put16(b[0:], u.SrcPort)
	put16(b[2:], u.DstPort)
	b = withPayload(b, p)
	put16(b[4:], uint16(len(b)))
	c := finish(ph(17, len(b)) + sum(b))
	if c == 0 {
		c = 0xffff
	}
	put16(b[6:], c)
	return b
}

func (i *ICMP) encode(p []byte, ph func(uint8, int) uint32) []byte {
	b := make([]byte, 8, 8+len(p))
	b[0], b[1] = i.Type, i.Code
	put16(b[4:], i.ID)
	put16(b[6:], i.Seq)
	b = withPayload(b, p)
	// ICMPv6 has a pseudo-header (ph gives 0 for IPv4's ICMP).
	put16(b[2:], finish(ph(58, len(b))+sum(b)))
	return b
}

// crc32c is SCTP's checksum (RFC 4960 appendix B).
var crc32c = crc32.MakeTable(crc32.Castagnoli)

func (s *SCTP) encode(p []byte, _ func(uint8, int) uint32) []byte {
	b := make([]byte, 12)
	put16(b[0:], s.SrcPort)
	put16(b[2:], s.DstPort)
	put32(b[4:], s.Tag)
	for _, c := range s.Chunks {
		ch := make([]byte, 4, 4+len(c.Data))
		ch[0], ch[1] = c.Type, c.Flags
		put16(ch[2:], uint16(4+len(c.Data)))
		b = append(b, pad4(append(ch, c.Data...))...)
	}
	b = withPayload(b, p)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b, crc32c))
	return b
}

func (d *DCCP) encode(p []byte, ph func(uint8, int) uint32) []byte {
	h := make([]byte, 16)
	put16(h[0:], d.SrcPort)
	put16(h[2:], d.DstPort)
	h[8] = d.Type<<1 | 1 // X = 1
	h[10], h[11] = byte(d.Seq>>40), byte(d.Seq>>32)
	put32(h[12:], uint32(d.Seq))
	h = append(h, d.Body...)
	h = pad4(append(h, d.Options...))
	h[4] = byte(len(h) / 4)
	b := withPayload(h, p)
	put16(b[6:], finish(ph(33, len(b))+sum(b))) // CsCov 0: the whole packet
	return b
}

func (r *Raw) encode(p []byte, _ func(uint8, int) uint32) []byte {
	return withPayload(append([]byte(nil), r.Data...), p)
}

// sum is the 16-bit ones' complement sum of b, not yet folded.
func sum(b []byte) uint32 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

// finish folds a sum and complements it.
func finish(s uint32) uint16 {
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// Probe tags: every probe ends with tagMagic and its 32-bit id, so an
// observation (a log message, a captured frame, an ICMP error quoting the
// probe) maps back to the probe wherever NAT or mangling moved it.
const (
	tagMagic = "xt2P"
	tagLen   = 8
)

func tag(id uint32) []byte {
	b := append([]byte(tagMagic), 0, 0, 0, 0)
	put32(b[4:], id)
	return b
}

// TagOf returns the probe id a packet (or an ICMP error quoting one) ends
// with, and whether it has one.
func TagOf(b []byte) (uint32, bool) {
	if len(b) < tagLen || string(b[len(b)-tagLen:len(b)-4]) != tagMagic {
		return 0, false
	}
	return binary.BigEndian.Uint32(b[len(b)-4:]), true
}

// Encode returns the packet's bytes, ending with the tag of probe id.
func (p *Packet) Encode(id uint32) ([]byte, error) {
	var v6 bool
	var src, dst netip.Addr
	switch h := p.IP.(type) {
	case *IPv4:
		src, dst = h.Src, h.Dst
		if !src.Is4() || !dst.Is4() {
			return nil, fmt.Errorf("lab: IPv4 packet with addresses %v > %v", src, dst)
		}
	case *IPv6:
		v6, src, dst = true, h.Src, h.Dst
		// An IPv4-mapped address (::ffff:a.b.c.d) is an IPv6 address
		// like any other on the wire.
		if !src.Is6() || !dst.Is6() {
			return nil, fmt.Errorf("lab: IPv6 packet with addresses %v > %v", src, dst)
		}
	default:
		return nil, errors.New("lab: packet without IPv4 or IPv6 header")
	}
	ph := func(proto uint8, n int) uint32 {
		if !v6 && proto != 6 && proto != 17 && proto != 33 {
			return 0 // ICMP: no pseudo-header
		}
		s := sum(src.AsSlice()) + sum(dst.AsSlice()) + uint32(proto)
		return s + uint32(n>>16) + uint32(n&0xffff)
	}
	payload := append(append([]byte(nil), p.Payload...), tag(id)...)
	hdr := 40 // IP header length
	if !v6 {
		hdr = 20 + len(pad4(append([]byte(nil), p.IP.(*IPv4).Options...)))
	}
	for _, e := range p.Ext {
		hdr += len(e.Raw)
	}
	var l4 []byte
	proto := uint8(59) // IPv6 "no next header"
	if !v6 {
		proto = 255
	}
	encodeL4 := func() {
		if p.L4 == nil {
			l4 = payload
			return
		}
		proto = p.L4.proto(v6)
		l4 = p.L4.encode(payload, ph)
	}
	encodeL4()
	if p.Len > 0 {
		n := hdr + len(l4)
		if n > p.Len {
			return nil, fmt.Errorf("lab: packet is %d bytes, more than Len %d", n, p.Len)
		}
		pad := make([]byte, p.Len-n)
		payload = append(append(append([]byte(nil), p.Payload...), pad...), tag(id)...)
		encodeL4()
	}
	// Extension headers, last first, each pointing at what follows it.
	body := l4
	for i := len(p.Ext) - 1; i >= 0; i-- {
		e := append([]byte(nil), p.Ext[i].Raw...)
		if len(e) == 0 {
			return nil, errors.New("lab: empty extension header")
		}
		e[0] = proto
		proto = p.Ext[i].Proto
		body = append(e, body...)
	}
	if v6 {
		h := p.IP.(*IPv6)
		b := make([]byte, 40, 40+len(body))
		put32(b[0:], 6<<28|uint32(h.TrafficClass)<<20|h.FlowLabel&0xfffff)
		put16(b[4:], uint16(len(body)))
		b[6] = proto
		b[7] = h.HopLimit
		if b[7] == 0 {
			b[7] = 64
		}
		s16, d16 := src.As16(), dst.As16()
		copy(b[8:], s16[:])
		copy(b[24:], d16[:])
		return append(b, body...), nil
	}
	h := p.IP.(*IPv4)
	opts := pad4(append([]byte(nil), h.Options...))
	if len(opts) > 40 {
		return nil, fmt.Errorf("lab: %d bytes of IPv4 options (at most 40)", len(opts))
	}
	b := make([]byte, 20, 20+len(opts)+len(body))
	b[0] = 4<<4 | byte((20+len(opts))/4)
	b[1] = h.TOS
	put16(b[2:], uint16(20+len(opts)+len(body)))
	put16(b[4:], h.ID)
	put16(b[6:], uint16(h.Flags&7)<<13|h.FragOff&0x1fff)
	b[8] = h.TTL
	if b[8] == 0 {
		b[8] = 64
	}
	b[9] = proto
	if h.Proto != 0 {
		b[9] = h.Proto
	}
	s4, d4 := src.As4(), dst.As4()
	copy(b[12:], s4[:])
	copy(b[16:], d4[:])
	b = append(b, opts...)
	put16(b[10:], finish(sum(b)))
	return append(b, body...), nil
}

// Header is what Parse reads from an IP packet.
type Header struct {
	V6       bool
	Src, Dst netip.Addr
	TOS      uint8 // IPv4 TOS or IPv6 traffic class
	TTL      uint8 // TTL or hop limit
	Proto    uint8 // transport protocol, after IPv6 extension headers
	Sport    uint16
	Dport    uint16
	TCPFlags uint8
	// ICMPType and ICMPCode for ICMP and ICMPv6.
	ICMPType, ICMPCode uint8
	// Quoted is set for an ICMP error that quotes another packet.
	Quoted bool
	Len    int
}

// Parse reads the headers of an IP packet (as far as the transport ports).
func Parse(b []byte) (Header, error) {
	var h Header
	if len(b) < 20 {
		return h, fmt.Errorf("lab: %d bytes is no IP packet", len(b))
	}
	h.Len = len(b)
	var off int
	switch b[0] >> 4 {
	case 4:
		ihl := int(b[0]&15) * 4
		if ihl < 20 || len(b) < ihl {
			return h, errors.New("lab: bad IPv4 header length")
		}
		h.TOS, h.TTL, h.Proto = b[1], b[8], b[9]
		h.Src = netip.AddrFrom4([4]byte(b[12:16]))
		h.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		off = ihl
		if binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
			return h, nil // not the first fragment: no transport header
		}
		if h.Proto == 51 && len(b) >= off+2 { // AH in IPv4
			h.Proto, off = b[off], off+(int(b[off+1])+2)*4
		}
	case 6:
		if len(b) < 40 {
			return h, errors.New("lab: short IPv6 packet")
		}
		h.V6 = true
		h.TOS = byte(binary.BigEndian.Uint16(b[0:]) >> 4)
		h.TTL = b[7]
		h.Src = netip.AddrFrom16([16]byte(b[8:24]))
		h.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		next, o := b[6], 40
		for {
			if len(b) < o+8 {
				break
			}
			switch next {
			case 0, 43, 60:
				next, o = b[o], o+(int(b[o+1])+1)*8
				continue
			case 51:
				next, o = b[o], o+(int(b[o+1])+2)*4
				continue
			case 44:
				if binary.BigEndian.Uint16(b[o+2:])&0xfff8 != 0 {
					h.Proto = 44
					return h, nil // not the first fragment
				}
				next, o = b[o], o+8
				continue
			}
			break
		}
		h.Proto, off = next, o
	default:
		return h, fmt.Errorf("lab: IP version %d", b[0]>>4)
	}
	l4 := b[min(off, len(b)):]
	switch h.Proto {
	case 6, 17, 33, 132:
		if len(l4) >= 4 {
			h.Sport, h.Dport = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		}
		if h.Proto == 6 && len(l4) >= 14 {
			h.TCPFlags = l4[13]
		}
	case 1, 58:
		if len(l4) >= 2 {
			h.ICMPType, h.ICMPCode = l4[0], l4[1]
			if h.Proto == 1 {
				h.Quoted = h.ICMPType == 3 || h.ICMPType == 11 || h.ICMPType == 12
			} else {
				h.Quoted = h.ICMPType >= 1 && h.ICMPType <= 4
			}
		}
	}
	return h, nil
}

// String is a one-line summary: "tcp 10.0.0.2:40000 > 10.0.0.1:22 [S] ttl 64 tos 0x00".
func (h Header) String() string {
	var b strings.Builder
	name := map[uint8]string{1: "icmp", 6: "tcp", 17: "udp", 33: "dccp", 44: "frag", 58: "icmpv6", 132: "sctp"}[h.Proto]
	if name == "" {
		name = fmt.Sprintf("proto %d", h.Proto)
	}
	b.WriteString(name)
	switch h.Proto {
	case 6, 17, 33, 132:
		fmt.Fprintf(&b, " %s > %s", netip.AddrPortFrom(h.Src, h.Sport), netip.AddrPortFrom(h.Dst, h.Dport))
	default:
		fmt.Fprintf(&b, " %s > %s", h.Src, h.Dst)
	}
	if h.Proto == 6 {
		fl := ""
		for i, c := range "FSRPAUEC" {
			if h.TCPFlags&(1<<i) != 0 {
				fl += string(c)
			}
		}
		fmt.Fprintf(&b, " [%s]", fl)
	}
	if h.Proto == 1 || h.Proto == 58 {
		fmt.Fprintf(&b, " type %d code %d", h.ICMPType, h.ICMPCode)
	}
	fmt.Fprintf(&b, " ttl %d tos %#02x len %d", h.TTL, h.TOS, h.Len)
	return b.String()
}
