package nft

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/translate"
)

// load emits the expressions that put e's value in register reg and says
// what is there. Payloads get the protocol dependency nft would insert.
func (l *lowerer) load(e translate.Expr, reg uint32) (loaded, error) {
	switch v := e.(type) {
	case *translate.Payload:
		return l.payload(v, reg)
	case *translate.Meta:
		k, ok := metaKeys[v.Key]
		if !ok {
			return loaded{}, fmt.Errorf("meta %s not supported", v.Key)
		}
		l.emit(&expr.Meta{Key: k.key, Register: reg})
		return loaded{dt: k.dt, size: k.dt.bytes()}, nil
	case *translate.CT:
		return l.ct(v, reg)
	case *translate.Binop:
		return l.binop(v, reg)
	case *translate.Concat:
		var parts []loaded
		words := 0
		for i, x := range v.Exprs {
			r := reg
			if i > 0 {
				r = 8 + uint32(words)
			}
			p, err := l.load(x, r)
			if err != nil {
				return loaded{}, err
			}
			parts = append(parts, p)
			words += (p.size + 3) / 4
		}
		return loaded{parts: parts, size: words * 4}, nil
	case *translate.Exthdr:
		return l.exthdr(v, reg)
	case *translate.Fib:
		return l.fib(v, reg)
	case *translate.Socket:
		keys := map[string]expr.SocketKey{"transparent": expr.SocketKeyTransparent, "mark": expr.SocketKeyMark, "wildcard": expr.SocketKeyWildcard}
		k, ok := keys[v.Key]
		if !ok {
			return loaded{}, fmt.Errorf("socket %s not supported", v.Key)
		}
		l.emit(&expr.Socket{Key: k, Register: reg})
		if k == expr.SocketKeyMark {
			return loaded{dt: tMark, size: 4}, nil
		}
		return loaded{dt: tInteger8, size: 1}, nil
	case *translate.Numgen:
		typ := uint32(unix.NFT_NG_INCREMENTAL)
		if v.Mode == "random" {
			typ = unix.NFT_NG_RANDOM
		}
		l.emit(&expr.Numgen{Register: reg, Modulus: v.Mod, Type: typ, Offset: v.Offset})
		return loaded{dt: tHost32, size: 4}, nil
	case *translate.Named:
		return l.named(v, reg)
	}
	return loaded{}, fmt.Errorf("expression %s not supported as a value source", translate.RenderExpr(e))
}

// payload loads a header field, inserting nft's protocol dependency and
// masking sub-byte fields.
func (l *lowerer) payload(p *translate.Payload, reg uint32) (loaded, error) {
	fields, ok := payloadFields[p.Proto]
	if !ok {
		if _, isExt := ip6Exthdrs[p.Proto]; isExt {
			// frag id, rt seg-left, mh type: IPv6 extension header fields
			return l.exthdr(&translate.Exthdr{Hdr: p.Proto, Field: p.Field}, reg)
		}
		return loaded{}, fmt.Errorf("protocol %s not supported", p.Proto)
	}
	f, ok := fields[p.Field]
	if !ok {
		return loaded{}, fmt.Errorf("%s %s not supported", p.Proto, p.Field)
	}
	if err := l.dependency(p.Proto, f.base); err != nil {
		return loaded{}, err
	}
	return l.bits(f.off, f.len, f.dt, reg, func(start, size uint32) expr.Any {
		return &expr.Payload{DestRegister: reg, Base: f.base, Offset: start, Len: size}
	}), nil
}

// bits loads the bytes holding a field of n bits at bit offset off (load
// builds the load of size bytes at byte start) and masks a field that does
// not fill them, as nft does; the value sits shift bits up.
func (l *lowerer) bits(off, n uint32, dt *dtype, reg uint32, load func(start, size uint32) expr.Any) loaded {
	start, end := off/8, (off+n+7)/8
	size := end - start
	l.emit(load(start, size))
	shift := uint(size*8 - off%8 - n)
	if off%8 != 0 || n%8 != 0 {
		mask := intBytes(((uint64(1)<<n)-1)<<shift, int(size), false)
		l.emit(&expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: size, Mask: mask, Xor: make([]byte, size)})
	}
	return loaded{dt: dt, size: int(size), shift: shift}
}

// dependency emits the protocol match nft adds before a payload whose
// protocol the rule has not established yet.
func (l *lowerer) dependency(proto string, base expr.PayloadBase) error {
	switch base {
	case expr.PayloadBaseNetworkHeader:
		if l.fam == translate.FamilyInet && l.l3 != proto {
			nf := map[string]uint64{"ip": unix.NFPROTO_IPV4, "ip6": unix.NFPROTO_IPV6}[proto]
			l.emit(&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(nf)}})
			l.l3 = proto
		}
	case expr.PayloadBaseTransportHeader:
		n, ok := l4Numbers[proto]
		if !ok || l.l4 == n {
			return nil // th: raw transport header, no dependency
		}
		if l.fam == translate.FamilyInet && (proto == "icmp" || proto == "icmpv6") {
			want := map[string]string{"icmp": "ip", "icmpv6": "ip6"}[proto]
			if l.l3 != want {
				nf := map[string]uint64{"ip": unix.NFPROTO_IPV4, "ip6": unix.NFPROTO_IPV6}[want]
				l.emit(&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(nf)}})
				l.l3 = want
			}
		}
		l.emit(&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(n)}})
		l.l4 = n
	case expr.PayloadBaseLLHeader:
		if !l.ll {
			l.emit(&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: intBytes(1, 2, true)})
			l.ll = true
		}
	}
	return nil
}

// noteContext records the protocol a statement establishes (meta l4proto
// tcp, ip protocol tcp, meta nfproto ipv4), as nft's evaluator does.
func (l *lowerer) noteContext(m *translate.Match) {
	if m.Op != translate.OpEq && m.Op != "" {
		return
	}
	s, ok := m.Right.(*translate.Sym)
	var n uint64
	if ok {
		n = protoNumbers[s.Name]
	} else if i, isInt := m.Right.(*translate.Int); isInt {
		n = i.V
	}
	switch left := m.Left.(type) {
	case *translate.Meta:
		switch left.Key {
		case "l4proto":
			l.l4 = n
		case "nfproto":
			if ok {
				l.l3 = map[string]string{"ipv4": "ip", "ipv6": "ip6"}[s.Name]
			}
		case "iiftype":
			l.ll = ok && s.Name == "ether"
		}
	case *translate.Payload:
		if (left.Proto == "ip" && left.Field == "protocol") || (left.Proto == "ip6" && left.Field == "nexthdr") {
			l.l4 = n
		}
	}
}

// ct loads a conntrack key.
func (l *lowerer) ct(v *translate.CT, reg uint32) (loaded, error) {
	dir := map[string]uint32{"original": 0, "reply": 1}
	key := v.Key
	var dt *dtype
	var k expr.CtKey
	switch {
	case strings.HasSuffix(key, "saddr") || strings.HasSuffix(key, "daddr"):
		// ct original saddr / ct original ip saddr
		src := strings.HasSuffix(key, "saddr")
		k = expr.CtKeySRC
		if !src {
			k = expr.CtKeyDST
		}
		dt = tIPv4
		switch {
		case strings.HasPrefix(key, "ip6 "):
			dt = tIPv6
			k = map[bool]expr.CtKey{true: expr.CtKey(nftCtSrcIP6), false: expr.CtKey(nftCtDstIP6)}[src]
		case strings.HasPrefix(key, "ip "):
			k = map[bool]expr.CtKey{true: expr.CtKey(nftCtSrcIP), false: expr.CtKey(nftCtDstIP)}[src]
		case l.fam == translate.FamilyIP6:
			dt = tIPv6
		case l.fam == translate.FamilyInet:
			return loaded{}, fmt.Errorf("ct %s in an inet table needs ip or ip6", key)
		}
	default:
		ck, ok := ctKeys[key]
		if !ok {
			return loaded{}, fmt.Errorf("ct %s not supported", key)
		}
		k, dt = ck.key, ck.dt
	}
	ce := &expr.Ct{Register: reg, Key: k}
	if v.Dir != "" && k == expr.CtKeyPROTOCOL {
		// The kernel answers ct protocol with the connection's protocol
		// whatever the direction (nf_ct_protonum), and nft lists
		// "ct original protocol" as "ct protocol": the direction, which
		// google/nftables v0.3.0 cannot send for this key, changes nothing.
		l.emit(ce)
		return loaded{dt: dt, size: dt.bytes()}, nil
	}
	if v.Dir != "" {
		switch k {
		case expr.CtKeySRC, expr.CtKeyDST, expr.CtKeyPROTOSRC, expr.CtKeyPROTODST:
		default:
			// google/nftables v0.3.0 sends a direction only for these keys.
			return loaded{}, fmt.Errorf("ct %s %s not supported by the netlink backend", v.Dir, key)
		}
		// The kernel reads NFTA_CT_DIRECTION as a u8 (nla_get_u8: the first
		// byte); google/nftables v0.3.0 writes it as a big-endian u32, so the
		// direction goes in the top byte.
		ce.Direction = dir[v.Dir] << 24
	}
	l.emit(ce)
	return loaded{dt: dt, size: dt.bytes()}, nil
}

// binop loads left op constant: masks and bit operations (nft's bitwise).
func (l *lowerer) binop(b *translate.Binop, reg uint32) (loaded, error) {
	in, err := l.load(b.Left, reg)
	if err != nil {
		return loaded{}, err
	}
	if in.dt == nil {
		return loaded{}, fmt.Errorf("bit operation on a concatenation")
	}
	c, err := constantN(in.dt, b.Right, in.shift, in.size)
	if err != nil {
		// value & other-expression (meta mark set ct mark & 0xff | meta mark) is not constant
		return loaded{}, err
	}
	zero := make([]byte, in.size)
	ones := make([]byte, in.size)
	for i := range ones {
		ones[i] = 0xff
	}
	var mask, xor []byte
	switch b.Op {
	case "&":
		mask, xor = c, zero
	case "|":
		mask, xor = make([]byte, in.size), c
		for i := range c {
			mask[i] = ^c[i]
		}
	case "^":
		mask, xor = ones, c
	default:
		return loaded{}, fmt.Errorf("operator %s not supported", b.Op)
	}
	// a & m | v is one bitwise: fold into the previous one, as nft does.
	if prev, ok := l.out[len(l.out)-1].(*expr.Bitwise); ok && prev.DestRegister == reg && len(prev.Mask) == len(mask) {
		for i := range mask {
			prev.Mask[i] &= mask[i]
			prev.Xor[i] = prev.Xor[i]&mask[i] ^ xor[i]
		}
		return in, nil
	}
	l.emit(&expr.Bitwise{SourceRegister: reg, DestRegister: reg, Len: uint32(in.size), Mask: mask, Xor: xor})
	return in, nil
}

// exthdr loads an IPv6 extension header field or a TCP option, or tests
// its presence (Field "").
func (l *lowerer) exthdr(v *translate.Exthdr, reg uint32) (loaded, error) {
	if v.Hdr == "tcp option" {
		opt, ok := tcpOptions[v.Name]
		if !ok {
			n, err := strconv.ParseUint(v.Name, 10, 8)
			if err != nil {
				return loaded{}, fmt.Errorf("tcp option %s not supported", v.Name)
			}
			opt = tcpOption{kind: uint8(n)}
		}
		if err := l.dependency("tcp", expr.PayloadBaseTransportHeader); err != nil {
			return loaded{}, err
		}
		if v.Field == "" {
			l.emit(&expr.Exthdr{DestRegister: reg, Type: opt.kind, Offset: 0, Len: 1, Flags: unix.NFT_EXTHDR_F_PRESENT, Op: expr.ExthdrOpTcpopt})
			return loaded{dt: tBool, size: 1}, nil
		}
		f, ok := opt.fields[v.Field]
		if !ok {
			return loaded{}, fmt.Errorf("tcp option %s %s not supported", v.Name, v.Field)
		}
		l.emit(&expr.Exthdr{DestRegister: reg, Type: opt.kind, Offset: f.off, Len: f.len, Op: expr.ExthdrOpTcpopt})
		return loaded{dt: f.dt, size: int(f.len)}, nil
	}
	if v.Hdr == "sctp chunk" {
		return l.sctpChunk(v, reg)
	}
	hdr, fieldName := v.Hdr, v.Field
	if hdr == "exthdr" {
		hdr = v.Name
	} else if fieldName == "" {
		fieldName = v.Name // rt0 addr[1]
	}
	h, ok := ip6Exthdrs[hdr]
	if !ok {
		return loaded{}, fmt.Errorf("extension header %s not supported", hdr)
	}
	if fieldName == "" {
		l.emit(&expr.Exthdr{DestRegister: reg, Type: h.typ, Offset: 0, Len: 1, Flags: unix.NFT_EXTHDR_F_PRESENT, Op: expr.ExthdrOpIpv6})
		return loaded{dt: tBool, size: 1}, nil
	}
	f, ok := h.fields[fieldName]
	if !ok {
		return loaded{}, fmt.Errorf("%s %s not supported", hdr, v.Field)
	}
	return l.bits(f.off, f.len, f.dt, reg, func(start, size uint32) expr.Any {
		return &expr.Exthdr{DestRegister: reg, Type: h.typ, Offset: start, Len: size, Op: expr.ExthdrOpIpv6}
	}), nil
}

type tcpOptField struct {
	off, len uint32 // bytes
	dt       *dtype
}

type tcpOption struct {
	kind   uint8
	fields map[string]tcpOptField
}

var tcpOptions = map[string]tcpOption{
	"eol": {kind: 0}, "nop": {kind: 1},
	"maxseg":    {kind: 2, fields: map[string]tcpOptField{"length": {1, 1, tInteger8}, "size": {2, 2, tInteger16}}},
	"window":    {kind: 3, fields: map[string]tcpOptField{"length": {1, 1, tInteger8}, "count": {2, 1, tInteger8}}},
	"sack-perm": {kind: 4, fields: map[string]tcpOptField{"length": {1, 1, tInteger8}}},
	"sack":      {kind: 5, fields: map[string]tcpOptField{"length": {1, 1, tInteger8}}},
	"timestamp": {kind: 8, fields: map[string]tcpOptField{"length": {1, 1, tInteger8}, "tsval": {2, 4, tInteger32}, "tsecr": {6, 4, tInteger32}}},
}

type ip6Exthdr struct {
	typ    uint8
	fields map[string]field
}

func exthdrFields(extra map[string]field) map[string]field {
	m := map[string]field{"nexthdr": {0, 0, 8, tInetProto}, "hdrlength": {0, 8, 8, tInteger8}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// ip6Exthdrs are the IPv6 extension headers (src/exthdr.c); offsets in bits.
var ip6Exthdrs = map[string]ip6Exthdr{
	"hbh": {0, exthdrFields(nil)},
	"rt": {43, exthdrFields(map[string]field{"type": {0, 16, 8, tInteger8}, "seg-left": {0, 24, 8, tInteger8},
		"addr[1]": {0, 64, 128, tIPv6}, "addr[2]": {0, 192, 128, tIPv6}})},
	"rt0": {43, exthdrFields(map[string]field{"addr[1]": {0, 64, 128, tIPv6}, "addr[2]": {0, 192, 128, tIPv6}})},
	"frag": {44, map[string]field{"nexthdr": {0, 0, 8, tInetProto}, "reserved": {0, 8, 8, tInteger8},
		"frag-off": {0, 16, 13, tInteger16}, "reserved2": {0, 29, 2, tInteger8}, "more-fragments": {0, 31, 1, tInteger8},
		"id": {0, 32, 32, tInteger32}}},
	"dst":  {60, exthdrFields(nil)},
	"mh":   {135, exthdrFields(map[string]field{"type": {0, 16, 8, tMHType}, "reserved": {0, 24, 8, tInteger8}, "checksum": {0, 32, 16, tInteger16}})},
	"ah":   {51, exthdrFields(nil)},
	"esp":  {50, exthdrFields(nil)},
	"comp": {108, exthdrFields(nil)},
}

// fib lowers fib saddr . iif type and friends.
func (l *lowerer) fib(v *translate.Fib, reg uint32) (loaded, error) {
	f := &expr.Fib{Register: reg}
	for _, fl := range v.Flags {
		switch fl {
		case "saddr":
			f.FlagSADDR = true
		case "daddr":
			f.FlagDADDR = true
		case "mark":
			f.FlagMARK = true
		case "iif":
			f.FlagIIF = true
		case "oif":
			f.FlagOIF = true
		default:
			return loaded{}, fmt.Errorf("fib flag %s not supported", fl)
		}
	}
	var dt *dtype
	switch v.Result {
	case "type":
		f.ResultADDRTYPE, dt = true, tFibAddr
	case "oif":
		f.ResultOIF, dt = true, tIfindex
	case "oifname":
		f.ResultOIFNAME, dt = true, tIfname
	default:
		return loaded{}, fmt.Errorf("fib result %s not supported", v.Result)
	}
	l.emit(f)
	return loaded{dt: dt, size: dt.bytes()}, nil
}

// named lowers the keyword-spelled loads the translator uses rarely.
func (l *lowerer) named(v *translate.Named, reg uint32) (loaded, error) {
	w := strings.Join(v.Words, " ")
	switch w {
	case "rt mtu":
		l.emit(&expr.Rt{Register: reg, Key: expr.RtTCPMSS})
		return loaded{dt: tHost16, size: 2}, nil
	case "rt ipsec":
		l.emit(&expr.Rt{Register: reg, Key: expr.RtKey(nftRtXfrm)})
		return loaded{dt: tBool, size: 1}, nil
	case "rt classid":
		l.emit(&expr.Rt{Register: reg, Key: expr.RtClassid})
		return loaded{dt: tRealm, size: 4}, nil
	}
	if strings.HasPrefix(w, "@nh,") || strings.HasPrefix(w, "@th,") {
		parts := strings.Split(w[4:], ",")
		if len(parts) == 2 {
			off, err1 := strconv.ParseUint(parts[0], 10, 32)
			n, err2 := strconv.ParseUint(parts[1], 10, 32)
			if err1 == nil && err2 == nil && n <= 32 {
				base := expr.PayloadBaseNetworkHeader
				if w[1] == 't' {
					base = expr.PayloadBaseTransportHeader
				}
				size := uint32((off+n+7)/8 - off/8)
				dt := &dtype{name: "integer", key: tInteger32.key, bits: int(size) * 8}
				return l.bits(uint32(off), uint32(n), dt, reg, func(start, size uint32) expr.Any {
					return &expr.Payload{DestRegister: reg, Base: base, Offset: start, Len: size}
				}), nil
			}
		}
	}
	return loaded{}, fmt.Errorf("%q not supported by the netlink backend", w)
}

// sctpChunks are SCTP chunk types (nft: sctp chunk NAME [FIELD]).
var sctpChunks = map[string]uint8{
	"data": 0, "init": 1, "init-ack": 2, "sack": 3, "heartbeat": 4, "heartbeat-ack": 5, "abort": 6,
	"shutdown": 7, "shutdown-ack": 8, "error": 9, "cookie-echo": 10, "cookie-ack": 11, "ecne": 12,
	"cwr": 13, "shutdown-complete": 14, "asconf-ack": 128, "forward-tsn": 192, "asconf": 193,
}

// nftExthdrOpSCTP is NFT_EXTHDR_OP_SCTP; nft adds no protocol dependency.
const nftExthdrOpSCTP = 3

func (l *lowerer) sctpChunk(v *translate.Exthdr, reg uint32) (loaded, error) {
	typ, ok := sctpChunks[v.Name]
	if !ok {
		return loaded{}, fmt.Errorf("sctp chunk %s not supported", v.Name)
	}
	switch v.Field {
	case "":
		l.emit(&expr.Exthdr{DestRegister: reg, Type: typ, Offset: 0, Len: 1, Flags: unix.NFT_EXTHDR_F_PRESENT, Op: nftExthdrOpSCTP})
		return loaded{dt: tBool, size: 1}, nil
	case "type", "flags":
		off := map[string]uint32{"type": 0, "flags": 1}[v.Field]
		l.emit(&expr.Exthdr{DestRegister: reg, Type: typ, Offset: off, Len: 1, Op: nftExthdrOpSCTP})
		return loaded{dt: tInteger8, size: 1}, nil
	case "length":
		l.emit(&expr.Exthdr{DestRegister: reg, Type: typ, Offset: 2, Len: 2, Op: nftExthdrOpSCTP})
		return loaded{dt: tInteger16, size: 2}, nil
	}
	return loaded{}, fmt.Errorf("sctp chunk %s %s not supported", v.Name, v.Field)
}
