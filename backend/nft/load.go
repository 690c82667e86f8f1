package nft

import (
	"fmt"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// load emits the expressions that put e's value in register reg and says
// what is there. Payloads get the protocol dependency nft would insert.
func (l *lowerer) load(e translate.Expr, reg uint32) (loaded, error) {
	switch v := e.(type) {
	case *translate.Payload:
		return l.field(v.Field, reg)
	case *translate.Meta:
		l.emit(l.meta(expr.Meta{Key: expr.MetaKey(v.Key.Key), Register: reg}))
		return typed(v.Key.Type), nil
	case *translate.CT:
		return l.ct(v, reg)
	case *translate.Binop:
		return l.binop(v, reg)
	case *translate.Concat:
		// Protocol dependencies first, as nft emits them: a later part's
		// (iifname . tcp dport) would overwrite the parts already loaded.
		for _, x := range v.Exprs {
			if p, ok := x.(*translate.Payload); ok && p.Field.Proto.Kind == desc.Payload {
				l.dependency(p.Field.Proto)
			}
		}
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
		return l.presence(v.Hdr, reg)
	case *translate.Fib:
		return l.fib(v, reg)
	case *translate.Socket:
		if v.Key == desc.SocketCgroupv2 {
			return loaded{}, fmt.Errorf("socket cgroupv2 not supported by the netlink backend")
		}
		l.emit(&expr.Socket{Key: expr.SocketKey(v.Key.Key), Register: reg})
		return typed(v.Key.Type), nil
	case *translate.Rt:
		l.emit(&expr.Rt{Register: reg, Key: expr.RtKey(v.Key.Key)})
		return typed(v.Key.Type), nil
	case *translate.Raw:
		if v.Len > 32 {
			return loaded{}, fmt.Errorf("raw payload of %d bits not supported", v.Len)
		}
		size := (v.Offset+v.Len+7)/8 - v.Offset/8
		dt := &desc.Type{Name: "integer", ID: desc.Integer32.ID, Bits: int(size) * 8}
		base := payloadBases[v.Base]
		return l.bits(v.Offset, v.Len, dt, reg, func(start, size uint32) expr.Any {
			return l.payload(expr.Payload{DestRegister: reg, Base: base, Offset: start, Len: size})
		}), nil
	case *translate.Ipsec:
		return loaded{}, fmt.Errorf("ipsec %s %s not supported by the netlink backend", v.Dir, v.Key.Name)
	case *translate.MapLookup:
		if _, err := l.load(v.Key, reg); err != nil {
			return loaded{}, err
		}
		sp, err := l.mapLookup(v.Map, reg, reg)
		if err != nil {
			return loaded{}, err
		}
		if sp.data[0].dt == desc.Verdict {
			return loaded{}, fmt.Errorf("verdict map @%s used as a value", sp.Set.Name)
		}
		if len(sp.data) == 1 {
			return sp.data[0], nil
		}
		words := 0
		for _, d := range sp.data {
			words += (d.size + 3) / 4
		}
		return loaded{parts: sp.data, size: words * 4}, nil
	case *translate.Numgen:
		typ := uint32(unix.NFT_NG_INCREMENTAL)
		if v.Mode == "random" {
			typ = unix.NFT_NG_RANDOM
		}
		l.emit(&expr.Numgen{Register: reg, Modulus: v.Mod, Type: typ, Offset: v.Offset})
		return typed(desc.Host32), nil
	}
	return loaded{}, fmt.Errorf("expression %s not supported as a value source", translate.RenderExpr(e))
}

// typed is what a load of a whole value of type t leaves.
func typed(t *desc.Type) loaded { return loaded{dt: t, size: t.Bytes()} }

// field loads a header field, inserting nft's protocol dependency and
// masking sub-byte fields; the header's kind says how it is found.
func (l *lowerer) field(f *desc.Field, reg uint32) (loaded, error) {
	p := f.Proto
	switch p.Kind {
	case desc.Payload:
		l.dependency(p)
		base := payloadBases[p.Base]
		return l.bits(f.Offset, f.Len, f.Type, reg, func(start, size uint32) expr.Any {
			return l.payload(expr.Payload{DestRegister: reg, Base: base, Offset: start, Len: size})
		}), nil
	case desc.IPv6Ext:
		l.family(desc.NFProtoIPv6) // nft tests the family first in inet tables
		return l.bits(f.Offset, f.Len, f.Type, reg, func(start, size uint32) expr.Any {
			return &expr.Exthdr{DestRegister: reg, Type: p.Number, Offset: start, Len: size, Op: expr.ExthdrOpIpv6}
		}), nil
	case desc.TCPOption:
		l.dependency(p.Parent)
		l.emit(&expr.Exthdr{DestRegister: reg, Type: p.Number, Offset: f.Offset / 8, Len: f.Len / 8, Op: expr.ExthdrOpTcpopt})
		return loaded{dt: f.Type, size: int(f.Len / 8)}, nil
	case desc.SCTPChunk:
		// nft adds no protocol dependency before SCTP chunk fields.
		l.emit(&expr.Exthdr{DestRegister: reg, Type: p.Number, Offset: f.Offset / 8, Len: f.Len / 8, Op: nftExthdrOpSCTP})
		return loaded{dt: f.Type, size: int(f.Len / 8)}, nil
	}
	return loaded{}, fmt.Errorf("%s not supported", f)
}

// presence tests that a header found by walking the packet is there.
func (l *lowerer) presence(p *desc.Proto, reg uint32) (loaded, error) {
	var op expr.ExthdrOp
	switch p.Kind {
	case desc.IPv6Ext:
		l.family(desc.NFProtoIPv6) // nft tests the family first in inet tables
		op = expr.ExthdrOpIpv6
	case desc.TCPOption:
		l.dependency(p.Parent)
		op = expr.ExthdrOpTcpopt
	case desc.SCTPChunk:
		op = nftExthdrOpSCTP
	default:
		return loaded{}, fmt.Errorf("presence of %s not supported", p)
	}
	l.emit(&expr.Exthdr{DestRegister: reg, Type: p.Number, Offset: 0, Len: 1, Flags: unix.NFT_EXTHDR_F_PRESENT, Op: op})
	return loaded{dt: desc.Boolean, size: 1}, nil
}

// nftExthdrOpSCTP is NFT_EXTHDR_OP_SCTP (google/nftables v0.3.0 has no name for it).
const nftExthdrOpSCTP = 3

// bits loads the bytes holding a field of n bits at bit offset off (load
// builds the load of size bytes at byte start) and masks a field that does
// not fill them, as nft does; the value sits shift bits up.
func (l *lowerer) bits(off, n uint32, dt *desc.Type, reg uint32, load func(start, size uint32) expr.Any) loaded {
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

// dependency emits the protocol match nft adds before a field of header p
// when the rule has not established that protocol yet.
func (l *lowerer) dependency(p *desc.Proto) {
	switch p.Base {
	case desc.NetworkHeader:
		l.family(p.NFProto)
	case desc.TransportHeader:
		if !p.Implied || l.l4 == uint64(p.Number) {
			return // th: raw transport header, no dependency
		}
		if l.fam == translate.FamilyInet && p.NFProto != 0 {
			l.family(p.NFProto) // icmp and icmpv6 belong to one family
		}
		l.emit(l.meta(expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}),
			l.cmp(expr.CmpOpEq, l.byte1(p.Number)))
		l.l4 = uint64(p.Number)
	case desc.LinkHeader:
		if !l.ll {
			l.emit(l.meta(expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: 1}),
				l.cmp(expr.CmpOpEq, intBytes(1, 2, true)))
			l.ll = true
		}
	}
}

// family emits meta nfproto in inet tables, where a network header's
// fields need it.
func (l *lowerer) family(nfproto uint8) {
	if l.fam != translate.FamilyInet || l.l3 == nfproto {
		return
	}
	l.emit(l.meta(expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}),
		l.cmp(expr.CmpOpEq, l.byte1(nfproto)))
	l.l3 = nfproto
}

// noteContext records the protocol a statement establishes (meta l4proto
// tcp, ip protocol tcp, meta nfproto ipv4), as nft's evaluator does.
func (l *lowerer) noteContext(m *translate.Match) {
	if m.Op != translate.OpEq && m.Op != "" {
		return
	}
	s, isSym := m.Right.(*translate.Sym)
	value := func(t *desc.Type) (uint64, bool) {
		if isSym {
			return t.Symbol(s.Name)
		}
		if i, isInt := m.Right.(*translate.Int); isInt {
			return i.V, true
		}
		return 0, false
	}
	switch left := m.Left.(type) {
	case *translate.Meta:
		switch left.Key {
		case desc.MetaL4proto:
			n, _ := value(desc.InetProto)
			l.l4 = n
		case desc.MetaNfproto:
			if n, ok := value(desc.NFProto); ok && isSym {
				l.l3 = uint8(n)
			}
		case desc.MetaIiftype:
			l.ll = isSym && s.Name == "ether"
		}
	case *translate.Payload:
		if left.Field == desc.IPProtocol || left.Field == desc.IP6Nexthdr {
			n, _ := value(desc.InetProto)
			l.l4 = n
		}
	}
}

// ct loads a conntrack key; address keys without a family take the
// table's.
func (l *lowerer) ct(v *translate.CT, reg uint32) (loaded, error) {
	k := v.Key
	dt := k.Type
	if dt == nil {
		switch l.fam {
		case translate.FamilyIP:
			dt = desc.IPv4Addr
		case translate.FamilyIP6:
			dt = desc.IPv6Addr
		default:
			return loaded{}, fmt.Errorf("ct %s in an inet table needs ip or ip6", k.Name)
		}
	}
	ce := &expr.Ct{Register: reg, Key: expr.CtKey(k.Key)}
	if v.Dir != desc.CTAnyDir && k == desc.CTProtocol {
		// The kernel answers ct protocol with the connection's protocol
		// whatever the direction (nf_ct_protonum), and nft lists
		// "ct original protocol" as "ct protocol": the direction, which
		// google/nftables v0.3.0 cannot send for this key, changes nothing.
		l.emit(ce)
		return typed(dt), nil
	}
	if v.Dir != desc.CTAnyDir && ctDirKeys[k] {
		ce.Key = expr.CtKey(ctDirKey(k.Key, v.Dir.Number())) // see ctdir.go
		l.emit(ce)
		return typed(dt), nil
	}
	if v.Dir != desc.CTAnyDir {
		switch k {
		case desc.CTSaddr, desc.CTDaddr, desc.CTProtoSrc, desc.CTProtoDst:
		default:
			// google/nftables v0.3.0 sends a direction only for these keys.
			return loaded{}, fmt.Errorf("ct %s %s not supported by the netlink backend", v.Dir, k.Name)
		}
		// The kernel reads NFTA_CT_DIRECTION as a u8 (nla_get_u8: the first
		// byte); google/nftables v0.3.0 writes it as a big-endian u32, so the
		// direction goes in the top byte.
		ce.Direction = uint32(v.Dir.Number()) << 24
	}
	l.emit(ce)
	return typed(dt), nil
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

// fib lowers fib saddr . iif type and friends.
func (l *lowerer) fib(v *translate.Fib, reg uint32) (loaded, error) {
	f := &expr.Fib{Register: reg}
	for _, fl := range v.Flags {
		switch fl {
		case desc.FibSaddr:
			f.FlagSADDR = true
		case desc.FibDaddr:
			f.FlagDADDR = true
		case desc.FibMark:
			f.FlagMARK = true
		case desc.FibIif:
			f.FlagIIF = true
		case desc.FibOif:
			f.FlagOIF = true
		}
	}
	switch v.Result {
	case desc.FibResultType:
		f.ResultADDRTYPE = true
	case desc.FibResultOif:
		f.ResultOIF = true
	case desc.FibResultOifname:
		f.ResultOIFNAME = true
	}
	l.emit(f)
	return typed(v.Result.Type), nil
}
