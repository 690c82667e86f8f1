package nft

import (
	"encoding/binary"
	"fmt"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
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

// typeofKey returns the key types and the user data of a typeof key.
func typeofKey(exprs []translate.Expr) ([]loaded, []byte, error) {
	var key []loaded
	var elems [][]byte
	for _, e := range exprs {
		p, ok := e.(*translate.Payload)
		if !ok {
			return nil, nil, fmt.Errorf("typeof %s not supported by the netlink backend", translate.RenderExpr(e))
		}
		// nft's proto_desc and template numbers (desc.Proto.TypeofID,
		// desc.Field.Index), checked against what nft 1.0.6 stores for ip
		// and ip6 fields (TestTypeofUdata).
		f := p.Field
		if f.Proto.TypeofID == 0 || f.Index == 0 || f.Offset%8 != 0 || f.Len%8 != 0 {
			return nil, nil, fmt.Errorf("typeof %s not supported by the netlink backend", f)
		}
		data := append(udU32(0, f.Proto.TypeofID), udU32(1, f.Index)...)
		k := typed(f.Type)
		if f.Type.ID == desc.Integer32.ID {
			// an integer key element has the field's own width
			k = loaded{dt: f.Type, size: int(f.Len / 8), keyBytes: f.Len / 8}
			data = append(data, udU32(4, f.Len)...)
		}
		key = append(key, k)
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
