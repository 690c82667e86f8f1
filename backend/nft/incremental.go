package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/internal/seqdiff"
)

// A re-apply sends only what changed. When the live table is xt2nft's own,
// Apply reads its chains, rules, sets and objects (no set elements) and
// changes it in place, in the same one batch, conditioned on the same
// generation as a whole-table swap:
//
//   - a rule stays where it is when the rule at its place in the new chain
//     has the same digest (digest.go); the rest of a chain is edited by the
//     shortest edit script between the live and the new digests: live rules
//     deleted by handle, new ones inserted in front of the next rule that
//     stays (or appended);
//   - a named set whose definition has the same digest stays: a dynamic
//     set's contents (recent lists, meters) are neither dumped nor copied;
//     a static set's elements are flushed and sent again (they are the
//     program's, and another tool may have edited them), as are a dynamic
//     set's initial ones under --reset-sets;
//   - a set whose definition changed is deleted and created again, with its
//     live elements carried over when they fit (carriable), and every rule
//     that refers to it is sent again; so is every rule that refers to an
//     object whose definition changed;
//   - a base chain whose hook, priority, type or device changed is deleted
//     and created again with its rules; a policy change is an update;
//   - chains, sets and objects the program no longer has are deleted.
//
// A rule another tool added or changed in the table has no digest, so it
// matches nothing and goes. What the kernel does with the batch is the same
// as for a swap: all or nothing.

// liveParts is a live table as a re-apply reads it.
type liveParts struct {
	flags uint32
	udata []byte // the table's: xt2nft's mark

	chains map[string][]byte     // NEWCHAIN attributes by name
	order  []string              // chain names in the kernel's order
	rules  map[string][]liveRule // each chain's rules in order
	sets   map[string][]byte     // named sets' NEWSET attributes
	objs   map[objKey][]byte     // NEWOBJ attributes
}

// liveRule is a live rule: its handle and what it is compared by.
type liveRule struct {
	handle uint64
	key    ruleKey
}

// ruleKey is what rules are compared by: the digest, or for a rule
// without one (or one that must be sent again) a value no other rule has.
type ruleKey struct {
	d      digest
	unique uint64
}

type objKey struct {
	name string
	typ  uint32
}

// readLiveParts reads the table (nil: it does not exist).
//
// cached, when not nil, are the table's rules as recorded right after the
// last commit (rulecache.go): they are not read again.
func readLiveParts(c *netlink.Conn, family byte, name string, cached map[string][]cachedRule) (*liveParts, error) {
	d, err := readTableParts(c, family, name, elemsNone, cached == nil)
	if err != nil || d.Table == nil {
		return nil, err
	}
	lp := &liveParts{flags: getU32(d.Table, unix.NFTA_TABLE_FLAGS), udata: get(d.Table, nftaTableUserdata), chains: map[string][]byte{},
		rules: map[string][]liveRule{}, sets: map[string][]byte{}, objs: map[objKey][]byte{}}
	for _, ch := range d.Chains {
		n := getString(ch, unix.NFTA_CHAIN_NAME)
		lp.chains[n] = ch
		lp.order = append(lp.order, n)
	}
	for _, ch := range lp.order {
		if rec := cached[ch]; len(rec) > 0 {
			rules := make([]liveRule, len(rec))
			for i, r := range rec {
				rules[i] = liveRule{handle: r.H, key: ruleKey{d: r.D}}
			}
			lp.rules[ch] = rules
		}
	}
	for _, r := range d.Rules {
		h := getU64(r, unix.NFTA_RULE_HANDLE)
		k := ruleKey{unique: h}
		if dg, ok := digestIn(get(r, unix.NFTA_RULE_USERDATA)); ok {
			k = ruleKey{d: dg}
		}
		ch := getString(r, unix.NFTA_RULE_CHAIN)
		lp.rules[ch] = append(lp.rules[ch], liveRule{handle: h, key: k})
	}
	for _, s := range d.Sets {
		if setFlags(s)&unix.NFT_SET_ANONYMOUS == 0 {
			lp.sets[getString(s, unix.NFTA_SET_NAME)] = s
		}
	}
	for _, o := range d.Objs {
		lp.objs[objKey{getString(o, unix.NFTA_OBJ_NAME), getU32(o, unix.NFTA_OBJ_TYPE)}] = o
	}
	return lp, nil
}

func getU64(b []byte, k uint16) uint64 {
	v := get(b, k)
	if len(v) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// liveChainShape is what of a live chain cannot change in place: hook,
// priority, device and type ("" for a regular chain).
func liveChainShape(attrs []byte) string {
	hook := get(attrs, unix.NFTA_CHAIN_HOOK)
	if hook == nil {
		return ""
	}
	return fmt.Sprintf("%d/%d/%s/%s", getU32(hook, unix.NFTA_HOOK_HOOKNUM), int32(getU32(hook, unix.NFTA_HOOK_PRIORITY)),
		getString(hook, unix.NFTA_HOOK_DEV), getString(attrs, unix.NFTA_CHAIN_TYPE))
}

func chainShape(c *nftables.Chain) string {
	if c.Hooknum == nil || c.Priority == nil {
		return ""
	}
	return fmt.Sprintf("%d/%d/%s/%s", uint32(*c.Hooknum), int32(*c.Priority), c.Device, c.Type)
}

// objState lists, per object type, the attributes of its data that are
// state, not definition (and padding).
var objState = map[uint32][]uint16{
	unix.NFT_OBJECT_COUNTER:   {unix.NFTA_COUNTER_BYTES, unix.NFTA_COUNTER_PACKETS, unix.NFTA_COUNTER_PAD},
	unix.NFT_OBJECT_QUOTA:     {unix.NFTA_QUOTA_CONSUMED, unix.NFTA_QUOTA_PAD},
	unix.NFT_OBJECT_LIMIT:     {unix.NFTA_LIMIT_PAD},
	unix.NFT_OBJECT_CT_HELPER: {},
}

// objDefinition is an object's data without its state, attributes sorted
// (the kernel dumps them in its own order) and trailing NULs dropped (the
// kernel dumps strings with theirs; attributes of one kind have one
// length, so this confuses no two values).
func objDefinition(typ uint32, data []byte) string {
	as, _ := attrs(without(data, objState[typ]...))
	sort.SliceStable(as, func(i, j int) bool { return as[i].kind() < as[j].kind() })
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "%d=%x;", a.kind(), bytes.TrimRight(a.Data, "\x00"))
	}
	return b.String()
}

// tableChanges is what a re-apply does to one table.
type tableChanges struct {
	tp *TableProgram
	lp *liveParts
	// sets: the program's named sets by what becomes of them.
	newSets, recreated, keptSets map[string]bool
	// objects created (new or changed); rules referring to a recreated set
	// or object are sent again.
	newObjs map[string]bool
	// dirty[k]: tp.Rules[k] refers to a recreated set or object
	dirty []bool
	// chains created again (their shape changed)
	rebuilt map[string]bool
	stats   IncrementalStats
}

// IncrementalStats say what a re-apply changed in place.
type IncrementalStats struct {
	RulesKept, RulesAdded, RulesDeleted               int
	SetsKept, SetsCreated, SetsRecreated, SetsDeleted int
	ChainsCreated, ChainsDeleted                      int
}

func (s *IncrementalStats) add(o IncrementalStats) {
	s.RulesKept += o.RulesKept
	s.RulesAdded += o.RulesAdded
	s.RulesDeleted += o.RulesDeleted
	s.SetsKept += o.SetsKept
	s.SetsCreated += o.SetsCreated
	s.SetsRecreated += o.SetsRecreated
	s.SetsDeleted += o.SetsDeleted
	s.ChainsCreated += o.ChainsCreated
	s.ChainsDeleted += o.ChainsDeleted
}

// compareTable decides what stays of the live table.
func compareTable(tp *TableProgram, lp *liveParts) (*tableChanges, error) {
	tc := &tableChanges{tp: tp, lp: lp, newSets: map[string]bool{}, recreated: map[string]bool{}, keptSets: map[string]bool{},
		newObjs: map[string]bool{}, dirty: make([]bool, len(tp.Rules)), rebuilt: map[string]bool{}}
	for _, sp := range tp.Sets {
		live, ok := lp.sets[sp.Set.Name]
		switch d, has := digestIn(get(live, unix.NFTA_SET_USERDATA)); {
		case !ok:
			tc.newSets[sp.Set.Name] = true
		case has && d == setDigest(sp):
			tc.keptSets[sp.Set.Name] = true
		default:
			tc.recreated[sp.Set.Name] = true
		}
	}
	for _, o := range tp.Objs {
		no, ok := o.(*nftables.NamedObj)
		if !ok {
			return nil, fmt.Errorf("table %s: object of type %T not supported", tp.Table.Name, o)
		}
		data, err := expr.MarshalExprData(byte(tp.Table.Family), no.Obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", no.Name, err)
		}
		live, ok := lp.objs[objKey{no.Name, uint32(no.Type)}]
		if !ok || objDefinition(uint32(no.Type), get(live, unix.NFTA_OBJ_DATA)) != objDefinition(uint32(no.Type), data) {
			tc.newObjs[no.Name] = true
		}
	}
	if len(tc.recreated) > 0 || len(tc.newObjs) > 0 {
		for k, r := range tp.Rules {
			sets, objs := refsOf(r.Rule)
			for _, s := range sets {
				if tc.recreated[s] {
					tc.dirty[k] = true
				}
			}
			for _, o := range objs {
				if tc.newObjs[o] {
					tc.dirty[k] = true
				}
			}
		}
	}
	for _, c := range tp.Chains {
		if live, ok := lp.chains[c.Name]; ok && liveChainShape(live) != chainShape(c) {
			tc.rebuilt[c.Name] = true
		}
	}
	return tc, nil
}

// queue queues the table's changes. digests[k] is the digest of
// tp.Rules[k]; handles[k] gets its handle, the live one of a rule that
// stays, the echoed one of a rule sent (see batch.echo). carried are the
// live elements of recreated sets.
func (tc *tableChanges) queue(b *batch, digests []digest, handles []uint64, carried map[*SetProgram][]nftables.SetElement, resetSets bool) error {
	tp, lp, t := tc.tp, tc.lp, tc.tp.Table
	st := &tc.stats
	inProgram := map[string]bool{}
	byChain := map[string][]int{} // rule indices
	for _, c := range tp.Chains {
		inProgram[c.Name] = true
	}
	for k, r := range tp.Rules {
		byChain[r.Rule.Chain.Name] = append(byChain[r.Rule.Chain.Name], k)
	}

	// 1. Rules that go: of chains that go or are rebuilt, all; of the
	// others, those the edit script removes. Insertions are noted for 6.
	type insertion struct {
		k      int    // rule index
		before uint64 // 0: append
	}
	var inserts []insertion
	for _, name := range lp.order {
		live := lp.rules[name]
		if !inProgram[name] || tc.rebuilt[name] {
			for _, lr := range live {
				b.delRule(t, name, lr.handle)
			}
			st.RulesDeleted += len(live)
			continue
		}
		next := byChain[name]
		keys := make([]ruleKey, len(next))
		for i, k := range next {
			keys[i] = ruleKey{d: digests[k]}
			if tc.dirty[k] {
				keys[i] = ruleKey{unique: ^uint64(i)} // never a live rule's
			}
		}
		liveKeys := make([]ruleKey, len(live))
		for i, lr := range live {
			liveKeys[i] = lr.key
		}
		kept := len(live)
		deleted, inserted := make([]bool, len(live)), make([]bool, len(next))
		for _, h := range seqdiff.Hunks(liveKeys, keys) {
			for _, i := range h.Del {
				deleted[i] = true
			}
			for _, j := range h.Ins {
				inserted[j] = true
			}
			for _, i := range h.Del {
				b.delRule(t, name, live[i].handle)
			}
			kept -= len(h.Del)
			var before uint64
			if at := h.A + len(h.Del); at < len(live) {
				before = live[at].handle
			}
			for _, j := range h.Ins {
				inserts = append(inserts, insertion{next[j], before})
			}
			st.RulesDeleted += len(h.Del)
		}
		st.RulesKept += kept
		// What stays pairs up in order: the common subsequence.
		i := 0
		for j, k := range next {
			if inserted[j] {
				continue
			}
			for i < len(live) && deleted[i] {
				i++
			}
			if i < len(live) {
				handles[k] = live[i].handle
				i++
			}
		}
	}

	// 2. Sets and objects that go or are made again, after the rules that
	// referred to them and before the chains their elements may jump to.
	for _, sp := range tp.Sets {
		switch {
		case tc.keptSets[sp.Set.Name] && sp.Set.Constant:
			// the same elements (they are part of its digest)
		case tc.keptSets[sp.Set.Name] && (!sp.Set.Dynamic || resetSets):
			b.flushSet(t, sp.Set.Name)
		case tc.recreated[sp.Set.Name]:
			b.delSet(t, sp.Set.Name)
		}
	}
	programSets := map[string]bool{}
	for _, sp := range tp.Sets {
		programSets[sp.Set.Name] = true
	}
	for name := range lp.sets {
		if !programSets[name] {
			b.delSet(t, name)
			st.SetsDeleted++
		}
	}
	programObjs := map[objKey]bool{}
	for _, o := range tp.Objs {
		no := o.(*nftables.NamedObj)
		programObjs[objKey{no.Name, uint32(no.Type)}] = true
		if _, live := lp.objs[objKey{no.Name, uint32(no.Type)}]; live && tc.newObjs[no.Name] {
			b.delObj(t, no.Name, uint32(no.Type))
		}
	}
	for k := range lp.objs {
		if !programObjs[k] {
			b.delObj(t, k.name, k.typ)
		}
	}
	for _, name := range lp.order {
		if !inProgram[name] || tc.rebuilt[name] {
			b.delChain(t, name)
			st.ChainsDeleted++
		}
	}

	// 3. New objects and sets (definitions only).
	for _, o := range tp.Objs {
		if no := o.(*nftables.NamedObj); tc.newObjs[no.Name] {
			if err := b.obj(no); err != nil {
				return err
			}
		}
	}
	for _, sp := range tp.Sets {
		if tc.newSets[sp.Set.Name] || tc.recreated[sp.Set.Name] {
			if err := b.set(sp.Set, withDigest(sp.udata, setDigest(sp)), nil); err != nil {
				return err
			}
			if tc.recreated[sp.Set.Name] {
				st.SetsRecreated++
			} else {
				st.SetsCreated++
			}
		} else {
			st.SetsKept++
		}
	}

	// 4. Chains: created, or updated (a base chain's policy).
	for _, c := range tp.Chains {
		b.chain(c)
		if _, live := lp.chains[c.Name]; !live || tc.rebuilt[c.Name] {
			st.ChainsCreated++
		}
	}

	// 5. Elements: the program's of every set that is not a kept dynamic
	// one, and the carried ones of recreated sets.
	for _, sp := range tp.Sets {
		if tc.keptSets[sp.Set.Name] && (sp.Set.Constant || sp.Set.Dynamic && !resetSets) {
			continue // its contents stay where they are
		}
		els := append(append([]nftables.SetElement(nil), sp.Elems...), carried[sp]...)
		if err := b.elements(sp.Set, els); err != nil {
			return err
		}
	}

	// 6. Rules: the chains' new rules in order, then the insertions.
	for _, c := range tp.Chains {
		if _, live := lp.chains[c.Name]; live && !tc.rebuilt[c.Name] {
			continue
		}
		for _, k := range byChain[c.Name] {
			if err := queueRule(b, tp.Rules[k], digests[k], 0, &handles[k]); err != nil {
				return err
			}
			st.RulesAdded++
		}
	}
	for _, in := range inserts {
		if err := queueRule(b, tp.Rules[in.k], digests[in.k], in.before, &handles[in.k]); err != nil {
			return err
		}
		st.RulesAdded++
	}
	return nil
}

// queueRule queues a rule's anonymous sets and the rule, with its digest
// d, inserted before the rule with handle before (0: appended); slot, if
// not nil, gets its handle.
func queueRule(b *batch, r *RuleProgram, d digest, before uint64, slot *uint64) error {
	for _, a := range r.Anon {
		if err := b.set(a.Set, a.udata, a.Elems); err != nil {
			return &Error{Pos: r.Origin, Msg: err.Error()}
		}
	}
	if err := b.rule(r.Rule, &d, before, r, slot); err != nil {
		return &Error{Pos: r.Origin, Msg: err.Error()}
	}
	return nil
}
