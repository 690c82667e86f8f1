package nft

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// batch is one nf_tables transaction being built: netlink messages in the
// order the kernel must process them, each remembering where it came from
// so that the kernel's error for it can name the rule.
//
// google/nftables' types (Table, Chain, Set, SetElement, NamedObj, Rule)
// describe the objects and its expr package encodes rule expressions; the
// messages around them are encoded here, because google/nftables can hand
// its messages only to a socket it dials itself (or to its test hook) and
// xt2nft needs what that socket does not do: the generation check in the
// batch header, one acknowledgement per batch, set and table user data, and
// objects read back from the kernel re-sent as they are (snapshots).
type batch struct {
	// buf holds the messages as they are sent, one after the other, each
	// a netlink header, the nfgenmsg header and its attributes, padded to
	// four bytes; offs[i] is where the i-th starts. send fills in the
	// headers' sequence numbers and flags, and sends buf as it is: a big
	// batch is tens of megabytes, built once.
	buf  []byte
	offs []int
	// origins[i] says what msgs[i] encodes: its NFT_MSG_* type and, for a
	// rule, its index among the batch's rules (-1 otherwise).
	origins []origin
	labels  map[int]string // what raw messages are, for errors
	rules   int
	// progs[k] is the program of the batch's k-th rule (nil: a rule read
	// back from the kernel), so that a refusal names its source.
	progs []*RuleProgram
	// slots[k], when not nil, is where send puts the k-th rule's handle
	// if echo.
	slots []*uint64
	// inPlace: the batch edits a live table in place (incremental.go).
	inPlace bool
	// echo asks the kernel for the rules with a slot back (NLM_F_ECHO);
	// send puts their handles there. expect[k] is the handle predicted
	// for the k-th rule (predictHandles); an echoed one that differs sets
	// mispredicted.
	echo         bool
	expect       map[int]uint64
	mispredicted bool
}

type origin struct {
	msgType uint16
	rule    int
}

// nfgen is the nfgenmsg header of every nf_tables message.
func nfgen(family byte) []byte { return []byte{family, unix.NFNETLINK_V0, 0, 0} }

// add appends one message; attrs are its encoded attributes.
func (b *batch) add(typ uint16, family byte, flags netlink.HeaderFlags, attrs []byte) {
	start := b.open(typ, family, flags)
	b.buf = append(b.buf, attrs...)
	b.close(start)
}

// open starts a message in buf (its netlink and nfgenmsg headers, the
// attributes to be appended, then close) and notes its origin; it returns
// where the message starts.
func (b *batch) open(typ uint16, family byte, flags netlink.HeaderFlags) int {
	o := origin{msgType: typ, rule: -1}
	if typ == unix.NFT_MSG_NEWRULE {
		o.rule = b.rules
		b.rules++
	}
	start := len(b.buf)
	b.offs = append(b.offs, start)
	b.origins = append(b.origins, o)
	b.buf = appendMsg(b.buf, netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8|int(typ)), netlink.Request|flags, family, nil)
	return start
}

// close ends the message open began at start: its length, then the
// padding to four bytes.
func (b *batch) close(start int) {
	binary.NativeEndian.PutUint32(b.buf[start:], uint32(len(b.buf)-start))
	for len(b.buf)%4 != 0 {
		b.buf = append(b.buf, 0)
	}
}

// cancel takes back the last message, which open began at start.
func (b *batch) cancel(start int) {
	if b.origins[len(b.origins)-1].rule >= 0 {
		b.rules--
	}
	b.buf, b.offs, b.origins = b.buf[:start], b.offs[:len(b.offs)-1], b.origins[:len(b.origins)-1]
}

// appendMsg appends one nf_tables message (sequence number 0).
func appendMsg(buf []byte, typ netlink.HeaderType, flags netlink.HeaderFlags, family byte, attrs []byte) []byte {
	n := nlHeaderLen + 4 + len(attrs)
	buf = binary.NativeEndian.AppendUint32(buf, uint32(n))
	buf = binary.NativeEndian.AppendUint16(buf, uint16(typ))
	buf = binary.NativeEndian.AppendUint16(buf, uint16(flags))
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0) // sequence, port
	buf = append(buf, family, unix.NFNETLINK_V0, 0, 0)
	buf = append(buf, attrs...)
	for n%4 != 0 {
		buf = append(buf, 0)
		n++
	}
	return buf
}

// nlHeaderLen is the size of a netlink message header.
const nlHeaderLen = 16

// len is the number of messages.
func (b *batch) len() int { return len(b.offs) }

// header returns the k-th message's header fields.
func (b *batch) header(k int) (typ netlink.HeaderType, flags netlink.HeaderFlags) {
	h := b.buf[b.offs[k]:]
	return netlink.HeaderType(binary.NativeEndian.Uint16(h[4:])), netlink.HeaderFlags(binary.NativeEndian.Uint16(h[6:]))
}

// data returns the k-th message's payload: the nfgenmsg header and the
// attributes.
func (b *batch) data(k int) []byte {
	h := b.buf[b.offs[k]:]
	return h[nlHeaderLen:binary.NativeEndian.Uint32(h)]
}

// append appends the messages of the batches os (made apart, with no
// labels), in order.
func (b *batch) append(os ...*batch) {
	size, n := len(b.buf), b.len()
	for _, o := range os {
		size += len(o.buf)
		n += o.len()
	}
	b.buf = slices.Grow(b.buf, size-len(b.buf))
	b.offs = slices.Grow(b.offs, n-b.len())
	b.origins = slices.Grow(b.origins, n-len(b.origins))
	for _, o := range os {
		base := len(b.buf)
		b.buf = append(b.buf, o.buf...)
		for _, off := range o.offs {
			b.offs = append(b.offs, base+off)
		}
		for _, og := range o.origins {
			if og.rule >= 0 {
				og.rule += b.rules
			}
			b.origins = append(b.origins, og)
		}
		b.rules += o.rules
		b.progs = append(b.progs, o.progs...)
		b.slots = append(b.slots, o.slots...)
	}
}

// insert puts the messages of o (which has no rules) before the k-th.
func (b *batch) insert(k int, o *batch) {
	if o.len() == 0 {
		return
	}
	at := len(b.buf)
	if k < b.len() {
		at = b.offs[k]
	}
	b.buf = append(b.buf[:at], append(append([]byte(nil), o.buf...), b.buf[at:]...)...)
	offs := make([]int, 0, b.len()+o.len())
	offs = append(offs, b.offs[:k]...)
	for _, off := range o.offs {
		offs = append(offs, at+off)
	}
	for _, off := range b.offs[k:] {
		offs = append(offs, off+len(o.buf))
	}
	b.offs = offs
	b.origins = append(b.origins[:k], append(o.origins, b.origins[k:]...)...)
	if b.labels != nil {
		moved := map[int]string{}
		for i, l := range b.labels {
			if i >= k {
				i += o.len()
			}
			moved[i] = l
		}
		b.labels = moved
	}
}

// raw appends a message whose attributes are already encoded (an object
// read back from the kernel), with a label for errors.
func (b *batch) raw(typ uint16, family byte, flags netlink.HeaderFlags, attrs []byte, label string) {
	if b.labels == nil {
		b.labels = map[int]string{}
	}
	b.labels[b.len()] = label
	if typ == unix.NFT_MSG_NEWRULE {
		b.progs = append(b.progs, nil)
		b.slots = append(b.slots, nil)
	}
	b.add(typ, family, flags, attrs)
}

// label names the k-th message for an error.
func (b *batch) label(k int) string {
	if l, ok := b.labels[k]; ok {
		return l
	}
	return fmt.Sprintf("message %d", k+1)
}

// encoder returns an attribute encoder in nf_tables' byte order.
func encoder() *netlink.AttributeEncoder {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	return ae
}

// encodeU32 is one u32 attribute, encoded.
func encodeU32(typ uint16, v uint32) []byte {
	ae := encoder()
	ae.Uint32(typ, v)
	return encode(ae)
}

func encode(ae *netlink.AttributeEncoder) []byte {
	b, err := ae.Encode()
	if err != nil {
		// Encode fails only on an attribute over 64 KiB, which the kernel
		// would refuse anyway; the refusal names the message.
		return nil
	}
	return b
}

// Table attribute and flag numbers the x/sys constants lack (the kernel's
// include/uapi/linux/netfilter/nf_tables.h).
const (
	nftaTableHandle   = 4
	nftaTablePad      = 5
	nftaTableUserdata = 6
	nftaTableOwner    = 7
	nftTableFOwner    = 2
)

// table queues NEWTABLE with the table's user data (udata nil: none).
func (b *batch) table(t *nftables.Table, udata []byte) {
	ae := encoder()
	ae.String(unix.NFTA_TABLE_NAME, t.Name)
	ae.Uint32(unix.NFTA_TABLE_FLAGS, t.Flags)
	if udata != nil {
		ae.Bytes(nftaTableUserdata, udata)
	}
	b.add(unix.NFT_MSG_NEWTABLE, byte(t.Family), netlink.Create, encode(ae))
}

// delTable queues DELTABLE (the table must exist: queue a NEWTABLE first
// to delete one that may not).
func (b *batch) delTable(t *nftables.Table) {
	ae := encoder()
	ae.String(unix.NFTA_TABLE_NAME, t.Name)
	ae.Uint32(unix.NFTA_TABLE_FLAGS, 0)
	b.add(unix.NFT_MSG_DELTABLE, byte(t.Family), 0, encode(ae))
}

// chain queues NEWCHAIN.
func (b *batch) chain(c *nftables.Chain) {
	ae := encoder()
	ae.String(unix.NFTA_CHAIN_TABLE, c.Table.Name)
	ae.String(unix.NFTA_CHAIN_NAME, c.Name)
	if c.Hooknum != nil && c.Priority != nil {
		ae.Nested(unix.NFTA_CHAIN_HOOK, func(h *netlink.AttributeEncoder) error {
			h.Uint32(unix.NFTA_HOOK_HOOKNUM, uint32(*c.Hooknum))
			h.Uint32(unix.NFTA_HOOK_PRIORITY, uint32(*c.Priority))
			if c.Device != "" {
				h.String(unix.NFTA_HOOK_DEV, c.Device)
			}
			return nil
		})
	}
	if c.Policy != nil {
		ae.Uint32(unix.NFTA_CHAIN_POLICY, uint32(*c.Policy))
	}
	if c.Type != "" {
		ae.String(unix.NFTA_CHAIN_TYPE, string(c.Type))
	}
	b.add(unix.NFT_MSG_NEWCHAIN, byte(c.Table.Family), netlink.Create, encode(ae))
}

// Set flags and attributes the x/sys constants lack.
const (
	nftSetConcat      = 0x80
	nftaSetDescConcat = 2
	nftaSetExpr       = 17
	nftaSetElemKeyEnd = 10
	nftaSetElemExprs  = 11
)

// set queues NEWSET and the elements, at most elemChunk per NEWSETELEM.
// extra is user data appended to what the set's fields give (the typeof
// description, see typeof.go). An anonymous set's name is "__set%d": the
// kernel numbers it, and rules find it by its ID.
func (b *batch) set(s *nftables.Set, extra []byte, elems []nftables.SetElement) error {
	if s.Anonymous && !s.Constant {
		return fmt.Errorf("set %s: an anonymous set must be constant", s.Name)
	}
	var flags uint32
	for _, f := range []struct {
		on  bool
		bit uint32
	}{
		{s.Anonymous, unix.NFT_SET_ANONYMOUS}, {s.Constant, unix.NFT_SET_CONSTANT}, {s.Interval, unix.NFT_SET_INTERVAL},
		{s.IsMap, unix.NFT_SET_MAP}, {s.HasTimeout, unix.NFT_SET_TIMEOUT}, {s.Dynamic, unix.NFT_SET_EVAL},
		{s.Concatenation, nftSetConcat},
	} {
		if f.on {
			flags |= f.bit
		}
	}
	ae := encoder()
	ae.String(unix.NFTA_SET_TABLE, s.Table.Name)
	ae.String(unix.NFTA_SET_NAME, s.Name)
	ae.Uint32(unix.NFTA_SET_FLAGS, flags)
	ae.Uint32(unix.NFTA_SET_KEY_TYPE, s.KeyType.GetNFTMagic())
	ae.Uint32(unix.NFTA_SET_KEY_LEN, s.KeyType.Bytes)
	ae.Uint32(unix.NFTA_SET_ID, s.ID)
	if s.IsMap {
		magic := s.DataType.GetNFTMagic()
		if magic == nftables.TypeVerdict.GetNFTMagic() {
			magic = unix.NFT_DATA_VERDICT // the kernel's type for verdict maps
		}
		ae.Uint32(unix.NFTA_SET_DATA_TYPE, magic)
		ae.Uint32(unix.NFTA_SET_DATA_LEN, s.DataType.Bytes)
	}
	if s.HasTimeout && s.Timeout != 0 {
		ae.Uint64(unix.NFTA_SET_TIMEOUT, uint64(s.Timeout.Milliseconds()))
	}
	// The description, laid out as google/nftables lays it out (a test
	// checks the bytes): a constant set gets one with its number of
	// elements, and a set with a declared size or a concatenated key a
	// second one with the size and the concatenation's field lengths (which
	// the kernel needs to lay out the key). The kernel reads the last.
	if s.Constant {
		ae.Nested(unix.NFTA_SET_DESC, func(d *netlink.AttributeEncoder) error {
			d.Uint32(unix.NFTA_SET_DESC_SIZE, uint32(len(elems)))
			return nil
		})
	}
	if s.Size > 0 || s.Concatenation {
		ae.Nested(unix.NFTA_SET_DESC, func(d *netlink.AttributeEncoder) error {
			if s.Size > 0 {
				d.Uint32(unix.NFTA_SET_DESC_SIZE, s.Size)
			}
			if s.Concatenation {
				d.Nested(nftaSetDescConcat, func(c *netlink.AttributeEncoder) error {
					for _, f := range nftables.ConcatSetTypeElements(s.KeyType) {
						// NFTA_LIST_ELEM { NFTA_SET_FIELD_LEN }, without the
						// nested bit, as google/nftables sends it.
						c.Bytes(unix.NFTA_LIST_ELEM, encodeU32(unix.NFTA_SET_DESC_SIZE, f.Bytes))
					}
					return nil
				})
			}
			return nil
		})
	}
	// User data as nft writes it: the key's byte order (which listings use
	// to print host-order keys: nft writes the key type's, whatever the
	// set's flags; google/nftables writes big endian for every anonymous,
	// constant or interval set, and a constant set of marks then listed
	// 0x80000 as 0x00000800, which a reload of the listing takes as
	// another mark), element merging, the comment.
	var ud []byte
	if s.KeyByteOrder == binaryutil.NativeEndian {
		ud = userdata.AppendUint32(ud, userdata.NFTNL_UDATA_SET_KEYBYTEORDER, 1)
	} else if s.Anonymous || s.Constant || s.Interval || s.KeyByteOrder == binaryutil.BigEndian {
		ud = userdata.AppendUint32(ud, userdata.NFTNL_UDATA_SET_KEYBYTEORDER, 2)
	}
	if s.Interval && s.AutoMerge {
		ud = userdata.AppendUint32(ud, userdata.NFTNL_UDATA_SET_MERGE_ELEMENTS, 1)
	}
	if s.Comment != "" {
		ud = userdata.AppendString(ud, userdata.NFTNL_UDATA_SET_COMMENT, s.Comment)
	}
	ud = append(ud, extra...)
	if len(ud) > 0 {
		ae.Bytes(unix.NFTA_SET_USERDATA, ud)
	}
	if s.Counter {
		// a counter on every element: NFTA_SET_EXPR { NFTA_EXPR_NAME }
		ae.Nested(nftaSetExpr, func(e *netlink.AttributeEncoder) error {
			e.String(unix.NFTA_EXPR_NAME, "counter")
			return nil
		})
	}
	b.add(unix.NFT_MSG_NEWSET, byte(s.Table.Family), netlink.Create, encode(ae))
	return b.elements(s, elems)
}

// elemChunk bounds the elements per netlink message.
const elemChunk = 1024

// elements queues NEWSETELEM messages of at most elemChunk elements.
func (b *batch) elements(s *nftables.Set, elems []nftables.SetElement) error {
	for i := 0; i < len(elems); i += elemChunk {
		chunk := elems[i:min(i+elemChunk, len(elems))]
		ae := encoder()
		ae.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
		ae.Uint32(unix.NFTA_SET_ELEM_LIST_SET_ID, s.ID)
		ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table.Name)
		// The list is appended in one buffer (exprenc.go), as the
		// attribute encoder would nest it: its closures cost a
		// microsecond an element, and a re-apply encodes every anonymous
		// set for its digest. The encoder still checks the list's length.
		var list []byte
		for k, el := range chunk {
			list = appendElement(list, k+1, s, el)
		}
		ae.Bytes(unix.NFTA_SET_ELEM_LIST_ELEMENTS|unix.NLA_F_NESTED, list)
		b.add(unix.NFT_MSG_NEWSETELEM, byte(s.Table.Family), netlink.Create, encode(ae))
	}
	return nil
}

// appendElement appends set element el as the k-th of a list.
func appendElement(b []byte, k int, s *nftables.Set, el nftables.SetElement) []byte {
	b, at := nest(b, uint16(k))
	if el.IntervalEnd {
		// google/nftables sets the nested bit on this u32; the kernel's
		// parser ignores it, and nft lists the result the same either way.
		b = putU32(b, unix.NFTA_SET_ELEM_FLAGS|unix.NLA_F_NESTED, unix.NFT_SET_ELEM_INTERVAL_END)
	}
	b = putValue(b, unix.NFTA_SET_ELEM_KEY, el.Key)
	if len(el.KeyEnd) > 0 {
		b = putValue(b, nftaSetElemKeyEnd, el.KeyEnd)
	}
	if s.HasTimeout && el.Timeout != 0 {
		b = putU64(b, unix.NFTA_SET_ELEM_TIMEOUT, uint64(el.Timeout.Milliseconds()))
	}
	switch {
	case el.VerdictData != nil:
		var data, v int
		b, data = nest(b, unix.NFTA_SET_ELEM_DATA)
		b, v = nest(b, unix.NFTA_DATA_VERDICT)
		b = putU32(b, unix.NFTA_VERDICT_CODE, uint32(el.VerdictData.Kind))
		if el.VerdictData.Chain != "" {
			b = putString(b, unix.NFTA_VERDICT_CHAIN, el.VerdictData.Chain)
		}
		b = closeNest(closeNest(b, v), data)
	case len(el.Val) > 0:
		b = putValue(b, unix.NFTA_SET_ELEM_DATA, el.Val)
	}
	if el.Comment != "" {
		b = appendAttr(b, unix.NFTA_SET_ELEM_USERDATA, userdata.AppendString(nil, userdata.NFTNL_UDATA_SET_ELEM_COMMENT, el.Comment))
	}
	return closeNest(b, at)
}

// obj queues NEWOBJ for a named object (counter, quota, ct helper).
func (b *batch) obj(o *nftables.NamedObj) error {
	data, err := expr.MarshalExprData(byte(o.Table.Family), o.Obj)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Name, err)
	}
	ae := encoder()
	ae.String(unix.NFTA_OBJ_TABLE, o.Table.Name)
	ae.String(unix.NFTA_OBJ_NAME, o.Name)
	ae.Uint32(unix.NFTA_OBJ_TYPE, uint32(o.Type))
	if len(data) > 0 {
		ae.Bytes(unix.NFTA_OBJ_DATA|unix.NLA_F_NESTED, data)
	}
	b.add(unix.NFT_MSG_NEWOBJ, byte(o.Table.Family), netlink.Create, encode(ae))
	return nil
}

// rule queues NEWRULE for r, encoded straight into the batch: appended
// to its chain, or (before non-zero) inserted in front of the rule with
// that handle; its user data followed by the digest d if not nil. prog is
// the rule's program, for errors; slot, if not nil, gets its handle (see
// echo).
func (b *batch) rule(r *nftables.Rule, d *digest, before uint64, prog *RuleProgram, slot *uint64) error {
	flags := netlink.Create | netlink.Append
	if before != 0 {
		flags = netlink.Create
	}
	start := b.open(unix.NFT_MSG_NEWRULE, byte(r.Table.Family), flags)
	var err error
	if b.buf, err = appendRule(b.buf, r, nil); err != nil {
		b.cancel(start)
		return err
	}
	if n := len(r.UserData); n > 0 || d != nil {
		if d != nil {
			n += 2 + digestLen
		}
		b.buf = binary.NativeEndian.AppendUint16(b.buf, uint16(4+n))
		b.buf = binary.NativeEndian.AppendUint16(b.buf, unix.NFTA_RULE_USERDATA)
		b.buf = append(b.buf, r.UserData...)
		if d != nil {
			b.buf = append(append(b.buf, udataDigest, digestLen), d[:]...)
		}
		for len(b.buf)%4 != 0 {
			b.buf = append(b.buf, 0)
		}
	}
	if before != 0 {
		b.buf = appendAttr(b.buf, unix.NFTA_RULE_POSITION, binary.BigEndian.AppendUint64(nil, before))
	}
	b.close(start)
	b.progs = append(b.progs, prog)
	b.slots = append(b.slots, slot)
	return nil
}

// delRule queues DELRULE of the rule with handle h.
func (b *batch) delRule(t *nftables.Table, chain string, h uint64) {
	ae := encoder()
	ae.String(unix.NFTA_RULE_TABLE, t.Name)
	ae.String(unix.NFTA_RULE_CHAIN, chain)
	ae.Uint64(unix.NFTA_RULE_HANDLE, h)
	b.add(unix.NFT_MSG_DELRULE, byte(t.Family), 0, encode(ae))
}

// delChain queues DELCHAIN (the chain must have no rules left and no
// references).
func (b *batch) delChain(t *nftables.Table, name string) {
	ae := encoder()
	ae.String(unix.NFTA_CHAIN_TABLE, t.Name)
	ae.String(unix.NFTA_CHAIN_NAME, name)
	b.add(unix.NFT_MSG_DELCHAIN, byte(t.Family), 0, encode(ae))
}

// delSet queues DELSET.
func (b *batch) delSet(t *nftables.Table, name string) {
	ae := encoder()
	ae.String(unix.NFTA_SET_TABLE, t.Name)
	ae.String(unix.NFTA_SET_NAME, name)
	b.add(unix.NFT_MSG_DELSET, byte(t.Family), 0, encode(ae))
}

// flushSet queues DELSETELEM without elements: every element goes.
func (b *batch) flushSet(t *nftables.Table, name string) {
	ae := encoder()
	ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, t.Name)
	ae.String(unix.NFTA_SET_ELEM_LIST_SET, name)
	b.add(unix.NFT_MSG_DELSETELEM, byte(t.Family), 0, encode(ae))
}

// delObj queues DELOBJ.
func (b *batch) delObj(t *nftables.Table, name string, typ uint32) {
	ae := encoder()
	ae.String(unix.NFTA_OBJ_TABLE, t.Name)
	ae.String(unix.NFTA_OBJ_NAME, name)
	ae.Uint32(unix.NFTA_OBJ_TYPE, typ)
	b.add(unix.NFT_MSG_DELOBJ, byte(t.Family), 0, encode(ae))
}
