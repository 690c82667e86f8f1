package lab

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// verify: a correct checksum makes the ones' complement sum over the
// header (and pseudo-header) 0xffff, i.e. finish() of it 0.
func TestChecksums(t *testing.T) {
	v4 := &IPv4{Src: Addr("10.0.0.2"), Dst: Addr("10.0.0.1"), TOS: 0x1e, TTL: 3, ID: 77, Flags: 2, Options: []byte{7, 3, 4}}
	v6 := &IPv6{Src: Addr("fd00::2"), Dst: Addr("fd00::1"), TrafficClass: 0xb8, FlowLabel: 0x12345, HopLimit: 9}
	for _, ip := range []IPHeader{v4, v6} {
		for _, l4 := range []L4{
			&TCP{SrcPort: 1, DstPort: 2, Flags: SYN | ECE | CWR, Options: []byte{2, 4, 5, 0xb4}},
			&UDP{SrcPort: 3, DstPort: 4}, &ICMP{Type: 8}, &DCCP{SrcPort: 5, DstPort: 6, Type: 0, Body: []byte{0, 0, 0, 1}},
			&SCTP{SrcPort: 7, DstPort: 8, Chunks: []SCTPChunk{{Type: 1, Data: make([]byte, 16)}}},
		} {
			p := Packet{IP: ip, L4: l4, Payload: []byte("odd"), Len: 101}
			b, err := p.Encode(42)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != 101 {
				t.Errorf("%T/%T: %d bytes, want Len 101", ip, l4, len(b))
			}
			if id, ok := TagOf(b); !ok || id != 42 {
				t.Errorf("%T/%T: tag %d %v", ip, l4, id, ok)
			}
			h, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			hl := 40
			var ph uint32
			if !h.V6 {
				hl = int(b[0]&15) * 4
				if finish(sum(b[:hl])) != 0 {
					t.Errorf("IPv4 header checksum wrong")
				}
				if h.TOS != 0x1e || h.TTL != 3 || binary.BigEndian.Uint16(b[6:])>>13 != 2 {
					t.Errorf("IPv4 fields: %v", h)
				}
			} else if h.TOS != 0xb8 || h.TTL != 9 || binary.BigEndian.Uint32(b)&0xfffff != 0x12345 {
				t.Errorf("IPv6 fields: %v", h)
			}
			seg := b[hl:]
			n := len(seg)
			if h.V6 || h.Proto != 1 {
				ph = sum(h.Src.AsSlice()) + sum(h.Dst.AsSlice()) + uint32(h.Proto) + uint32(n)
			}
			switch h.Proto {
			case 132:
				c := binary.LittleEndian.Uint32(seg[8:])
				z := append([]byte(nil), seg...)
				z[8], z[9], z[10], z[11] = 0, 0, 0, 0
				if crc32.Checksum(z, crc32c) != c {
					t.Errorf("SCTP crc32c wrong")
				}
			default:
				if finish(ph+sum(seg)) != 0 {
					t.Errorf("%T over %T: checksum wrong", l4, ip)
				}
			}
		}
	}
}

// Extension headers chain their next-header fields and keep the lengths
// and reserved bits given.
func TestExtensionHeaders(t *testing.T) {
	p := Packet{IP: &IPv6{Src: Addr("fd00::2"), Dst: Addr("fd00::1")},
		Ext: []Ext{HopByHop(16), Routing(0, 2, 24, 7), Fragment(0, false, 150, 1, 2), AH(120, 9, 1, 1), DestOpts(8)},
		L4:  &UDP{SrcPort: 1, DstPort: 2}}
	b, err := p.Encode(1)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		proto   byte
		hdrlen  int
		lenByte byte
	}{{0, 16, 1}, {43, 24, 2}, {44, 8, 1}, {51, 120, 28}, {60, 8, 0}}
	next, off := b[6], 40
	for _, w := range want {
		if next != w.proto {
			t.Fatalf("next header %d, want %d", next, w.proto)
		}
		if w.proto != 44 && b[off+1] != w.lenByte {
			t.Errorf("header %d: length byte %d, want %d", w.proto, b[off+1], w.lenByte)
		}
		if w.proto == 44 && (b[off+1] != 1 || binary.BigEndian.Uint16(b[off+2:])&6 != 4 || binary.BigEndian.Uint32(b[off+4:]) != 150) {
			t.Errorf("fragment header %x", b[off:off+8])
		}
		next, off = b[off], off+w.hdrlen
	}
	if next != 17 {
		t.Errorf("last next header %d, want 17", next)
	}
	if h, _ := Parse(b); h.Proto != 17 || h.Dport != 2 {
		t.Errorf("parse: %v", h)
	}
}
