package nft

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
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

// attrs splits encoded attributes (without validating more than lengths).
func attrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated attribute")
		}
		l := int(binary.NativeEndian.Uint16(b[:2]))
		if l < 4 || l > len(b) {
			return nil, errors.New("bad attribute length")
		}
		out = append(out, attr{Type: binary.NativeEndian.Uint16(b[2:4]), Data: b[4:l]})
		b = b[min(len(b), (l+3)&^3):]
	}
	return out, nil
}

// join encodes attributes.
func join(as []attr) []byte {
	var b []byte
	for _, a := range as {
		l := 4 + len(a.Data)
		b = binary.NativeEndian.AppendUint16(b, uint16(l))
		b = binary.NativeEndian.AppendUint16(b, a.Type)
		b = append(b, a.Data...)
		for l%4 != 0 {
			b = append(b, 0)
			l++
		}
	}
	return b
}

// get returns the payload of the first attribute of kind k.
func get(b []byte, k uint16) []byte {
	as, _ := attrs(b)
	for _, a := range as {
		if a.kind() == k {
			return a.Data
		}
	}
	return nil
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

// without drops the attributes of the given kinds.
func without(b []byte, kinds ...uint16) []byte {
	as, err := attrs(b)
	if err != nil {
		return b
	}
	out := as[:0:0]
	for _, a := range as {
		drop := false
		for _, k := range kinds {
			drop = drop || a.kind() == k
		}
		if !drop {
			out = append(out, a)
		}
	}
	return join(out)
}

// mapAttr replaces the payload of the attributes of kind k by f's result
// (dropping the attribute when f returns nil).
func mapAttr(b []byte, k uint16, f func([]byte) []byte) []byte {
	as, err := attrs(b)
	if err != nil {
		return b
	}
	out := as[:0:0]
	for _, a := range as {
		if a.kind() == k {
			if a.Data = f(a.Data); a.Data == nil {
				continue
			}
		}
		out = append(out, a)
	}
	return join(out)
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
		if !runtime && setFlags(s)&(unix.NFT_SET_EVAL|unix.NFT_SET_TIMEOUT) != 0 {
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
func request(c *netlink.Conn, typ uint16, family byte, flags netlink.HeaderFlags, attrs []byte) ([][]byte, error) {
	msgs, err := c.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | int(typ)), Flags: netlink.Request | flags},
		Data:   append(nfgen(family), attrs...),
	})
	if err != nil {
		return nil, classify(err)
	}
	out := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Flags&netlink.DumpInterrupted != 0 {
			return nil, errDumpInterrupted
		}
		if len(m.Data) >= 4 && m.Header.Type != netlink.Done {
			out = append(out, m.Data[4:])
		}
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
// Each entry is (what it is, its canonical bytes).
type canonical []struct {
	what string
	data []byte
}

func (d *tableDump) canonical(strict bool) canonical {
	var out canonical
	add := func(what string, b []byte) {
		out = append(out, struct {
			what string
			data []byte
		}{what, b})
	}
	if d.Table == nil {
		add("table (absent)", nil)
		return out
	}
	add("the table's attributes", without(d.Table, kernelOnly[unix.NFT_MSG_NEWTABLE]...))
	sorted := func(what string, typ uint16, objs [][]byte, name uint16, extra ...uint16) {
		list := make([][]byte, 0, len(objs))
		for _, o := range objs {
			list = append(list, without(o, append(kernelOnly[typ], extra...)...))
		}
		sort.Slice(list, func(i, j int) bool { return getString(list[i], name) < getString(list[j], name) })
		for _, o := range list {
			add(what+" "+getString(o, name), o)
		}
	}
	var chainExtra []uint16
	if !strict {
		chainExtra = []uint16{unix.NFTA_CHAIN_COUNTERS}
	}
	sorted("chain", unix.NFT_MSG_NEWCHAIN, d.Chains, unix.NFTA_CHAIN_NAME, chainExtra...)
	objs := d.Objs
	if !strict {
		objs = nil
		for _, o := range d.Objs {
			objs = append(objs, without(o, unix.NFTA_OBJ_DATA)) // counter and quota state
		}
	}
	sorted("object", unix.NFT_MSG_NEWOBJ, objs, unix.NFTA_OBJ_NAME)
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
	for _, n := range names {
		if !strict && flags[n]&(unix.NFT_SET_EVAL|unix.NFT_SET_TIMEOUT) != 0 {
			continue // runtime state: rules and timeouts change it
		}
		els := elementsOf(d.Elems[n])
		list := make([][]byte, 0, len(els))
		for _, e := range els {
			drop := []uint16{unix.NFTA_SET_ELEM_EXPIRATION, nftaSetElemPad}
			if !strict {
				drop = append(drop, unix.NFTA_SET_ELEM_EXPR, nftaSetElemExprs)
			}
			list = append(list, without(e, drop...))
		}
		sort.Slice(list, func(i, j int) bool { return bytes.Compare(list[i], list[j]) < 0 })
		var all []byte
		for _, e := range list {
			all = binary.BigEndian.AppendUint32(all, uint32(len(e)))
			all = append(all, e...)
		}
		add(fmt.Sprintf("the elements of set %s", n), all)
	}
	count := map[string]int{}
	for _, r := range d.Rules {
		r = without(r, kernelOnly[unix.NFT_MSG_NEWRULE]...)
		if !strict {
			r = mapAttr(r, unix.NFTA_RULE_EXPRESSIONS, withoutState)
		}
		ch := getString(r, unix.NFTA_RULE_CHAIN)
		count[ch]++
		add(fmt.Sprintf("rule %d of chain %s", count[ch], ch), r)
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
// changes: a counter's numbers, a quota's use, a last's time.
func withoutState(list []byte) []byte {
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

// digest is a fingerprint of the table as a digest-mode canonical form.
func (d *tableDump) digest() []byte {
	h := sha256.New()
	for _, e := range d.canonical(false) {
		fmt.Fprintf(h, "%s\x00%d\x00", e.what, len(e.data))
		h.Write(e.data)
	}
	return h.Sum(nil)
}

// differs says where two canonical forms differ ("" when they do not).
func differs(a, b canonical) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return b[i].what + " appeared"
		case i >= len(b):
			return a[i].what + " is missing"
		case a[i].what != b[i].what:
			return fmt.Sprintf("%s where %s was", b[i].what, a[i].what)
		case !bytes.Equal(a[i].data, b[i].data):
			return a[i].what + " differs"
		}
	}
	return ""
}
