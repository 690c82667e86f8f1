package nft

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func lowerSet(t *nftables.Table, fam translate.Family, s *translate.Set) (*SetProgram, error) {
	var key []loaded
	var udata []byte
	if len(s.Typeof) > 0 {
		var err error
		if key, udata, err = typeofKey(s.Typeof); err != nil {
			return nil, err
		}
	}
	for _, d := range s.Type {
		key = append(key, typed(d))
	}
	ns := &nftables.Set{Table: t, Name: s.Name, Comment: s.Comment, Size: uint32(s.Size), Timeout: s.Timeout, ID: nextSetID(),
		Counter: s.Counter}
	if err := setKey(ns, key); err != nil {
		return nil, err
	}
	if len(key) == 1 && key[0].dt.Str {
		// nft records string keys (interface names) as host order; for a
		// constant or interval set google/nftables writes big endian,
		// and nft then lists every name as "". The last value counts.
		udata = append(udata, udU32(byte(userdata.NFTNL_UDATA_SET_KEYBYTEORDER), 1)...)
	}
	var data []loaded
	if len(s.Data) > 0 {
		var err error
		if data, err = setData(ns, s.Data); err != nil {
			return nil, err
		}
		if len(data) == 1 && data[0].dt.Host {
			// nft records host-order values (marks) so that listings
			// print them right (NFTNL_UDATA_SET_DATABYTEORDER: host).
			udata = append(udata, udU32(byte(userdata.NFTNL_UDATA_SET_DATABYTEORDER), 1)...)
		}
	}
	for _, f := range s.Flags {
		switch f {
		case translate.SetConstant:
			ns.Constant = true
		case translate.SetInterval:
			ns.Interval = true
		case translate.SetTimeout:
			ns.HasTimeout = true
		case translate.SetDynamic:
			ns.Dynamic = true
		default:
			return nil, fmt.Errorf("set flag %s not supported", f)
		}
	}
	if s.Timeout > 0 {
		ns.HasTimeout = true
	}
	els, err := elements(key, data, s.Elems, ns.Interval)
	if err != nil {
		return nil, err
	}
	return &SetProgram{Set: ns, Elems: els, key: key, data: data, udata: udata}, nil
}

// setData makes ns a map whose values have the given types (a verdict
// map for desc.Verdict) and returns how values are laid out.
func setData(ns *nftables.Set, types []*desc.Type) ([]loaded, error) {
	ns.IsMap = true
	if len(types) == 1 && types[0] == desc.Verdict {
		ns.DataType = nftables.TypeVerdict
		return []loaded{{dt: desc.Verdict}}, nil
	}
	var data []loaded
	var dts []nftables.SetDatatype
	for _, t := range types {
		dt, err := setDatatype(t)
		if err != nil {
			return nil, err
		}
		dts = append(dts, dt)
		data = append(data, typed(t))
	}
	if len(dts) == 1 {
		ns.DataType = dts[0]
		return data, nil
	}
	dt, err := nftables.ConcatSetType(dts...)
	ns.DataType = dt
	return data, err
}

// elements encodes a set's elements (a map's with their values, laid out
// as data says).
func elements(key, data []loaded, elems []translate.Expr, interval bool) ([]nftables.SetElement, error) {
	var out []nftables.SetElement
	for _, e := range elems {
		el, ok := e.(*translate.Elem)
		if !ok {
			el = &translate.Elem{Key: e}
		}
		enc, err := setElems(key, el.Key, interval)
		if err != nil {
			return nil, err
		}
		if el.Counter != nil && (el.Counter.Packets != 0 || el.Counter.Bytes != 0) {
			return nil, fmt.Errorf("element %s: initial element counters are not supported by the netlink backend", translate.RenderExpr(el.Key))
		}
		// The value, time left and comment go with the element's first
		// key (an interval's start).
		enc[0].Comment = el.Comment
		enc[0].Timeout = el.Timeout
		if (el.Value != nil) != (len(data) > 0) {
			return nil, fmt.Errorf("element %s: a map element needs a value, a set element has none", translate.RenderExpr(e))
		}
		if el.Value != nil {
			if err := elemValue(&enc[0], data, el.Value); err != nil {
				return nil, err
			}
		}
		out = append(out, enc...)
	}
	return out, nil
}

// elemValue encodes a map element's value.
func elemValue(el *nftables.SetElement, data []loaded, v translate.Expr) error {
	if data[0].dt == desc.Verdict {
		vd, ok := v.(*translate.Verdict)
		if !ok {
			return fmt.Errorf("value %s of a verdict map is not a verdict", translate.RenderExpr(v))
		}
		k, ok := verdictKinds[vd.Kind]
		if !ok {
			return fmt.Errorf("verdict %s not supported in a map", vd.Kind)
		}
		el.VerdictData = &expr.Verdict{Kind: k, Chain: vd.Chain}
		return nil
	}
	parts := []translate.Expr{v}
	if c, ok := v.(*translate.Concat); ok {
		parts = c.Exprs
	}
	if len(parts) != len(data) {
		return fmt.Errorf("value %s does not match the map's type", translate.RenderExpr(v))
	}
	for i, x := range parts {
		b, err := constant(data[i].dt, x, 0)
		if err != nil {
			return err
		}
		if len(data) > 1 {
			b = pad4(b)
		}
		el.Val = append(el.Val, b...)
	}
	return nil
}

// setElems encodes one element (a value, a prefix or a range) of a set
// whose key has the given types.
func setElems(key []loaded, e translate.Expr, interval bool) ([]nftables.SetElement, error) {
	if len(key) != 1 {
		c, ok := e.(*translate.Concat)
		if !ok || len(c.Exprs) != len(key) {
			return nil, fmt.Errorf("element %s does not match the key", translate.RenderExpr(e))
		}
		// A concatenation of ranges (interval set): key and key end; the
		// host-order parts of an interval set's keys in network order
		// (swapHostParts).
		var lo, hi []byte
		for i, x := range c.Exprs {
			a, b, err := bounds(key[i], x)
			if err != nil {
				return nil, err
			}
			if interval && swapped(key[i].dt, len(a)) {
				a, b = toNetwork(a), toNetwork(b)
			}
			lo, hi = append(lo, pad4(a)...), append(hi, pad4(b)...)
		}
		if interval {
			return []nftables.SetElement{{Key: lo, KeyEnd: hi}}, nil
		}
		return []nftables.SetElement{{Key: lo}}, nil
	}
	lo, hi, err := bounds(key[0], e)
	if err != nil {
		return nil, err
	}
	if !interval {
		if !equalBytes(lo, hi) {
			return nil, fmt.Errorf("range %s in a set without the interval flag", translate.RenderExpr(e))
		}
		return []nftables.SetElement{{Key: lo}}, nil
	}
	end, wrapped := increment(hi, key[0].dt.Host)
	els := []nftables.SetElement{{Key: lo}}
	if !wrapped {
		els = append(els, nftables.SetElement{Key: end, IntervalEnd: true})
	}
	return els, nil
}

// bounds returns the first and last value an element covers.
func bounds(k loaded, e translate.Expr) (lo, hi []byte, err error) {
	switch v := e.(type) {
	case *translate.Range:
		if lo, err = constantN(k.dt, v.Lo, k.shift, k.size); err != nil {
			return nil, nil, err
		}
		hi, err = constantN(k.dt, v.Hi, k.shift, k.size)
		return lo, hi, err
	case *translate.Str:
		if k.dt.Str && strings.HasSuffix(v.V, "*") {
			// "eth*": every name that starts with eth, the range nft
			// makes of a wildcard in an interval set.
			lo = make([]byte, k.size)
			hi = make([]byte, k.size)
			n := copy(lo, strings.TrimSuffix(v.V, "*"))
			copy(hi, lo[:n])
			for i := n; i < len(hi); i++ {
				hi[i] = 0xff
			}
			return lo, hi, nil
		}
	case *translate.Addr:
		a := v.Prefix.Masked().Addr().AsSlice()
		last := append([]byte(nil), a...)
		for i := v.Prefix.Bits(); i < len(a)*8; i++ {
			last[i/8] |= 0x80 >> (i % 8)
		}
		return a, last, nil
	}
	lo, err = constantN(k.dt, e, k.shift, k.size)
	return lo, lo, err
}

// increment returns b+1 in the given byte order, and whether it wrapped.
func increment(b []byte, host bool) ([]byte, bool) {
	out := append([]byte(nil), b...)
	if host && hostLittle {
		for i := 0; i < len(out); i++ {
			out[i]++
			if out[i] != 0 {
				return out, false
			}
		}
		return out, true
	}
	for i := len(out) - 1; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			return out, false
		}
	}
	return out, true
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

// pad4 pads a concatenation component to the 32-bit register boundary.
func pad4(b []byte) []byte {
	if n := len(b) % 4; n != 0 {
		b = append(b, make([]byte, 4-n)...)
	}
	return b
}

// anonSet declares an anonymous constant set for a rule: { a, b, c }.
func (l *lowerer) anonSet(key []loaded, elems []translate.Expr) (*SetProgram, error) {
	ns := &nftables.Set{Table: l.table, Anonymous: true, Constant: true, Name: "__set%d", ID: nextSetID()}
	if err := setKey(ns, key); err != nil {
		return nil, err
	}
	for _, e := range elems {
		if c, ok := e.(*translate.Concat); ok {
			for _, x := range c.Exprs {
				ns.Interval = ns.Interval || isInterval(x)
			}
		} else if isInterval(e) {
			ns.Interval = true
		}
	}
	els, err := elements(key, nil, elems, ns.Interval)
	if err != nil {
		return nil, err
	}
	sp := &SetProgram{Set: ns, Elems: els, key: key}
	l.anon = append(l.anon, sp)
	return sp, nil
}

// setKey sets a set's key type from what the key expressions load.
func setKey(ns *nftables.Set, key []loaded) error {
	for _, k := range key {
		if k.dt == nil {
			return fmt.Errorf("nested concatenation")
		}
	}
	if len(key) == 1 {
		kt, err := setDatatype(key[0].dt)
		if err != nil {
			return err
		}
		if key[0].keyBytes != 0 {
			kt.Bytes = key[0].keyBytes
		}
		ns.KeyType = kt
		if key[0].dt.Host {
			// nft records host-order keys so that listings print them right
			ns.KeyByteOrder = binaryutil.NativeEndian
		}
		return nil
	}
	var ks []nftables.SetDatatype
	for _, k := range key {
		kt, err := setDatatype(k.dt)
		if err != nil {
			return err
		}
		if k.keyBytes != 0 {
			kt.Bytes = k.keyBytes
		}
		ks = append(ks, kt)
	}
	kt, err := nftables.ConcatSetType(ks...)
	if err != nil {
		return err
	}
	ns.KeyType = kt
	ns.Concatenation = true
	return nil
}

// lookup emits a lookup of the value in register 1 in set sp.
func (l *lowerer) lookup(sp *SetProgram, invert bool) {
	l.swapHostParts(sp, 1)
	l.emit(put(&l.arena().lookups, expr.Lookup{SourceRegister: 1, SetName: sp.Set.Name, SetID: sp.Set.ID, Invert: invert}))
}

// swapped reports whether a key part of type dt, size bytes wide, is held
// in network order in a concatenated interval set: a host-order integer
// that nft's byteorder can turn around (2, 4 or 8 bytes).
func swapped(dt *desc.Type, size int) bool {
	return dt != nil && dt.Host && (size == 2 || size == 4 || size == 8)
}

// swapHostParts turns the host-order parts (ct state, marks) of a key
// loaded from register reg on into network order when sp is a
// concatenated interval set, as nft does ("byteorder reg 1 = hton(reg 1,
// 4, 4)"): such a set holds them in network order, which is how nft lists
// its elements and reads them back (the kernel's pipapo compares bytes, so
// ranges of them need it); setElems encodes them so.
func (l *lowerer) swapHostParts(sp *SetProgram, reg uint32) {
	if !sp.Set.Interval || !sp.Set.Concatenation || !hostLittle {
		return
	}
	words := 0
	for i, k := range sp.key {
		size := k.size
		if k.keyBytes != 0 {
			size = int(k.keyBytes)
		}
		if swapped(k.dt, size) {
			r := reg
			if i > 0 {
				r = 8 + uint32(words)
			}
			l.emit(&expr.Byteorder{SourceRegister: r, DestRegister: r, Op: expr.ByteorderHton, Len: uint32(size), Size: uint32(size)})
		}
		words += (size + 3) / 4
	}
}

// mapLookup looks the value in register reg up in the named map m,
// leaving the verdict (vmap) or the value in dreg.
func (l *lowerer) mapLookup(m translate.Expr, reg, dreg uint32) (*SetProgram, error) {
	ref, ok := m.(*translate.SetRef)
	if !ok {
		return nil, fmt.Errorf("only named maps are supported by the netlink backend (%s)", translate.RenderExpr(m))
	}
	sp, err := l.namedSet(ref.Name)
	if err != nil {
		return nil, err
	}
	if !sp.Set.IsMap {
		return nil, fmt.Errorf("@%s is a set, not a map", ref.Name)
	}
	l.swapHostParts(sp, reg)
	l.emit(&expr.Lookup{SourceRegister: reg, DestRegister: dreg, IsDestRegSet: true, SetName: sp.Set.Name, SetID: sp.Set.ID})
	return sp, nil
}

// namedSet returns a set the table declares.
func (l *lowerer) namedSet(name string) (*SetProgram, error) {
	sp, ok := l.sets[name]
	if !ok {
		return nil, fmt.Errorf("set @%s not declared", name)
	}
	return sp, nil
}

// lowerObject turns a named object (counter, quota, ct helper) into netlink.
func lowerObject(t *nftables.Table, fam translate.Family, o *translate.Object) (nftables.Obj, error) {
	switch o.Kind {
	case translate.ObjCounter:
		return &nftables.NamedObj{Table: t, Name: o.Name, Type: nftables.ObjTypeCounter, Obj: &expr.Counter{}}, nil
	case translate.ObjQuota:
		q := &expr.Quota{}
		for _, f := range o.Fields {
			switch f.Key {
			case "over":
				q.Over = true
			default:
				n, ok := f.Value.(*translate.Int)
				if !ok {
					return nil, fmt.Errorf("quota field %s", f.Key)
				}
				q.Bytes = n.V
			}
		}
		return &nftables.NamedObj{Table: t, Name: o.Name, Type: nftables.ObjTypeQuota, Obj: q}, nil
	case translate.ObjCTHelper:
		h := &expr.CtHelper{L3Proto: l3ProtoOf(fam)}
		for _, f := range o.Fields {
			switch f.Key {
			case "type":
				s, ok := f.Value.(*translate.Str)
				if !ok {
					return nil, fmt.Errorf("helper type")
				}
				h.Name = s.V
			case "protocol":
				s, ok := f.Value.(*translate.Sym)
				n, known := desc.InetProto.Symbol(s.Name)
				if !ok || !known || n == 0 {
					return nil, fmt.Errorf("helper protocol")
				}
				h.L4Proto = uint8(n)
			case "l3proto":
				s, ok := f.Value.(*translate.Sym)
				if !ok {
					return nil, fmt.Errorf("helper l3proto")
				}
				h.L3Proto = uint16(desc.NFProto.Syms[s.Name])
			default:
				return nil, fmt.Errorf("ct helper field %s", f.Key)
			}
		}
		return &nftables.NamedObj{Table: t, Name: o.Name, Type: nftables.ObjTypeCtHelper, Obj: h}, nil
	}
	return nil, fmt.Errorf("object kind %q not supported by the netlink backend", strings.TrimSpace(string(o.Kind)))
}

func l3ProtoOf(fam translate.Family) uint16 {
	switch fam {
	case translate.FamilyIP:
		return unix.NFPROTO_IPV4
	case translate.FamilyIP6:
		return unix.NFPROTO_IPV6
	}
	return unix.NFPROTO_INET
}
