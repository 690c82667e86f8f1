//go:build linux

package probe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Step is one packet of a probe's exchange: the probe itself, or a packet
// sent before it to give it its conntrack state.
type Step struct {
	Probe lab.Probe
	Spec  *Spec
	// What the step is: "probe", "opens the reverse flow", "answer", ...
	What string
	// Main is set on the probe itself.
	Main bool
	// Pause is how long to wait before sending the step.
	Pause time.Duration
}

// Realize turns s into the packets of its exchange: the probe alone for a
// NEW packet; the reverse flow first for an ESTABLISHED reply; the flow,
// its answer and the probe for an ESTABLISHED packet of the original
// direction; a flow and the ICMP error about it for RELATED.
func Realize(s *Spec) ([]Step, error) {
	main, err := s.labProbe(nil)
	if err != nil {
		return nil, err
	}
	probe := Step{Probe: main, Spec: s, What: "probe", Main: true}
	switch s.State {
	case StEstReply:
		rev := s.reverse()
		rp, err := rev.labProbe(nil)
		if err != nil {
			return nil, err
		}
		return []Step{{Probe: rp, Spec: rev, What: "opens the reverse flow"}, probe}, nil
	case StEstOrig:
		first := s.Clone()
		first.State = StNew
		fp, err := first.labProbe(nil)
		if err != nil {
			return nil, err
		}
		ans := s.reverse()
		ans.State = StEstReply
		ap, err := ans.labProbe(nil)
		if err != nil {
			return nil, err
		}
		return []Step{{Probe: fp, Spec: first, What: "opens the flow"}, {Probe: ap, Spec: ans, What: "answers it"}, probe}, nil
	case StRelated:
		rev := s.reverse()
		rev.Proto = 17
		delete(rev.Vals, FieldKey(rev.L3().ICMP.Field("id")))
		for _, f := range []*desc.Field{desc.UDP.Sport, desc.UDP.Dport} {
			if _, ok := rev.Vals[FieldKey(f)]; !ok {
				rev.Set(FieldKey(f), N(33434))
			}
		}
		rp, err := rev.labProbe(nil)
		if err != nil {
			return nil, err
		}
		quote, err := rp.Packet.Encode(1)
		if err != nil {
			return nil, err
		}
		n := 28
		if s.V6 {
			n = 48
		}
		if main, err = s.labProbe(quote[:n]); err != nil {
			return nil, err
		}
		probe.Probe = main
		return []Step{{Probe: rp, Spec: rev, What: "opens a flow the probe is an error about"}, probe}, nil
	}
	return []Step{probe}, nil
}

// reverse is the flow that answers s: addresses and ports swapped, the
// path turned round, a NEW packet.
func (s *Spec) reverse() *Spec {
	r := s.Clone()
	r.State = StNew
	src, _ := s.Addr(false)
	dst, _ := s.Addr(true)
	r.SetAddr(false, dst)
	r.SetAddr(true, src)
	if h := desc.HeaderOf(s.proto()); h != nil && h.Sport != nil {
		sp, dp := s.fieldValue(h.Sport), s.fieldValue(h.Dport)
		r.Set(FieldKey(h.Sport), dp.N)
		r.Set(FieldKey(h.Dport), sp.N)
	}
	if s.proto() == 6 {
		delete(r.Vals, FieldKey(desc.TCPFlags))
	}
	if s.proto() == 1 || s.proto() == 58 {
		delete(r.Vals, FieldKey(s.L3().ICMP.Field("type")))
		delete(r.Vals, FieldKey(s.L3().ICMP.Field("code")))
	}
	switch s.Path {
	case PathIn:
		r.Path, r.In, r.Out = PathOut, "", s.In
	case PathFwd:
		r.In, r.Out = s.Out, s.In
	case PathOut:
		r.Path, r.In, r.Out = PathIn, s.Out, ""
	}
	delete(r.Vals, MetaKey(desc.MetaMark))
	delete(r.Vals, CTKey(desc.CTMark))
	return r
}

// labProbe builds the lab's probe; quote, when set, is the start of the
// packet an ICMP error is about.
func (s *Spec) labProbe(quote []byte) (lab.Probe, error) {
	b := &builder{s: s, used: map[Key]bool{}}
	pkt, err := b.packet(quote)
	if err != nil {
		return lab.Probe{}, err
	}
	p := lab.Probe{Packet: pkt}
	if s.Path == PathIn || s.Path == PathFwd {
		p.In = s.In
	}
	if v, ok := b.get(MetaKey(desc.MetaMark)); ok {
		p.Mark = lab.U32(uint32(v.Lo))
	}
	if v, ok := b.get(CTKey(desc.CTMark)); ok {
		p.CTMark = lab.U32(uint32(v.Lo))
	}
	if v, ok := b.get(MetaKey(desc.MetaSkuid)); ok {
		p.UID = lab.U32(uint32(v.Lo))
	}
	if v, ok := b.get(MetaKey(desc.MetaSkgid)); ok {
		p.GID = lab.U32(uint32(v.Lo))
	}
	for k, v := range s.Vals {
		if !b.used[k] && !(k.Kind == KExthdr && v.Lo == 0) {
			return lab.Probe{}, fmt.Errorf("the lab cannot give a probe %s %s", k, formatValue(k, Value{N: v}, s.V6))
		}
	}
	return p, nil
}

// builder reads the spec's values, remembering which it used.
type builder struct {
	s    *Spec
	used map[Key]bool
}

func (b *builder) get(k Key) (Num, bool) {
	v, ok := b.s.Vals[k]
	if ok {
		b.used[k] = true
	}
	return v, ok
}

// field is the value of header field f: set, or the default.
func (b *builder) field(f *desc.Field) uint64 {
	if v, ok := b.get(FieldKey(f)); ok {
		return v.Lo
	}
	// th sport / th dport (an ipset's port dimension) are the port of
	// whichever transport header the probe has.
	if p := f.Proto; p != desc.TH && p.Sport != nil && (f == p.Sport || f == p.Dport) {
		th := desc.TH.Sport
		if f == p.Dport {
			th = desc.TH.Dport
		}
		if v, ok := b.get(FieldKey(th)); ok {
			return v.Lo
		}
	}
	v, _ := fieldDefault(b.s, f)
	return v
}

func (b *builder) named(p *desc.Proto, name string) uint64 { return b.field(p.Field(name)) }

func (b *builder) addr(f *desc.Field) netip.Addr {
	v, _ := b.get(FieldKey(f))
	return v.Addr(int(f.Len))
}

func (b *builder) packet(quote []byte) (lab.Packet, error) {
	s := b.s
	var pkt lab.Packet
	if s.V6 {
		ip := &lab.IPv6{Src: b.addr(desc.IP6Saddr), Dst: b.addr(desc.IP6Daddr),
			TrafficClass: uint8(b.named(desc.IP6, "dscp")<<2 | b.named(desc.IP6, "ecn")),
			FlowLabel:    uint32(b.named(desc.IP6, "flowlabel")), HopLimit: uint8(b.field(desc.IP6Hoplimit))}
		b.used[FieldKey(desc.IP6Nexthdr)] = true
		pkt.IP = ip
		exts, err := b.exts()
		if err != nil {
			return pkt, err
		}
		pkt.Ext = exts
	} else {
		ip := &lab.IPv4{Src: b.addr(desc.IPSaddr), Dst: b.addr(desc.IPDaddr),
			TOS: uint8(b.named(desc.IP, "dscp")<<2 | b.named(desc.IP, "ecn")), TTL: uint8(b.field(desc.IPTTL)),
			ID: uint16(b.named(desc.IP, "id"))}
		fo := b.field(desc.IPFragOff)
		ip.Flags, ip.FragOff = uint8(fo>>13), uint16(fo&0x1fff)
		if hl := b.named(desc.IP, "hdrlength"); hl > 5 {
			ip.Options = make([]byte, (hl-5)*4)
			for i := range ip.Options {
				ip.Options[i] = 1 // NOP
			}
		} else if hl < 5 {
			return pkt, fmt.Errorf("the lab cannot send an IPv4 header of length %d", hl)
		}
		if p, ok := b.get(FieldKey(desc.IPProtocol)); ok && uint8(p.Lo) != s.proto() {
			ip.Proto = uint8(p.Lo)
		}
		pkt.IP = ip
		if s.proto() == 51 {
			pkt.Ext = []lab.Ext{b.ah()}
		}
	}
	if err := b.l4(&pkt, quote); err != nil {
		return pkt, err
	}
	b.used[Key{Kind: KMeta, Meta: desc.MetaL4proto, Name: desc.MetaL4proto.String()}] = true
	b.used[MetaKey(desc.MetaNfproto)] = true
	return pkt, b.length(&pkt)
}

// length pads the packet to a length a condition chose.
func (b *builder) length(pkt *lab.Packet) error {
	n := 0
	if v, ok := b.get(MetaKey(desc.MetaLength)); ok {
		n = int(v.Lo)
	}
	if b.s.V6 {
		if v, ok := b.get(FieldKey(desc.IP6.Field("length"))); ok {
			n = int(v.Lo) + 40
		}
	} else if v, ok := b.get(FieldKey(desc.IP.Field("length"))); ok {
		n = int(v.Lo)
	}
	pkt.Len = n
	if n > 0 {
		if _, err := pkt.Encode(1); err != nil {
			return err
		}
	}
	return nil
}

// ah is an authentication header with the spec's fields (transport AH in
// IPv4, or the ah extension header in IPv6).
func (b *builder) ah() lab.Ext {
	hl := b.named(desc.AH, "hdrlength")
	if hl < 1 {
		hl = 1
	}
	return lab.AH(int(hl+2)*4, uint32(b.named(desc.AH, "spi")), uint32(b.named(desc.AH, "sequence")), uint16(b.named(desc.AH, "reserved")))
}

// exts are the IPv6 extension headers the spec asks for.
func (b *builder) exts() ([]lab.Ext, error) {
	s := b.s
	var out []lab.Ext
	for _, p := range s.exts() {
		b.used[Presence(p)] = true
		n := func() int { return (int(b.named(p, "hdrlength")) + 1) * 8 }
		switch p {
		case desc.HBH:
			out = append(out, lab.HopByHop(n()))
		case desc.Dst:
			out = append(out, lab.DestOpts(n()))
		case desc.RT:
			var addrs []netip.Addr
			for i := 1; i <= 16; i++ {
				for _, h := range []*desc.Proto{desc.RT, desc.RT0} {
					if i > 2 && h == desc.RT {
						continue
					}
					if v, ok := b.get(FieldKey(h.Field(fmt.Sprintf("addr[%d]", i)))); ok {
						for len(addrs) < i-1 {
							addrs = append(addrs, netip.IPv6Unspecified())
						}
						addrs = append(addrs, v.Addr(128))
					}
				}
			}
			out = append(out, lab.Routing(uint8(b.named(p, "type")), uint8(b.named(p, "seg-left")), n(), 0, addrs...))
		case desc.Frag:
			out = append(out, lab.Fragment(uint16(b.named(p, "frag-off")), b.named(p, "more-fragments") == 1,
				uint32(b.named(p, "id")), uint8(b.named(p, "reserved")), uint8(b.named(p, "reserved2"))))
		case desc.ExtAH:
			out = append(out, b.ah())
		}
	}
	// An extension header's nexthdr is the encoder's; nothing else may be asked.
	for k := range s.Vals {
		if k.Kind == KField && k.Field.Proto.Kind == desc.IPv6Ext && k.Field.Name == "nexthdr" {
			b.used[k] = true
		}
	}
	if s.proto() == 51 {
		out = append(out, b.ah())
	}
	return out, nil
}

// l4 is the transport header of the spec's protocol.
func (b *builder) l4(pkt *lab.Packet, quote []byte) error {
	s := b.s
	pkt.Payload = quote
	switch p := s.proto(); p {
	case 6:
		t := &lab.TCP{SrcPort: uint16(b.field(desc.TCPSport)), DstPort: uint16(b.field(desc.TCPDport)),
			Seq: uint32(b.named(desc.TCP, "sequence")), Ack: uint32(b.named(desc.TCP, "ackseq")),
			Flags: uint8(b.field(desc.TCPFlags)), Window: uint16(b.named(desc.TCP, "window")), Urgent: uint16(b.named(desc.TCP, "urgptr"))}
		b.handshake(t)
		opts, err := b.tcpOptions()
		if err != nil {
			return err
		}
		t.Options = opts
		if d, ok := b.get(FieldKey(desc.TCP.Field("doff"))); ok && int(d.Lo) != 5+len(opts)/4 {
			return fmt.Errorf("the lab cannot send a TCP header of length %d", d.Lo)
		}
		if r := b.named(desc.TCP, "reserved"); r != 0 {
			return fmt.Errorf("the lab cannot set the TCP reserved bits")
		}
		pkt.L4 = t
	case 17:
		u := &lab.UDP{SrcPort: uint16(b.field(desc.UDP.Sport)), DstPort: uint16(b.field(desc.UDP.Dport))}
		if s.State == StInvalid {
			// A bad checksum: conntrack marks the packet INVALID.
			data := make([]byte, 8)
			binary.BigEndian.PutUint16(data, u.SrcPort)
			binary.BigEndian.PutUint16(data[2:], u.DstPort)
			binary.BigEndian.PutUint16(data[4:], 8+8) // header and the probe's tag
			binary.BigEndian.PutUint16(data[6:], 0x1234)
			pkt.L4 = &lab.Raw{Proto: 17, Data: data}
			return nil
		}
		pkt.L4 = u
	case 1, 58:
		ic := s.L3().ICMP
		pkt.L4 = &lab.ICMP{Type: uint8(b.named(ic, "type")), Code: uint8(b.named(ic, "code")),
			ID: uint16(b.named(ic, "id")), Seq: uint16(b.named(ic, "sequence"))}
		if s.State == StEstOrig || s.State == StEstReply {
			b.echo(pkt.L4.(*lab.ICMP))
		}
	case 132:
		pkt.L4 = &lab.SCTP{SrcPort: uint16(b.field(desc.SCTP.Sport)), DstPort: uint16(b.field(desc.SCTP.Dport)),
			Tag: uint32(b.named(desc.SCTP, "vtag")), Chunks: b.sctpChunks()}
	case 33:
		d := &lab.DCCP{SrcPort: uint16(b.field(desc.DCCP.Sport)), DstPort: uint16(b.field(desc.DCCP.Dport)),
			Type: uint8(b.field(desc.DCCPType)), Seq: 1}
		if d.Type == 0 {
			d.Body = make([]byte, 4) // service code
		} else {
			d.Body = make([]byte, 8) // acknowledgement subheader
		}
		pkt.L4 = d
	case 50:
		data := make([]byte, 8)
		binary.BigEndian.PutUint32(data, uint32(b.field(desc.ESPSPI)))
		binary.BigEndian.PutUint32(data[4:], uint32(b.named(desc.ESP, "sequence")))
		pkt.L4 = &lab.Raw{Proto: 50, Data: data}
	case 108:
		data := make([]byte, 4)
		data[0], data[1] = byte(b.named(desc.Comp, "nexthdr")), byte(b.named(desc.Comp, "flags"))
		binary.BigEndian.PutUint16(data[2:], uint16(b.field(desc.CompCPI)))
		pkt.L4 = &lab.Raw{Proto: 108, Data: data}
	case 51:
		// AH is an extension header in the lab's packets; nothing follows it.
	case desc.MH.Number:
		data := []byte{59, 0, byte(b.field(desc.MHTypeField)), 0, 0, 0, 0, 0}
		b.used[Presence(desc.MH)] = true
		pkt.L4 = &lab.Raw{Proto: desc.MH.Number, Data: data}
	default:
		pkt.L4 = &lab.Raw{Proto: p, Data: make([]byte, 8)}
	}
	return nil
}

// handshake fills TCP sequence numbers that let conntrack accept the
// exchange: the reverse SYN is 1000, its answer 5000 acknowledging 1001,
// the third packet 1001 acknowledging 5001.
func (b *builder) handshake(t *lab.TCP) {
	switch {
	case b.s.State == StEstReply && t.Flags&lab.SYN != 0:
		t.Seq, t.Ack = 5000, 1001
	case b.s.State == StEstReply:
		t.Seq, t.Ack = 5001, 1001
	case b.s.State == StEstOrig:
		t.Seq, t.Ack = 1001, 5001
	}
	if t.Flags&lab.ACK == 0 && b.s.State != StEstReply && b.s.State != StEstOrig {
		t.Ack = 0
	}
}

// echo makes an ICMP probe in an established exchange an echo reply (to
// the reverse request) unless a condition chose its type.
func (b *builder) echo(ic *lab.ICMP) {
	if _, set := b.s.Vals[FieldKey(b.s.L3().ICMP.Field("type"))]; set {
		return
	}
	if b.s.State == StEstReply {
		ic.Type = 0
		if b.s.V6 {
			ic.Type = 129
		}
	}
	ic.Seq = 2
}

// tcpOptions are the options the spec asks for.
func (b *builder) tcpOptions() ([]byte, error) {
	var out []byte
	for _, p := range []*desc.Proto{desc.OptMaxseg, desc.OptWindow, desc.OptSackPerm, desc.OptTimestamp, desc.OptSack} {
		if b.s.Vals[Presence(p)].Lo != 1 {
			continue
		}
		b.used[Presence(p)] = true
		switch p {
		case desc.OptMaxseg:
			v := b.field(desc.OptMaxsegSize)
			out = append(out, 2, 4, byte(v>>8), byte(v))
		case desc.OptWindow:
			out = append(out, 1, 3, 3, byte(b.named(p, "count")))
		case desc.OptSackPerm:
			out = append(out, 1, 1, 4, 2)
		case desc.OptTimestamp:
			ts := make([]byte, 10)
			ts[0], ts[1] = 8, 10
			binary.BigEndian.PutUint32(ts[2:], uint32(b.named(p, "tsval")))
			binary.BigEndian.PutUint32(ts[6:], uint32(b.named(p, "tsecr")))
			out = append(append(out, 1, 1), ts...)
		case desc.OptSack:
			out = append(out, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2)
		}
	}
	for k := range b.s.Vals {
		if k.Kind == KField && k.Field.Proto.Kind == desc.TCPOption && k.Field.Name == "length" {
			return nil, fmt.Errorf("the lab cannot choose a TCP option's length")
		}
	}
	return out, nil
}

// sctpChunks are the chunks the spec asks for, or an INIT (the chunk that
// opens an association, so that conntrack takes the packet as NEW).
func (b *builder) sctpChunks() []lab.SCTPChunk {
	var out []lab.SCTPChunk
	for _, p := range desc.SCTPChunks {
		if b.s.Vals[Presence(p)].Lo != 1 {
			continue
		}
		b.used[Presence(p)] = true
		out = append(out, lab.SCTPChunk{Type: p.Number, Flags: uint8(b.named(p, "flags")), Data: chunkBody(p.Number)})
	}
	if len(out) == 0 {
		out = append(out, lab.SCTPChunk{Type: 1, Data: chunkBody(1)})
	}
	return out
}

// chunkBody is a minimal valid body of a chunk type.
func chunkBody(t uint8) []byte {
	switch t {
	case 1, 2: // INIT, INIT ACK: tag, a_rwnd, streams, initial TSN
		return []byte{0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1}
	case 0: // DATA: TSN, stream, sequence, protocol
		return []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	}
	return nil
}
