package nft

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Rule encoding without allocation. google/nftables' expr.Marshal builds
// every attribute of every expression in a slice of its own (about 60
// allocations and 3 KB per rule), which made encoding 20,000 rules cost
// more than sending them; a re-apply encodes every rule to compare its
// digest. The expressions rules are mostly made of (cmp, meta, payload,
// immediate, bitwise, counter, verdicts, lookup, ct, nat, reject) are appended here
// straight into one buffer, byte for byte as google/nftables encodes them
// (TestBatchMatchesGoogleNftables compares every golden case's batch with
// google/nftables' own); any other expression goes through expr.Marshal.

// nest opens a nested attribute of type typ; closeNest ends it.
func nest(b []byte, typ uint16) ([]byte, int) {
	return binary.NativeEndian.AppendUint16(binary.NativeEndian.AppendUint16(b, 0), typ|unix.NLA_F_NESTED), len(b)
}

func closeNest(b []byte, at int) []byte {
	binary.NativeEndian.PutUint16(b[at:], uint16(len(b)-at))
	return b
}

func putU32(b []byte, typ uint16, v uint32) []byte {
	b = binary.NativeEndian.AppendUint16(b, 8)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint32(b, v)
}

func putU64(b []byte, typ uint16, v uint64) []byte {
	b = binary.NativeEndian.AppendUint16(b, 12)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint64(b, v)
}

// putString appends a NUL-terminated string attribute.
func putString(b []byte, typ uint16, s string) []byte {
	l := 4 + len(s) + 1
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, s...)
	b = append(b, 0)
	for ; l%4 != 0; l++ {
		b = append(b, 0)
	}
	return b
}

// putValue appends typ { NFTA_DATA_VALUE { v } }.
func putValue(b []byte, typ uint16, v []byte) []byte {
	b, at := nest(b, typ)
	b = appendAttr(b, unix.NFTA_DATA_VALUE, v)
	return closeNest(b, at)
}

// appendExpr appends one expression as an NFTA_LIST_ELEM; with anon, in
// the form its rule's digest is of (see ruleDigester).
func appendExpr(b []byte, fam byte, e expr.Any, anon *anonNames) ([]byte, error) {
	if x, ok := e.(*expr.Dynset); ok && anon != nil {
		y := *x
		y.SetID = 0
		e = &y
	}
	b, elem := nest(b, unix.NFTA_LIST_ELEM)
	name := ""
	switch e.(type) {
	case *expr.Cmp:
		name = "cmp"
	case *expr.Meta:
		name = "meta"
	case *expr.Payload:
		name = "payload"
	case *expr.Immediate, *expr.Verdict:
		name = "immediate"
	case *expr.Bitwise:
		name = "bitwise"
	case *expr.Counter:
		name = "counter"
	case *expr.Lookup:
		name = "lookup"
	case *expr.Ct:
		name = "ct"
	case *expr.NAT:
		name = "nat"
	case *expr.Reject:
		name = "reject"
	case *expr.Masq:
		name = "masq"
	}
	if name == "" {
		data, err := expr.Marshal(fam, e)
		if err != nil {
			return nil, err
		}
		return appendAttr(b[:elem], unix.NFTA_LIST_ELEM|unix.NLA_F_NESTED, data), nil
	}
	b = putString(b, unix.NFTA_EXPR_NAME, name)
	b, data := nest(b, unix.NFTA_EXPR_DATA)
	switch x := e.(type) {
	case *expr.Cmp:
		b = putU32(b, unix.NFTA_CMP_SREG, x.Register)
		b = putU32(b, unix.NFTA_CMP_OP, uint32(x.Op))
		b = putValue(b, unix.NFTA_CMP_DATA, x.Data)
	case *expr.Meta:
		b = putU32(b, unix.NFTA_META_KEY, uint32(x.Key))
		if x.SourceRegister {
			b = putU32(b, unix.NFTA_META_SREG, x.Register)
		} else {
			b = putU32(b, unix.NFTA_META_DREG, x.Register)
		}
	case *expr.Payload:
		if x.OperationType == expr.PayloadWrite {
			b = putU32(b, unix.NFTA_PAYLOAD_SREG, x.SourceRegister)
		} else {
			b = putU32(b, unix.NFTA_PAYLOAD_DREG, x.DestRegister)
		}
		b = putU32(b, unix.NFTA_PAYLOAD_BASE, uint32(x.Base))
		b = putU32(b, unix.NFTA_PAYLOAD_OFFSET, x.Offset)
		b = putU32(b, unix.NFTA_PAYLOAD_LEN, x.Len)
		if x.CsumType > 0 {
			b = putU32(b, unix.NFTA_PAYLOAD_CSUM_TYPE, uint32(x.CsumType))
			b = putU32(b, unix.NFTA_PAYLOAD_CSUM_OFFSET, x.CsumOffset)
			if x.CsumFlags > 0 {
				b = putU32(b, unix.NFTA_PAYLOAD_CSUM_FLAGS, x.CsumFlags)
			}
		}
	case *expr.Immediate:
		b = putU32(b, unix.NFTA_IMMEDIATE_DREG, x.Register)
		b = putValue(b, unix.NFTA_IMMEDIATE_DATA, x.Data)
	case *expr.Verdict:
		b = putU32(b, unix.NFTA_IMMEDIATE_DREG, unix.NFT_REG_VERDICT)
		var imm, v int
		b, imm = nest(b, unix.NFTA_IMMEDIATE_DATA)
		b, v = nest(b, unix.NFTA_DATA_VERDICT)
		b = putU32(b, unix.NFTA_VERDICT_CODE, uint32(x.Kind))
		if x.Chain != "" {
			b = putString(b, unix.NFTA_VERDICT_CHAIN, x.Chain)
		}
		b = closeNest(closeNest(b, v), imm)
	case *expr.Bitwise:
		b = putU32(b, unix.NFTA_BITWISE_SREG, x.SourceRegister)
		b = putU32(b, unix.NFTA_BITWISE_DREG, x.DestRegister)
		b = putU32(b, unix.NFTA_BITWISE_LEN, x.Len)
		b = putValue(b, unix.NFTA_BITWISE_MASK, x.Mask)
		b = putValue(b, unix.NFTA_BITWISE_XOR, x.Xor)
	case *expr.Counter:
		b = putU64(b, unix.NFTA_COUNTER_BYTES, x.Bytes)
		b = putU64(b, unix.NFTA_COUNTER_PACKETS, x.Packets)
	case *expr.Lookup:
		if x.SourceRegister != 0 {
			b = putU32(b, unix.NFTA_LOOKUP_SREG, x.SourceRegister)
		}
		if x.IsDestRegSet {
			b = putU32(b, unix.NFTA_LOOKUP_DREG, x.DestRegister)
		}
		if x.Invert {
			b = putU32(b, unix.NFTA_LOOKUP_FLAGS, unix.NFT_LOOKUP_F_INV)
		}
		name, id := x.SetName, x.SetID
		if anon != nil {
			name, id = anon.of(name), 0
		}
		b = putString(b, unix.NFTA_LOOKUP_SET, name)
		b = putU32(b, unix.NFTA_LOOKUP_SET_ID, id)
	case *expr.Ct:
		key := uint32(x.Key)
		b = putU32(b, unix.NFTA_CT_KEY, key&0xff)
		if x.SourceRegister {
			b = putU32(b, unix.NFTA_CT_SREG, x.Register)
		} else {
			b = putU32(b, unix.NFTA_CT_DREG, x.Register)
		}
		switch x.Key {
		case expr.CtKeySRC, expr.CtKeyDST, expr.CtKeyPROTOSRC, expr.CtKeyPROTODST:
			b = putU32(b, unix.NFTA_CT_DIRECTION, x.Direction)
		}
		if ctMarked(key) {
			// a key with its direction in the mark (ctdir.go)
			b = appendAttr(b, unix.NFTA_CT_DIRECTION, []byte{byte(key>>8) - 1})
		}
	case *expr.Masq:
		// As nft writes it (google/nftables drops every flag of a masq
		// with ports, and without NF_NAT_RANGE_PROTO_SPECIFIED the kernel
		// ignores the ports: "masquerade to :500-1000" kept the source
		// port, "masquerade to :600 random" lost random).
		if flags := natRangeFlags(x.Random, x.FullyRandom, x.Persistent, false, x.ToPorts); flags != 0 {
			b = putU32(b, unix.NFTA_MASQ_FLAGS, flags)
		}
		if x.ToPorts {
			b = putU32(b, unix.NFTA_MASQ_REG_PROTO_MIN, x.RegProtoMin)
			if x.RegProtoMax != 0 {
				b = putU32(b, unix.NFTA_MASQ_REG_PROTO_MAX, x.RegProtoMax)
			}
		}
	case *expr.NAT:
		b = putU32(b, unix.NFTA_NAT_TYPE, uint32(x.Type))
		b = putU32(b, unix.NFTA_NAT_FAMILY, x.Family)
		if x.RegAddrMin != 0 {
			b = putU32(b, unix.NFTA_NAT_REG_ADDR_MIN, x.RegAddrMin)
			if x.RegAddrMax != 0 {
				b = putU32(b, unix.NFTA_NAT_REG_ADDR_MAX, x.RegAddrMax)
			}
		}
		if x.RegProtoMin != 0 {
			b = putU32(b, unix.NFTA_NAT_REG_PROTO_MIN, x.RegProtoMin)
			if x.RegProtoMax != 0 {
				b = putU32(b, unix.NFTA_NAT_REG_PROTO_MAX, x.RegProtoMax)
			}
		}
		if flags := natRangeFlags(x.Random, x.FullyRandom, x.Persistent, x.Prefix, x.Specified); flags != 0 {
			b = putU32(b, unix.NFTA_NAT_FLAGS, flags)
		}
	case *expr.Reject:
		b = putU32(b, unix.NFTA_REJECT_TYPE, x.Type)
		b = appendAttr(b, unix.NFTA_REJECT_ICMP_CODE, []byte{x.Code})
	}
	return closeNest(closeNest(b, data), elem), nil
}

// appendRule appends a rule's table, chain and expressions (not its user
// data, which batch.rule adds); with anon, in the form its digest is of.
func appendRule(b []byte, r *nftables.Rule, anon *anonNames) ([]byte, error) {
	fam := byte(r.Table.Family)
	b = putString(b, unix.NFTA_RULE_TABLE, r.Table.Name)
	b = putString(b, unix.NFTA_RULE_CHAIN, r.Chain.Name)
	b, list := nest(b, unix.NFTA_RULE_EXPRESSIONS)
	for _, x := range r.Exprs {
		switch x.(type) {
		case *expr.Match:
			return nil, fmt.Errorf("xtables match expressions are not supported")
		case *expr.Target:
			return nil, fmt.Errorf("xtables target expressions are not supported")
		}
		var err error
		if b, err = appendExpr(b, fam, x, anon); err != nil {
			return nil, err
		}
	}
	return closeNest(b, list), nil
}

// natRangeFlags are the NF_NAT_RANGE_* flags of a nat or masq expression.
func natRangeFlags(random, fully, persistent, prefix, specified bool) uint32 {
	var flags uint32
	for _, f := range []struct {
		on  bool
		bit uint32
	}{
		{random, expr.NF_NAT_RANGE_PROTO_RANDOM}, {fully, expr.NF_NAT_RANGE_PROTO_RANDOM_FULLY},
		{persistent, expr.NF_NAT_RANGE_PERSISTENT}, {prefix, expr.NF_NAT_RANGE_PREFIX},
		{specified, expr.NF_NAT_RANGE_PROTO_SPECIFIED},
	} {
		if f.on {
			flags |= f.bit
		}
	}
	return flags
}
