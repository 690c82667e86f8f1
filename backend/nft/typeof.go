package nft

import (
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Sets declared with typeof (the --rttl set: typeof ip saddr . ip ttl)
// carry, in their user data, a description of the key expressions; nft
// lists the set with it ("typeof ip saddr . ip ttl") instead of a type.
// google/nftables v0.3.0 cannot add it, so typeofUdata encodes it and
// batchIO adds it to the NEWSET message. The layout is nft's (udata TLVs:
// one byte type, one byte length; u32 values in host order), as nft 1.0.6
// stores it for these keys:
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

// addSetUdata appends extra user data to a NEWSET message's
// NFTA_SET_USERDATA (creating it when absent).
func addSetUdata(m *netlink.Message, extra []byte) {
	if len(m.Data) < 4 {
		return
	}
	out := append([]byte(nil), m.Data[:4]...)
	b := m.Data[4:]
	done := false
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		typ := binary.NativeEndian.Uint16(b[2:4])
		if l < 4 || l > len(b) {
			return // malformed: leave the message alone
		}
		val := b[4:l]
		if typ&0x3fff == unix.NFTA_SET_USERDATA {
			val = append(append([]byte(nil), val...), extra...)
			done = true
		}
		out = appendAttr(out, typ, val)
		adv := (l + 3) &^ 3
		if adv > len(b) {
			adv = len(b)
		}
		b = b[adv:]
	}
	if !done {
		out = appendAttr(out, unix.NFTA_SET_USERDATA, extra)
	}
	m.Data = out
	m.Header.Length = 0 // recomputed when sent
}

func appendAttr(out []byte, typ uint16, val []byte) []byte {
	hdr := make([]byte, 4)
	binary.NativeEndian.PutUint16(hdr[0:2], uint16(4+len(val)))
	binary.NativeEndian.PutUint16(hdr[2:4], typ)
	out = append(out, hdr...)
	out = append(out, val...)
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	return out
}

// setName returns a NEWSET message's table and set names.
func setName(m netlink.Message) (table, name string) {
	if len(m.Data) < 4 {
		return "", ""
	}
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return "", ""
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_SET_TABLE:
			table = ad.String()
		case unix.NFTA_SET_NAME:
			name = ad.String()
		}
	}
	return table, name
}
