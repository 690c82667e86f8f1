package nft

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/translate"
)

// Sets declared with typeof (the --rttl set: typeof ip saddr . ip ttl)
// carry, in their user data, a description of the key expressions; nft
// lists the set with it ("typeof ip saddr . ip ttl") instead of a type.
// google/nftables v0.3.0 cannot add it, so typeofKey encodes it and the
// batch writer (batch.go) appends it to the set's user data. The layout is
// nft's (udata TLVs: one byte type, one byte length; u32 values in host
// order), as nft 1.0.6 stores it for these keys:
//
//	NFTNL_UDATA_SET_KEY_TYPEOF (3)
//	  TYPEOF_EXPR (0) = EXPR_CONCAT (13)     or the single expression's type
//	  TYPEOF_DATA (1)
//	    element i (i)
//	      SUB_TYPE (0) = EXPR_PAYLOAD (7)
//	      SUB_DATA (1)
//	        PAYLOAD_DESC (0) = protocol (ip 12, ip6 13)
//	        PAYLOAD_TYPE (1) = field number in nft's header template
//	        PAYLOAD_LEN (4)  = bits, for integer fields
const (
	udataSetKeyTypeof = 3
	exprConcat        = 13
	exprPayload       = 7
)

// typeofFields are the payload fields a typeof key may use: nft's protocol
// description number and field number (src/proto.c), checked against what
// nft 1.0.6 stores.
var typeofFields = map[string]struct {
	desc, field uint32
}{
	"ip saddr": {12, 11}, "ip daddr": {12, 12}, "ip ttl": {12, 8}, "ip protocol": {12, 9},
	"ip6 saddr": {13, 8}, "ip6 daddr": {13, 9}, "ip6 hoplimit": {13, 7}, "ip6 nexthdr": {13, 6},
}

// typeofKey returns the key types and the user data of a typeof key.
func typeofKey(exprs []translate.Expr) ([]loaded, []byte, error) {
	var key []loaded
	var elems [][]byte
	for _, e := range exprs {
		p, ok := e.(*translate.Payload)
		if !ok {
			return nil, nil, fmt.Errorf("typeof %s not supported by the netlink backend", translate.RenderExpr(e))
		}
		tf, ok := typeofFields[p.Proto+" "+p.Field]
		f, ok2 := payloadFields[p.Proto][p.Field]
		if !ok || !ok2 || f.off%8 != 0 || f.len%8 != 0 {
			return nil, nil, fmt.Errorf("typeof %s %s not supported by the netlink backend", p.Proto, p.Field)
		}
		dt := f.dt
		data := append(udU32(0, tf.desc), udU32(1, tf.field)...)
		if dt.key == nftables.TypeInteger || dt.name == "integer" {
			// an integer key element has the field's own width
			it := nftables.TypeInteger
			it.Bytes = f.len / 8
			dt = &dtype{name: "integer", key: it, bits: int(f.len)}
			data = append(data, udU32(4, f.len)...)
		}
		key = append(key, loaded{dt: dt, size: dt.bytes()})
		elems = append(elems, append(udU32(0, exprPayload), udTLV(1, data)...))
	}
	var typeof []byte
	if len(elems) == 1 {
		typeof = append(udU32(0, exprPayload), udTLV(1, elems[0][6+2:])...)
	} else {
		var list []byte
		for i, el := range elems {
			list = append(list, udTLV(byte(i), el)...)
		}
		typeof = append(udU32(0, exprConcat), udTLV(1, list)...)
	}
	return key, udTLV(udataSetKeyTypeof, typeof), nil
}

func udTLV(typ byte, v []byte) []byte { return append([]byte{typ, byte(len(v))}, v...) }

func udU32(typ byte, v uint32) []byte {
	return udTLV(typ, binary.NativeEndian.AppendUint32(nil, v))
}
