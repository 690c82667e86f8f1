package nft

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
)

// A table's kernel objects as the kernel dumps them, each the attributes of
// its NEW* message. They are what a snapshot keeps and a restore sends back:
// the kernel dumps every object in the form it accepts (nft's listing is
// only a rendering of these), so nothing is lost in translation, and what
// the kernel cannot take back is found out before anything is applied
// (snapshot.go). The helpers here read them, strip what only the kernel may
// set (handles, use counts), and reduce them to canonical forms to compare.

// tableDump is one table's objects; Table is nil for a table that does not
// exist.
type tableDump struct {
	Family     byte
	Name       string
	Table      []byte   // NEWTABLE attributes
	Chains     [][]byte // NEWCHAIN attributes, in the kernel's order
	Objs       [][]byte
	Flowtables [][]byte
	Sets       [][]byte
	Elems      map[string][][]byte // set name -> NEWSETELEM attributes, as dumped
	Rules      [][]byte            // in chain order, each chain's rules in order
}

// attr is one netlink attribute: Type with its flag bits, and its payload.
type attr struct {
	Type uint16
	Data []byte
}

func (a attr) kind() uint16 { return a.Type &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER) }

// walk calls f for each attribute of b, in order, until f returns false;
// it allocates nothing. Malformed input ends the walk.
func walk(b []byte, f func(a attr) bool) {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[:2]))
		if l < 4 || l > len(b) {
			return
		}
		if !f(attr{Type: binary.NativeEndian.Uint16(b[2:4]), Data: b[4:l:l]}) {
			return
		}
		b = b[min(len(b), (l+3)&^3):]
	}
}

// attrs splits encoded attributes.
func attrs(b []byte) ([]attr, error) {
	var out []attr
	walk(b, func(a attr) bool { out = append(out, a); return true })
	return out, nil
}

// appendAttr encodes one attribute onto b.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := 4 + len(data)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for ; l%4 != 0; l++ {
		b = append(b, 0)
	}
	return b
}

// join encodes attributes.
func join(as []attr) []byte {
	var b []byte
	for _, a := range as {
		b = appendAttr(b, a.Type, a.Data)
	}
	return b
}

// get returns the payload of the first attribute of kind k.
func get(b []byte, k uint16) []byte {
	var out []byte
	walk(b, func(a attr) bool {
		if a.kind() == k {
			out = a.Data
			return false
		}
		return true
	})
	return out
}

func getString(b []byte, k uint16) string {
	v := get(b, k)
	return string(bytes.TrimRight(v, "\x00"))
}

func getU32(b []byte, k uint16) uint32 {
	v := get(b, k)
	if len(v) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

// without drops the attributes of the given kinds (b itself when it has
// none of them).
func without(b []byte, kinds ...uint16) []byte {
	drop := func(k uint16) bool {
		for _, d := range kinds {
			if d == k {
				return true
			}
		}
		return false
	}
	has := false
	walk(b, func(a attr) bool { has = drop(a.kind()); return !has })
	if !has {
		return b
	}
	out := make([]byte, 0, len(b))
	walk(b, func(a attr) bool {
		if !drop(a.kind()) {
			out = appendAttr(out, a.Type, a.Data)
		}
		return true
	})
	return out
}

// mapAttr replaces the payload of the attributes of kind k by f's result
// (dropping the attribute when f returns nil).
func mapAttr(b []byte, k uint16, f func([]byte) []byte) []byte {
	out := make([]byte, 0, len(b))
	walk(b, func(a attr) bool {
		if a.kind() == k {
			if a.Data = f(a.Data); a.Data == nil {
				return true
			}
		}
		out = appendAttr(out, a.Type, a.Data)
		return true
	})
	return out
}

// Attribute numbers the x/sys constants lack (the kernel's
// include/uapi/linux/netfilter/nf_tables.h).
const (
	nftaChainFlags        = 10
	nftaChainID           = 11
	nftaSetHandle         = 16
	nftaSetType           = 19 // dumped only, in newer kernels
	nftaSetCount          = 20 // dumped only, in newer kernels
	nftaRuleChainID       = 11
	nftaRulePositionID    = 10
	nftaObjHandle         = 6
	nftaObjPad            = 7
	nftaFlowtableName     = 2
	nftaFlowtableHook     = 3
	nftaFlowtableHookDevs = 3 // in NFTA_FLOWTABLE_HOOK
	nftaHookDevs          = 4 // in NFTA_CHAIN_HOOK
	nftaFlowtableTable    = 1
	nftaFlowtableUse      = 4
	nftaFlowtableHandle   = 5
	nftaFlowtablePad      = 6
	nftaSetElemPad        = 8
)

// What only the kernel sets, dropped from an object before it is sent back.
var kernelOnly = map[uint16][]uint16{
	unix.NFT_MSG_NEWTABLE:     {unix.NFTA_TABLE_USE, nftaTableHandle, nftaTablePad, nftaTableOwner},
	unix.NFT_MSG_NEWCHAIN:     {unix.NFTA_CHAIN_HANDLE, unix.NFTA_CHAIN_USE, unix.NFTA_CHAIN_PAD, nftaChainID},
	unix.NFT_MSG_NEWSET:       {nftaSetHandle, unix.NFTA_SET_PAD, unix.NFTA_SET_ID, nftaSetType, nftaSetCount},
	unix.NFT_MSG_NEWRULE:      {unix.NFTA_RULE_HANDLE, unix.NFTA_RULE_POSITION, unix.NFTA_RULE_PAD, unix.NFTA_RULE_ID, nftaRulePositionID, nftaRuleChainID},
	unix.NFT_MSG_NEWOBJ:       {unix.NFTA_OBJ_USE, nftaObjHandle, nftaObjPad},
	unix.NFT_MSG_NEWFLOWTABLE: {nftaFlowtableUse, nftaFlowtableHandle, nftaFlowtablePad},
}

// readTable dumps one table of ns's ruleset (c is open in ns); without
// runtime it leaves out the elements of dynamic and timeout sets.
func readTable(c *netlink.Conn, family byte, name string, runtime bool) (*tableDump, error) {
	mode := elemsStatic
	if runtime {
		mode = elemsAll
	}
	return readTableElems(c, family, name, mode)
}

// Which set elements a table read takes.
type elemMode int

const (
	elemsNone   elemMode = iota // no set's (a re-apply's read: incremental.go)
	elemsStatic                 // those of sets the packet path does not change
	elemsAll
)

func readTableElems(c *netlink.Conn, family byte, name string, mode elemMode) (*tableDump, error) {
	return readTableParts(c, family, name, mode, true)
}

// readTableParts is readTableElems, with the rules only if withRules.
func readTableParts(c *netlink.Conn, family byte, name string, mode elemMode, withRules bool) (*tableDump, error) {
	d, err := readTableOnly(c, family, name)
	if err != nil || d.Table == nil {
		return d, err
	}
	d.Elems = map[string][][]byte{}
	// Chains cannot be filtered by table in a dump: take the family's.
	chains, err := request(c, unix.NFT_MSG_GETCHAIN, family, netlink.Dump, nil)
	if err != nil {
		return nil, err
	}
	for _, m := range chains {
		if getString(m, unix.NFTA_CHAIN_TABLE) == name {
			d.Chains = append(d.Chains, m)
		}
	}
	byTable := func(typ uint16, tableAttr uint16) ([][]byte, error) {
		ae := encoder()
		ae.String(tableAttr, name)
		msgs, err := request(c, typ, family, netlink.Dump, encode(ae))
		if err != nil {
			return nil, err
		}
		var out [][]byte
		for _, m := range msgs {
			if getString(m, tableAttr) == name { // filter kept by every kernel?
				out = append(out, m)
			}
		}
		return out, nil
	}
	if d.Objs, err = byTable(unix.NFT_MSG_GETOBJ, unix.NFTA_OBJ_TABLE); err != nil {
		return nil, err
	}
	if d.Flowtables, err = byTable(unix.NFT_MSG_GETFLOWTABLE, nftaFlowtableTable); err != nil {
		return nil, err
	}
	if d.Sets, err = byTable(unix.NFT_MSG_GETSET, unix.NFTA_SET_TABLE); err != nil {
		return nil, err
	}
	for _, s := range d.Sets {
		set := getString(s, unix.NFTA_SET_NAME)
		if mode == elemsNone || mode == elemsStatic && setFlags(s)&(unix.NFT_SET_EVAL|unix.NFT_SET_TIMEOUT) != 0 {
			continue
		}
		ae := encoder()
		ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, name)
		ae.String(unix.NFTA_SET_ELEM_LIST_SET, set)
		msgs, err := request(c, unix.NFT_MSG_GETSETELEM, family, netlink.Dump, encode(ae))
		if err != nil {
			return nil, fmt.Errorf("set %s: %w", set, err)
		}
		for _, m := range msgs {
			if len(get(m, unix.NFTA_SET_ELEM_LIST_ELEMENTS)) > 0 {
				d.Elems[set] = append(d.Elems[set], m)
			}
		}
	}
	if !withRules {
		return d, nil
	}
	if d.Rules, err = byTable(unix.NFT_MSG_GETRULE, unix.NFTA_RULE_TABLE); err != nil {
		return nil, err
	}
	return d, nil
}

// readTableOnly reads a table's own attributes (d.Table nil: no such table).
func readTableOnly(c *netlink.Conn, family byte, name string) (*tableDump, error) {
	d := &tableDump{Family: family, Name: name}
	ae := encoder()
	ae.String(unix.NFTA_TABLE_NAME, name)
	msgs, err := request(c, unix.NFT_MSG_GETTABLE, family, 0, encode(ae))
	if errors.Is(err, unix.ENOENT) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	if len(msgs) == 1 {
		d.Table = msgs[0]
	}
	return d, nil
}

// request sends one GET request and returns the attributes of the answers.
//
// The answers are read 64 KiB at a time (nlraw.ReadRaw), as nft reads
// them: the kernel sizes each chunk of a dump by the largest read the
// socket has made (up to 32 KiB), and resumes each chunk by walking the
// table again from its start, so 4 KiB reads (mdlayher/netlink's Execute)
// made a dump of 20,000 rules cost 0.3 s of kernel time instead of 0.04 s.
func request(c *netlink.Conn, typ uint16, family byte, flags netlink.HeaderFlags, attrs []byte) ([][]byte, error) {
	sent, err := c.Send(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | int(typ)), Flags: netlink.Request | flags},
		Data:   append(nfgen(family), attrs...),
	})
	if err != nil {
		return nil, classify(err)
	}
	var out [][]byte
	interrupted := false
	err = nlraw.ReadRaw(c, func(m syscall.NetlinkMessage) (bool, error) {
		if m.Header.Seq != sent.Header.Sequence {
			return false, nil // an answer to an earlier request
		}
		switch m.Header.Type {
		case unix.NLMSG_DONE:
			return true, nil
		case unix.NLMSG_ERROR:
			if e := nlraw.Errno(m); e != 0 {
				return true, e
			}
			return true, nil
		}
		interrupted = interrupted || m.Header.Flags&unix.NLM_F_DUMP_INTR != 0
		if len(m.Data) >= 4 {
			out = append(out, append([]byte(nil), m.Data[4:]...))
		}
		return m.Header.Flags&unix.NLM_F_MULTI == 0, nil
	})
	if err != nil {
		return nil, classify(err)
	}
	if interrupted {
		return nil, errDumpInterrupted
	}
	return out, nil
}

var errDumpInterrupted = errors.New("the ruleset changed during the dump")

// marked reports whether the dumped table carries xt2nft's mark.
func (d *tableDump) marked() bool {
	return d.Table != nil && isMark(get(d.Table, nftaTableUserdata))
}

// owner is the netlink port that owns the table (NFT_TABLE_F_OWNER), 0
// for none.
func (d *tableDump) owner() uint32 {
	if d.Table == nil || getU32(d.Table, unix.NFTA_TABLE_FLAGS)&nftTableFOwner == 0 {
		return 0
	}
	return getU32(d.Table, nftaTableOwner)
}

// A set's flags, from its dump.
func setFlags(s []byte) uint32 { return getU32(s, unix.NFTA_SET_FLAGS) }

// canonical is a table's objects reduced to what two dumps must share to
// be the same table: what only the kernel sets is dropped, objects are
// sorted where the kernel's order means nothing (set elements come in hash
// order), and for a digest (strict false) also what traffic changes:
// counters, quota use, the elements of sets that rules or timeouts change.
// Each entry is what it is and the SHA-256 of its canonical bytes.
type canonical []canonEntry

type canonEntry struct {
	kind, name string // "rule", chain name; "set", set name; ...
	index      int    // a rule's position in its chain
	sum        [32]byte
}

func (e canonEntry) what() string {
	switch e.kind {
	case "rule":
		return fmt.Sprintf("rule %d of chain %s", e.index, e.name)
	case "elements":
		return "the elements of set " + e.name
	case "table":
		return "the table's attributes"
	}
	return e.kind + " " + e.name
}

func (d *tableDump) canonical(strict bool) canonical {
	var out canonical
	var buf []byte
	add := func(kind, name string, index int, b []byte) {
		out = append(out, canonEntry{kind: kind, name: name, index: index, sum: sha256.Sum256(b)})
	}
	if d.Table == nil {
		add("absent", "", 0, nil)
		return out
	}
	filter := func(b []byte, drop []uint16, f func(a attr) []byte) []byte {
		buf = buf[:0]
		walk(b, func(a attr) bool {
			for _, k := range drop {
				if a.kind() == k {
					return true
				}
			}
			data := a.Data
			if f != nil {
				data = f(a)
			}
			buf = appendAttr(buf, a.Type, data)
			return true
		})
		return buf
	}
	add("table", "", 0, filter(d.Table, kernelOnly[unix.NFT_MSG_NEWTABLE], nil))
	sorted := func(kind string, typ uint16, objs [][]byte, name uint16, extra ...uint16) {
		idx := make([]int, len(objs))
		names := make([]string, len(objs))
		for i, o := range objs {
			idx[i], names[i] = i, getString(o, name)
		}
		sort.SliceStable(idx, func(a, b int) bool { return names[idx[a]] < names[idx[b]] })
		drop := append(append([]uint16(nil), kernelOnly[typ]...), extra...)
		for _, i := range idx {
			add(kind, names[i], 0, filter(objs[i], drop, nil))
		}
	}
	var chainExtra, objExtra []uint16
	if !strict {
		chainExtra = []uint16{unix.NFTA_CHAIN_COUNTERS}
		objExtra = []uint16{unix.NFTA_OBJ_DATA} // counter and quota state
	}
	sorted("chain", unix.NFT_MSG_NEWCHAIN, d.Chains, unix.NFTA_CHAIN_NAME, chainExtra...)
	sorted("object", unix.NFT_MSG_NEWOBJ, d.Objs, unix.NFTA_OBJ_NAME, objExtra...)
	sorted("flowtable", unix.NFT_MSG_NEWFLOWTABLE, d.Flowtables, nftaFlowtableName)
	sorted("set", unix.NFT_MSG_NEWSET, d.Sets, unix.NFTA_SET_NAME)
	names := make([]string, 0, len(d.Sets))
	flags := map[string]uint32{}
	for _, s := range d.Sets {
		n := getString(s, unix.NFTA_SET_NAME)
		names = append(names, n)
		flags[n] = setFlags(s)
	}
	sort.Strings(names)
	elemDrop := []uint16{unix.NFTA_SET_ELEM_EXPIRATION, nftaSetElemPad}
	if !strict {
		elemDrop = append(elemDrop, unix.NFTA_SET_ELEM_EXPR, nftaSetElemExprs)
	}
	for _, n := range names {
		if !strict && flags[n]&(unix.NFT_SET_EVAL|unix.NFT_SET_TIMEOUT) != 0 {
			continue // runtime state: rules and timeouts change it
		}
		els := elementsOf(d.Elems[n])
		list := make([][]byte, 0, len(els))
		for _, e := range els {
			list = append(list, append([]byte(nil), filter(e, elemDrop, nil)...))
		}
		sort.Slice(list, func(i, j int) bool { return bytes.Compare(list[i], list[j]) < 0 })
		var all []byte
		for _, e := range list {
			all = binary.BigEndian.AppendUint32(all, uint32(len(e)))
			all = append(all, e...)
		}
		add("elements", n, 0, all)
	}
	count := map[string]int{}
	ruleDrop := kernelOnly[unix.NFT_MSG_NEWRULE]
	var exprs func(a attr) []byte
	if !strict {
		exprs = func(a attr) []byte {
			if a.kind() == unix.NFTA_RULE_EXPRESSIONS {
				return withoutState(a.Data)
			}
			return a.Data
		}
	}
	for _, r := range d.Rules {
		ch := getString(r, unix.NFTA_RULE_CHAIN)
		count[ch]++
		add("rule", ch, count[ch], filter(r, ruleDrop, exprs))
	}
	return out
}

// elementsOf splits NEWSETELEM attributes into the elements' attributes.
func elementsOf(msgs [][]byte) [][]byte {
	var out [][]byte
	for _, m := range msgs {
		list, _ := attrs(get(m, unix.NFTA_SET_ELEM_LIST_ELEMENTS))
		for _, e := range list {
			out = append(out, e.Data)
		}
	}
	return out
}

// withoutState drops, from a rule's expression list, the state traffic
// changes: a counter's numbers, a quota's use, a last's time. A list with
// none of those is returned as it is.
func withoutState(list []byte) []byte {
	stateful := false
	walk(list, func(e attr) bool {
		switch getString(e.Data, unix.NFTA_EXPR_NAME) {
		case "counter", "last", "quota":
			stateful = true
		}
		return !stateful
	})
	if !stateful {
		return list
	}
	return mapAttr(list, unix.NFTA_LIST_ELEM, func(e []byte) []byte {
		switch getString(e, unix.NFTA_EXPR_NAME) {
		case "counter", "last":
			return without(e, unix.NFTA_EXPR_DATA)
		case "quota":
			return mapAttr(e, unix.NFTA_EXPR_DATA, func(q []byte) []byte { return without(q, unix.NFTA_QUOTA_CONSUMED) })
		}
		return e
	})
}

// digest is a fingerprint of the table: of its digest-mode canonical form.
func (d *tableDump) digest() []byte {
	h := sha256.New()
	for _, e := range d.canonical(false) {
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00", e.kind, e.name, e.index)
		h.Write(e.sum[:])
	}
	return h.Sum(nil)
}

// differs says where two canonical forms differ ("" when they do not).
func differs(a, b canonical) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return b[i].what() + " appeared"
		case i >= len(b):
			return a[i].what() + " is missing"
		case a[i].kind != b[i].kind || a[i].name != b[i].name || a[i].index != b[i].index:
			return fmt.Sprintf("%s where %s was", b[i].what(), a[i].what())
		case a[i].sum != b[i].sum:
			return a[i].what() + " differs"
		}
	}
	return ""
}
