package probe

import (
	"fmt"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// KeyKind says what kind of thing a key is.
type KeyKind uint8

// Key kinds.
const (
	KField  KeyKind = iota // a header field (translate.Payload)
	KMeta                  // a meta key
	KCT                    // a conntrack key
	KFib                   // a fib lookup
	KExthdr                // the presence of an extension header, TCP option or SCTP chunk
	KRaw                   // a raw load of bits from a payload base (@nh,8,8)
	KOpaque                // anything a probe cannot choose (socket, rt, ipsec, numgen, hash, link-layer raw loads)
)

// Key is what a condition of a rule tests about a packet: a header field,
// a meta or conntrack key, a fib lookup, a header's presence. Keys are
// comparable and point at the descriptors of translate/desc.
type Key struct {
	Kind  KeyKind
	Field *desc.Field
	Meta  *desc.MetaKey
	CT    *desc.CTKey
	Dir   desc.Direction
	Hdr   *desc.Proto
	// Fib is the fib expression's result; FibFlags its inputs (a bit set
	// of desc.FibFlag.Bit).
	Fib      *desc.FibResult
	FibFlags uint32
	// Raw is a raw load's base, bit offset and length.
	Raw [3]uint32
	// Name is the expression as nft writes it (opaque keys are known by
	// it alone).
	Name string
}

// Type is the key's nft data type (nil for conntrack addresses, whose
// type is the family's address type, and for opaque keys).
func (k Key) Type() *desc.Type {
	switch k.Kind {
	case KField:
		return k.Field.Type
	case KMeta:
		return k.Meta.Type
	case KCT:
		return k.CT.Type
	case KFib:
		return k.Fib.Type
	case KExthdr:
		return desc.Boolean
	}
	return nil
}

// Width is the key's width in bits (v6 decides the width of conntrack
// addresses).
func (k Key) Width(v6 bool) int {
	switch k.Kind {
	case KField:
		return int(k.Field.Len)
	case KExthdr:
		return 1
	case KRaw:
		return int(k.Raw[2])
	case KOpaque:
		return 64
	}
	t := k.Type()
	if t == nil {
		if v6 {
			return 128
		}
		return 32
	}
	return t.Bits
}

// IsStr reports whether the key's values are strings (interface names).
func (k Key) IsStr() bool {
	t := k.Type()
	return t != nil && t.Str
}

func (k Key) String() string { return k.Name }

// keyOf returns the key an expression loads and the operations applied to
// it (a Binop chain with constant right sides).
func keyOf(e translate.Expr) (Key, []binop, error) {
	switch x := e.(type) {
	case *translate.Payload:
		return Key{Kind: KField, Field: x.Field, Name: x.Field.String()}, nil, nil
	case *translate.Meta:
		return Key{Kind: KMeta, Meta: x.Key, Name: x.Key.String()}, nil, nil
	case *translate.CT:
		name := "ct " + x.Key.Name
		if x.Dir != desc.CTAnyDir {
			name = "ct " + string(x.Dir) + " " + x.Key.Name
		}
		return Key{Kind: KCT, CT: x.Key, Dir: x.Dir, Name: name}, nil, nil
	case *translate.Fib:
		var fl uint32
		for _, f := range x.Flags {
			fl |= f.Bit
		}
		return Key{Kind: KFib, Fib: x.Result, FibFlags: fl, Name: translate.RenderExpr(x)}, nil, nil
	case *translate.Exthdr:
		return Key{Kind: KExthdr, Hdr: x.Hdr, Name: x.Hdr.Presence()}, nil, nil
	case *translate.Binop:
		k, ops, err := keyOf(x.Left)
		if err != nil {
			return k, nil, err
		}
		v, err := constNum(k, false, x.Right)
		if err != nil {
			return k, nil, err
		}
		return k, append(ops, binop{x.Op, v}), nil
	case *translate.Raw:
		if (x.Base == desc.NetworkHeader || x.Base == desc.TransportHeader) && x.Len <= 64 {
			return Key{Kind: KRaw, Raw: [3]uint32{uint32(x.Base), x.Offset, x.Len}, Name: translate.RenderExpr(e)}, nil, nil
		}
		return Key{Kind: KOpaque, Name: translate.RenderExpr(e)}, nil, nil
	case *translate.Socket, *translate.Rt, *translate.Ipsec, *translate.Numgen, *translate.Hash:
		return Key{Kind: KOpaque, Name: translate.RenderExpr(e)}, nil, nil
	}
	return Key{}, nil, fmt.Errorf("no probe key for %s", translate.RenderExpr(e))
}

// binop is one operation of a left-hand side: "&", "|", "^", ">>", "<<"
// with a constant.
type binop struct {
	op string
	v  Num
}

func apply(v Num, ops []binop) Num {
	for _, o := range ops {
		switch o.op {
		case "&":
			v = v.And(o.v)
		case "|":
			v = v.Or(o.v)
		case "^":
			v = v.Xor(o.v)
		case ">>":
			v = v.Shr(uint(o.v.Lo))
		case "<<":
			v = v.Shl(uint(o.v.Lo))
		}
	}
	return v
}

// constNum is the value of a constant compared with key k.
func constNum(k Key, v6 bool, e translate.Expr) (Num, error) {
	t := k.Type()
	switch x := e.(type) {
	case *translate.Int:
		if t == desc.CTLabelType {
			return Bit(int(x.V)), nil
		}
		return N(x.V), nil
	case *translate.Sym:
		if t != nil {
			if n, ok := t.Symbol(x.Name); ok {
				return N(n), nil
			}
		}
		return Num{}, fmt.Errorf("%s: unknown symbol %q", k, x.Name)
	case *translate.Flags:
		var n uint64
		for _, f := range x.Names {
			if t == nil {
				return Num{}, fmt.Errorf("%s: flags without a type", k)
			}
			v, ok := t.Symbol(f)
			if !ok {
				return Num{}, fmt.Errorf("%s: unknown flag %q", k, f)
			}
			n |= v
		}
		return N(n), nil
	case *translate.Addr:
		return AddrNum(x.Prefix.Masked().Addr()), nil
	case *translate.MAC:
		var n uint64
		for _, b := range x.V {
			n = n<<8 | uint64(b)
		}
		return N(n), nil
	case *translate.Time:
		return N(uint64(x.D.Milliseconds())), nil
	case *translate.Clock:
		return N(uint64(x.Secs)), nil
	}
	return Num{}, fmt.Errorf("%s: %s is not a constant a probe can reproduce", k, translate.RenderExpr(e))
}
