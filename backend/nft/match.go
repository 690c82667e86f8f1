package nft

import (
	"fmt"
	"strings"

	"github.com/google/nftables/expr"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

var cmpOps = map[translate.Op]expr.CmpOp{
	translate.OpEq: expr.CmpOpEq, "": expr.CmpOpEq, translate.OpNe: expr.CmpOpNeq,
	translate.OpLt: expr.CmpOpLt, translate.OpGt: expr.CmpOpGt, translate.OpLe: expr.CmpOpLte, translate.OpGe: expr.CmpOpGte,
}

// match lowers a relational statement the way nft's evaluator does.
func (l *lowerer) match(m *translate.Match) error {
	right := m.Right
	// A one-element anonymous set is a plain comparison (nft simplifies it).
	if s, ok := right.(*translate.SetLit); ok && len(s.Elems) == 1 {
		if _, concat := m.Left.(*translate.Concat); !concat && !isInterval(s.Elems[0]) {
			right = s.Elems[0]
		}
	}
	in, err := l.load(m.Left, 1)
	if err != nil {
		return err
	}
	switch m.Op {
	case translate.OpExists, translate.OpMissing:
		v := byte(0)
		if m.Op == translate.OpExists {
			v = 1
		}
		l.emit(l.cmp(expr.CmpOpEq, l.byte1(v)))
		return nil
	}
	neg := m.Op == translate.OpNe
	switch r := right.(type) {
	case *translate.SetLit:
		key := []loaded{in}
		if in.parts != nil {
			key = in.parts
		}
		sp, err := l.anonSet(key, r.Elems)
		if err != nil {
			return err
		}
		l.lookup(sp, neg)
		return nil
	case *translate.SetRef:
		sp, err := l.namedSet(r.Name)
		if err != nil {
			return err
		}
		l.lookup(sp, neg)
		return nil
	}
	if in.dt == nil {
		return fmt.Errorf("a concatenation can only be looked up in a set")
	}
	switch r := right.(type) {
	case *translate.Range:
		return l.inRange(m.Op, in, r)
	case *translate.Bitmask:
		return l.masked(m.Op, in, r)
	case *translate.Addr:
		if r.Prefix.Bits() < r.Prefix.Addr().BitLen() {
			return l.prefix(m, in, r)
		}
	case *translate.Str:
		if in.dt.Str && strings.HasSuffix(r.V, "*") {
			// iifname "eth*": compare only the prefix.
			l.emit(l.cmp(cmpOps[m.Op], []byte(strings.TrimSuffix(r.V, "*"))))
			return nil
		}
	case *translate.Sym, *translate.Flags, *translate.Int:
		if done, err := l.bitTest(m, in, right); done || err != nil {
			return err
		}
	}
	return l.compare(m.Op, in, right)
}

// inRange lowers "left [!=] lo-hi".
func (l *lowerer) inRange(op translate.Op, in loaded, r *translate.Range) error {
	lo, err := constantN(in.dt, r.Lo, in.shift, in.size)
	if err != nil {
		return err
	}
	hi, err := constantN(in.dt, r.Hi, in.shift, in.size)
	if err != nil {
		return err
	}
	if in.dt.Host {
		l.hton(in.size)
		lo, hi = toNetwork(lo), toNetwork(hi)
	}
	switch op {
	case translate.OpEq, "":
		l.emit(l.cmp(expr.CmpOpGte, lo), l.cmp(expr.CmpOpLte, hi))
	case translate.OpNe:
		l.emit(&expr.Range{Op: expr.CmpOpNeq, Register: 1, FromData: lo, ToData: hi})
	default:
		return fmt.Errorf("operator %s with a range", op)
	}
	return nil
}

// masked lowers "left value / mask" (tcp flags syn / syn,ack).
func (l *lowerer) masked(op translate.Op, in loaded, r *translate.Bitmask) error {
	mask, err := constantN(in.dt, r.Mask, in.shift, in.size)
	if err != nil {
		return err
	}
	val, err := constantN(in.dt, r.Value, in.shift, in.size)
	if err != nil {
		return err
	}
	l.emit(&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: uint32(in.size), Mask: mask, Xor: make([]byte, in.size)})
	l.emit(l.cmp(cmpOps[op], val))
	return nil
}

// bitTest lowers a bare constant of a flag type (ct state
// established,related) as nft does: a test of its bits. done is false
// when the statement is an ordinary comparison.
func (l *lowerer) bitTest(m *translate.Match, in loaded, right translate.Expr) (done bool, err error) {
	if _, isInt := right.(*translate.Int); isInt && in.dt != desc.CTLabelType {
		return false, nil
	}
	_, leftIsBinop := m.Left.(*translate.Binop)
	if !in.dt.Flags || leftIsBinop || (m.Op != translate.OpEq && m.Op != "" && m.Op != translate.OpNot) {
		return false, nil
	}
	v, err := constantN(in.dt, right, in.shift, in.size)
	if err != nil {
		return true, err
	}
	l.emit(&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: uint32(in.size), Mask: v, Xor: make([]byte, in.size)})
	op := expr.CmpOpNeq
	if m.Op == translate.OpNot {
		op = expr.CmpOpEq
	}
	l.emit(l.cmp(op, make([]byte, in.size)))
	return true, nil
}

// compare lowers "left OP constant"; host-order values are converted
// before ordered comparisons.
func (l *lowerer) compare(op translate.Op, in loaded, right translate.Expr) error {
	cop, ok := cmpOps[op]
	if !ok {
		return fmt.Errorf("operator %s not supported", op)
	}
	v, err := constantN(in.dt, right, in.shift, in.size)
	if err != nil {
		return err
	}
	if in.dt.Host && cop != expr.CmpOpEq && cop != expr.CmpOpNeq {
		l.hton(in.size)
		v = toNetwork(v)
	}
	l.emit(l.cmp(cop, v))
	return nil
}

// prefix lowers addr/len: a byte-aligned prefix of a header field loads
// fewer bytes, any other is masked (nft's payload prefix handling).
func (l *lowerer) prefix(m *translate.Match, in loaded, a *translate.Addr) error {
	op, ok := cmpOps[m.Op]
	if !ok || (op != expr.CmpOpEq && op != expr.CmpOpNeq) {
		return fmt.Errorf("operator %s with a prefix", m.Op)
	}
	bits := a.Prefix.Bits()
	val := a.Prefix.Masked().Addr().AsSlice()
	if p, isPayload := l.out[len(l.out)-1].(*expr.Payload); isPayload && bits%8 == 0 && bits > 0 {
		p.Len = uint32(bits / 8)
		l.emit(l.cmp(op, val[:bits/8]))
		return nil
	}
	mask := make([]byte, len(val))
	for i := 0; i < bits; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	l.emit(&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: uint32(len(val)), Mask: mask, Xor: make([]byte, len(val))})
	l.emit(l.cmp(op, val))
	return nil
}

// hton converts a host-order register to network order, which nft does
// before ordered comparisons of host-order integers.
func (l *lowerer) hton(size int) {
	if !hostLittle || size == 1 {
		return
	}
	l.emit(&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: uint32(size), Size: uint32(size)})
}

// toNetwork reverses a host-order (little-endian) constant.
func toNetwork(b []byte) []byte {
	if !hostLittle {
		return b
	}
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}

func isInterval(e translate.Expr) bool {
	switch v := e.(type) {
	case *translate.Range:
		return true
	case *translate.Addr:
		return v.Prefix.Bits() != v.Prefix.Addr().BitLen()
	case *translate.Str:
		return strings.HasSuffix(v.V, "*") // an interface name wildcard
	case *translate.Elem:
		return isInterval(v.Key)
	}
	return false
}
