package nft

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
)

// A rollback must work before the new ruleset goes live, so a snapshot is
// the kernel's own objects (dump.go), taken in one generation, and it is
// proven before it is used: Snapshot sends it to a throwaway namespace
// exactly as a restore would, dumps what that namespace then holds and
// requires the same canonical form, counters included. What the kernel
// dumps but will not take back (a table owned by another process, a flowtable
// on a device the namespace lacks, xtables matches that need the rule's
// protocol context) fails there, and apply refuses to go on.
//
// Restoring puts each table back whole in one batch: the table is created
// if absent, deleted, and created again with its objects (chains, objects,
// flowtables, sets, elements, rules, in the order their references need);
// set elements keep the time they had left minus the time since the
// snapshot, so that they expire when they would have.

// tableSnapshot is one table as it was.
type tableSnapshot struct {
	Dump   *tableDump
	Digest []byte
}

// snapshot is what Backend.Snapshot saves; JSON is its journal form.
type snapshot struct {
	Gen   uint32 // the generation it was read in
	Taken int64  // when, in Unix nanoseconds (element expiry is relative to it)
	Saved []tableSnapshot
}

// Tables lists the tables saved.
func (s *snapshot) Tables() []backend.Table {
	out := make([]backend.Table, len(s.Saved))
	for i, t := range s.Saved {
		out[i] = backend.Table{Family: familyName(t.Dump.Family), Name: t.Dump.Name}
	}
	return out
}

// MarshalBinary encodes the snapshot for a journal.
func (s *snapshot) MarshalBinary() ([]byte, error) { return json.Marshal(s) }

// tableRef is a table to snapshot: family and name.
type tableRef struct {
	family byte
	name   string
}

// readTables dumps the tables in one generation (retrying while another
// transaction commits in between) and returns them with that generation.
// Without runtime, the elements of dynamic and timeout sets are not read
// (a digest leaves them out, and a big set dumps slowly).
func readTables(c *netlink.Conn, refs []tableRef, runtime bool) ([]*tableDump, uint32, error) {
	for attempt := 0; ; attempt++ {
		g1, err := generation(c)
		if err != nil {
			return nil, 0, err
		}
		var out []*tableDump
		for _, r := range refs {
			d, err := readTable(c, r.family, r.name, runtime)
			if errors.Is(err, errDumpInterrupted) {
				out = nil
				break
			}
			if err != nil {
				return nil, 0, fmt.Errorf("reading table %s %s: %w", familyName(r.family), r.name, err)
			}
			out = append(out, d)
		}
		g2, err := generation(c)
		if err != nil {
			return nil, 0, err
		}
		if out != nil && g1 == g2 {
			return out, g1, nil
		}
		if attempt == 9 {
			return nil, 0, &backend.ChangedError{Op: "read", Detail: "another program keeps changing the ruleset while xt2nft reads it (10 attempts)"}
		}
	}
}

// takeSnapshot reads the tables and proves the snapshot restores.
func takeSnapshot(ns *netns.NS, refs []tableRef) (*snapshot, error) {
	c, err := dial(ns)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	dumps, gen, err := readTables(c, refs, true)
	if err != nil {
		return nil, err
	}
	s := &snapshot{Gen: gen, Taken: time.Now().UnixNano()}
	for _, d := range dumps {
		if pid := d.owner(); pid != 0 {
			return nil, &backend.UnrestorableError{Table: backend.Table{Family: familyName(d.Family), Name: d.Name},
				Reason: fmt.Sprintf("it is owned by netlink port %d (NFT_TABLE_F_OWNER): it goes away with its owner and no other process can create it again", pid)}
		}
		s.Saved = append(s.Saved, tableSnapshot{Dump: d, Digest: d.digest()})
	}
	if err := s.verify(); err != nil {
		return nil, err
	}
	return s, nil
}

// verify restores the snapshot into a throwaway namespace and compares
// what lists back there with what was saved.
func (s *snapshot) verify() error {
	var present []*tableDump
	for _, t := range s.Saved {
		if t.Dump.Table != nil {
			present = append(present, t.Dump)
		}
	}
	if len(present) == 0 {
		return nil
	}
	scratch, err := netns.Throwaway()
	if err != nil {
		return err
	}
	defer scratch.Close()
	// Flowtables and netdev chains need their devices: the throwaway
	// namespace gets veth devices of the same names.
	for i, dev := range devices(present) {
		if out, err := scratch.Command("ip", "link", "add", dev, "type", "veth", "peer", "name", fmt.Sprintf("xt2nft-peer%d", i)).CombinedOutput(); err != nil {
			return &backend.UnrestorableError{Table: backend.Table{Family: familyName(present[0].Family), Name: present[0].Name},
				Reason: fmt.Sprintf("it needs device %s, which xt2nft cannot create in a throwaway namespace to check the snapshot: %v: %s", dev, err, out)}
		}
	}
	start := time.Now()
	b := &batch{}
	for _, d := range present {
		restoreTable(b, d, 0)
	}
	if err := b.send(scratch, 0); err != nil {
		var be *batchError
		if errors.As(err, &be) && len(be.failures) > 0 {
			f := be.failures[0]
			return &backend.UnrestorableError{Table: tableOf(present, b, f.index), Reason: fmt.Sprintf("the kernel does not take %s back: %v", b.label(f.index), f.err)}
		}
		return &backend.UnrestorableError{Table: backend.Table{Family: familyName(present[0].Family), Name: present[0].Name}, Reason: fmt.Sprintf("the kernel does not take the table back: %v", err)}
	}
	c, err := dial(scratch)
	if err != nil {
		return err
	}
	defer c.Close()
	// Elements that expire while this runs may be gone on one side.
	margin := uint64(time.Since(start).Milliseconds()) + 2000
	for _, d := range present {
		back, err := readTable(c, d.Family, d.Name, true)
		if err != nil {
			return fmt.Errorf("checking the snapshot: %w", err)
		}
		if diff := differs(d.withoutExpiring(margin).canonical(true), back.withoutExpiring(margin).canonical(true)); diff != "" {
			return &backend.UnrestorableError{Table: backend.Table{Family: familyName(d.Family), Name: d.Name},
				Reason: "loaded into a throwaway namespace, it lists back differently: " + diff}
		}
	}
	return nil
}

// devices lists the network devices the tables' flowtables and netdev
// chains hook to.
func devices(tables []*tableDump) []string {
	seen := map[string]bool{}
	var out []string
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	list := func(b []byte) {
		as, _ := attrs(b)
		for _, a := range as {
			add(string(bytes.TrimRight(a.Data, "\x00")))
		}
	}
	for _, d := range tables {
		for _, c := range d.Chains {
			hook := get(c, unix.NFTA_CHAIN_HOOK)
			add(getString(hook, unix.NFTA_HOOK_DEV))
			list(get(hook, nftaHookDevs))
		}
		for _, f := range d.Flowtables {
			list(get(get(f, nftaFlowtableHook), nftaFlowtableHookDevs))
		}
	}
	return out
}

// tableOf names the table of the k-th message of a restore batch.
func tableOf(tables []*tableDump, b *batch, k int) backend.Table {
	for i := k; i >= 0; i-- {
		if b.origins[i].msgType == unix.NFT_MSG_NEWTABLE {
			d := b.data(i)
			return backend.Table{Family: familyName(d[0]), Name: getString(d[4:], unix.NFTA_TABLE_NAME)}
		}
	}
	return backend.Table{Family: familyName(tables[0].Family), Name: tables[0].Name}
}

// restoreTable queues what puts the dumped table back: created (if
// absent), deleted, and created again with its objects; a table that did
// not exist is only deleted. elapsed is the time since the dump, taken
// off every element's remaining time (elements with none left are left
// out).
func restoreTable(b *batch, d *tableDump, elapsed time.Duration) {
	name := encoder()
	name.String(unix.NFTA_TABLE_NAME, d.Name)
	plain := encode(name)
	b.raw(unix.NFT_MSG_NEWTABLE, d.Family, netlink.Create, plain, "table "+d.Name)
	b.raw(unix.NFT_MSG_DELTABLE, d.Family, 0, plain, "table "+d.Name)
	if d.Table == nil {
		return
	}
	clean := func(typ uint16, o []byte) []byte { return without(o, kernelOnly[typ]...) }
	b.raw(unix.NFT_MSG_NEWTABLE, d.Family, netlink.Create, clean(unix.NFT_MSG_NEWTABLE, d.Table), "table "+d.Name)
	for _, o := range d.Chains {
		b.raw(unix.NFT_MSG_NEWCHAIN, d.Family, netlink.Create, clean(unix.NFT_MSG_NEWCHAIN, o), "chain "+getString(o, unix.NFTA_CHAIN_NAME))
	}
	for _, o := range d.Objs {
		b.raw(unix.NFT_MSG_NEWOBJ, d.Family, netlink.Create, clean(unix.NFT_MSG_NEWOBJ, o), "object "+getString(o, unix.NFTA_OBJ_NAME))
	}
	for _, o := range d.Flowtables {
		b.raw(unix.NFT_MSG_NEWFLOWTABLE, d.Family, netlink.Create, clean(unix.NFT_MSG_NEWFLOWTABLE, o), "flowtable "+getString(o, nftaFlowtableName))
	}
	for _, o := range d.Sets {
		set := getString(o, unix.NFTA_SET_NAME)
		// The kernel wants an ID on every new set (rules of the same batch
		// may use it); the restored rules find their sets by name.
		b.raw(unix.NFT_MSG_NEWSET, d.Family, netlink.Create, append(clean(unix.NFT_MSG_NEWSET, o), encodeU32(unix.NFTA_SET_ID, nextSetID())...), "set "+set)
		for _, m := range d.Elems[set] {
			m = mapAttr(m, unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(list []byte) []byte { return aged(list, elapsed) })
			if len(get(m, unix.NFTA_SET_ELEM_LIST_ELEMENTS)) > 0 {
				b.raw(unix.NFT_MSG_NEWSETELEM, d.Family, netlink.Create, m, "the elements of set "+set)
			}
		}
	}
	count := map[string]int{}
	for _, o := range d.Rules {
		ch := getString(o, unix.NFTA_RULE_CHAIN)
		count[ch]++
		b.raw(unix.NFT_MSG_NEWRULE, d.Family, netlink.Create|netlink.Append, withCompat(clean(unix.NFT_MSG_NEWRULE, o)), fmt.Sprintf("rule %d of chain %s", count[ch], ch))
	}
}

// withCompat adds NFTA_RULE_COMPAT to a rule with xtables matches or
// targets (as iptables-nft writes them): the kernel checks such a match
// against the rule's protocol, which it is told in that attribute when the
// rule is created but does not dump. iptables-nft states the protocol (-p)
// as `meta l4proto` compared with a constant before the match, which is
// where it is read back from. A rule without xtables expressions is left
// alone.
func withCompat(rule []byte) []byte {
	exprs := get(rule, unix.NFTA_RULE_EXPRESSIONS)
	xtables := false
	walk(exprs, func(e attr) bool {
		n := get(e.Data, unix.NFTA_EXPR_NAME)
		xtables = string(n) == "match\x00" || string(n) == "target\x00"
		return !xtables
	})
	if !xtables || get(rule, unix.NFTA_RULE_COMPAT) != nil {
		return rule
	}
	list, _ := attrs(exprs)
	var proto, flags uint32
	xt, l4 := false, false
	for _, e := range list {
		data := get(e.Data, unix.NFTA_EXPR_DATA)
		switch getString(e.Data, unix.NFTA_EXPR_NAME) {
		case "match", "target":
			xt = true
		case "meta":
			l4 = getU32(data, unix.NFTA_META_KEY) == unix.NFT_META_L4PROTO
		case "cmp":
			if v := get(get(data, unix.NFTA_CMP_DATA), unix.NFTA_DATA_VALUE); l4 && proto == 0 && len(v) == 1 {
				proto = uint32(v[0])
				if getU32(data, unix.NFTA_CMP_OP) == unix.NFT_CMP_NEQ {
					flags = unix.NFT_RULE_COMPAT_F_INV
				}
			}
			l4 = false
		default:
			l4 = false
		}
	}
	if !xt {
		return rule
	}
	ae := encoder()
	ae.Nested(unix.NFTA_RULE_COMPAT, func(c *netlink.AttributeEncoder) error {
		c.Uint32(unix.NFTA_RULE_COMPAT_PROTO, proto)
		c.Uint32(unix.NFTA_RULE_COMPAT_FLAGS, flags)
		return nil
	})
	return append(rule, encode(ae)...)
}

// aged takes elapsed off the remaining time of each element of an element
// list and leaves out those with no time left.
func aged(list []byte, elapsed time.Duration) []byte {
	els, err := attrs(list)
	if err != nil {
		return list
	}
	out := els[:0:0]
	for _, e := range els {
		e.Data = without(e.Data, nftaSetElemPad)
		if exp := get(e.Data, unix.NFTA_SET_ELEM_EXPIRATION); len(exp) == 8 {
			left := int64(binary.BigEndian.Uint64(exp)) - elapsed.Milliseconds()
			if left <= 0 {
				continue
			}
			e.Data = mapAttr(e.Data, unix.NFTA_SET_ELEM_EXPIRATION, func([]byte) []byte {
				return binary.BigEndian.AppendUint64(nil, uint64(left))
			})
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	return join(out)
}

// withoutExpiring returns a copy of d without the elements that have less
// than ms milliseconds left.
func (d *tableDump) withoutExpiring(ms uint64) *tableDump {
	c := *d
	c.Elems = map[string][][]byte{}
	for set, msgs := range d.Elems {
		for _, m := range msgs {
			m = mapAttr(m, unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(list []byte) []byte {
				els, _ := attrs(list)
				out := els[:0:0]
				for _, e := range els {
					if exp := get(e.Data, unix.NFTA_SET_ELEM_EXPIRATION); len(exp) == 8 && binary.BigEndian.Uint64(exp) < ms {
						continue
					}
					out = append(out, e)
				}
				return join(out)
			})
			c.Elems[set] = append(c.Elems[set], m)
		}
	}
	return &c
}

// mark is what Apply records for Restore: the generation after the apply
// and the digest of each table it created, read in that generation.
type mark struct {
	Gen     uint32
	Digests map[string][]byte // by tableKey; none when another commit came first
}

func tableKey(family byte, name string) string { return fmt.Sprintf("%d/%s", family, name) }

// takeMark reads the applied tables' digests, if the generation is still
// the apply's.
func takeMark(ns *netns.NS, refs []tableRef, gen uint32) backend.Mark {
	m := mark{Gen: gen}
	if c, err := dial(ns); err == nil {
		if dumps, g, err := readTables(c, refs, false); err == nil && g == gen {
			m.Digests = map[string][]byte{}
			for _, d := range dumps {
				m.Digests[tableKey(d.Family, d.Name)] = d.digest()
			}
		}
		c.Close()
	}
	b, _ := json.Marshal(m)
	return b
}

// restore puts the snapshot back (see backend.Backend.Restore).
func restore(ns *netns.NS, s *snapshot, since backend.Mark) (*backend.Restored, error) {
	var m *mark
	if since != nil {
		m = &mark{}
		if err := json.Unmarshal(since, m); err != nil {
			return nil, fmt.Errorf("reading the apply's mark: %w", err)
		}
	}
	refs := make([]tableRef, len(s.Saved))
	for i, t := range s.Saved {
		refs[i] = tableRef{t.Dump.Family, t.Dump.Name}
	}
	c, err := dial(ns)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	for attempt := 0; ; attempt++ {
		res := &backend.Restored{}
		gen, err := generation(c)
		if err != nil {
			return nil, err
		}
		if m != nil && gen == m.Gen {
			// Nothing committed since the apply: every table is as it
			// applied it, and goes back without being read first.
			b := &batch{}
			for _, t := range s.Saved {
				restoreTable(b, t.Dump, time.Since(time.Unix(0, s.Taken)))
			}
			err = b.send(ns, gen)
			var be *batchError
			if errors.As(err, &be) && be.batch == unix.ERESTART && attempt < 9 {
				continue
			}
			if err != nil {
				return nil, describe(b, err, "restore")
			}
			return res, nil
		}
		now, gen, err := readTables(c, refs, false)
		if err != nil {
			return nil, err
		}
		if gen == s.Gen {
			// No transaction since the snapshot: the apply never went live.
			res.Nothing = true
			return res, nil
		}
		b := &batch{}
		for i, t := range s.Saved {
			cur := now[i]
			var applied []byte
			if m != nil {
				applied = m.Digests[tableKey(cur.Family, cur.Name)]
			}
			fate := backend.Decide(
				backend.TableState{Present: t.Dump.Table != nil, Ours: t.Dump.marked(), Digest: t.Digest},
				backend.TableState{Present: cur.Table != nil, Ours: cur.marked(), Digest: cur.digest()},
				applied, m != nil)
			res.Note(backend.Table{Family: familyName(cur.Family), Name: cur.Name}, fate)
			if fate != backend.Keep && fate != backend.Leave {
				restoreTable(b, t.Dump, time.Since(time.Unix(0, s.Taken)))
			}
		}
		res.Elsewhere = m != nil && len(res.Changed) == 0 && len(res.Left) == 0 && !res.Unknown
		if b.len() == 0 {
			res.Nothing = len(res.Left) == 0
			return res, nil
		}
		err = b.send(ns, gen)
		var be *batchError
		if errors.As(err, &be) && be.batch == unix.ERESTART && attempt < 9 {
			continue // another commit between our read and our write: read again
		}
		if err != nil {
			return nil, describe(b, err, "restore")
		}
		return res, nil
	}
}

// describe turns a refused batch into an error naming the message.
func describe(b *batch, err error, op string) error {
	var be *batchError
	if !errors.As(err, &be) {
		return classify(err)
	}
	if be.batch == unix.ERESTART {
		return &backend.ChangedError{Op: op, Err: be.batch}
	}
	if be.batch != 0 {
		return classify(be)
	}
	f := be.failures[0]
	if f.err == unix.EPERM || f.err == unix.EACCES {
		return &backend.PermissionError{Err: f.err}
	}
	return fmt.Errorf("the kernel refused %s: %w", b.label(f.index), f.err)
}
