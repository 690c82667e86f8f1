package recent

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
	"github.com/xt2nft/xt2nft/backend/runlock"
	"github.com/xt2nft/xt2nft/recentset"
)

// NFT edits the nft sets xt2nft made for recent lists, in any ip, ip6 or
// inet table: package recentset names them and says what an event, a
// removal and a check do, and NFT performs those plans from the control
// plane. A list is one name: its IPv4 and IPv6 sets (an ip and an ip6
// table, or both families' sets in one inet table) are shown, edited and
// migrated as one list, each address in its family's sets. Add
// is one event per address (every window refreshed, the ring advanced),
// Del removes the address from every set.
//
// Edits of one list are serialised between processes by a lock per list
// (package runlock), so that two events on one address cannot both read
// the same ring pointer; each event's set operations go in one netlink
// batch. Events the packet path records meanwhile are not serialised with
// them (xt_recent holds one spinlock; nft has none for a sequence of set
// operations).
type NFT struct {
	// Conn is the netlink connection (nftables.New(), or with WithNetNSFd).
	Conn *nftables.Conn
	// LockDir holds the lock files (default runlock.DefaultDir).
	LockDir string
}

var _ Backend = (*NFT)(nil)

// nftList is one list in one table: its layout, read back from its sets'
// names and comments, and the kernel's sets by role.
type nftList struct {
	*recentset.List
	table *nftables.Table
	sets  map[recentset.Set]*nftables.Set
	// counts are the kernel's element counts of the sets (-1: unknown).
	counts map[recentset.Set]int
	// broken says why sets named like a list's are not one recentctl can
	// edit (nil: they are).
	broken error
}

// find returns every list by name (one per table, IPv4 and IPv6).
func (n *NFT) find() (map[string][]*nftList, error) {
	tables, err := n.Conn.ListTables()
	if err != nil {
		return nil, fmt.Errorf("listing nft tables: %w", err)
	}
	out := map[string][]*nftList{}
	for _, t := range tables {
		if t.Family != nftables.TableFamilyIPv4 && t.Family != nftables.TableFamilyIPv6 && t.Family != nftables.TableFamilyINet {
			continue
		}
		sets, err := n.Conn.GetSets(t)
		if err != nil {
			return nil, fmt.Errorf("listing sets of table %s: %w", t.Name, err)
		}
		byBase := map[string]map[recentset.Set]*nftables.Set{}
		var bases []string
		for _, s := range sets {
			base, role, ok := recentset.ParseSetName(s.Name)
			if !ok {
				continue
			}
			if byBase[base] == nil {
				byBase[base] = map[recentset.Set]*nftables.Set{}
				bases = append(bases, base)
			}
			byBase[base][role] = s
		}
		if len(bases) == 0 {
			continue
		}
		infos, err := nlraw.SetInfos(n.Conn.NetNS, t)
		if err != nil {
			return nil, err
		}
		for _, base := range bases {
			l := discover(t, base, byBase[base], infos)
			out[l.Name] = append(out[l.Name], l)
		}
	}
	return out, nil
}

// discover rebuilds a list's layout from its sets: the name and mask from
// a comment ("xt_recent NAME ROLE [mask M]"), or the name from the sets'
// base when no comment says it (a name too long for a comment).
func discover(t *nftables.Table, base string, sets map[recentset.Set]*nftables.Set, infos map[string]nlraw.SetInfo) *nftList {
	names := make([]string, 0, len(sets))
	for _, s := range sets {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	name, mask := strings.TrimPrefix(base, "recent_"), netip.Addr{}
	for _, sn := range names {
		if n, m, ok := recentset.ParseComment(infos[sn].Comment); ok {
			if n != "" {
				name = n
			}
			mask = m
			break
		}
	}
	// The family is the table's, or in an inet table the sets' keys'
	// (every set of a list but the TTL pairs is keyed by the address).
	ipv6 := t.Family == nftables.TableFamilyIPv6
	for role, s := range sets {
		if role.Role != recentset.TTL && t.Family == nftables.TableFamilyINet {
			ipv6 = s.KeyType.Name == nftables.TypeIP6Addr.Name
			break
		}
	}
	l := recentset.NewList(name, base, ipv6, mask)
	l.Inet = t.Family == nftables.TableFamilyINet
	for role, s := range sets {
		switch role.Role {
		case recentset.Mem:
			l.Mem = true
		case recentset.Last:
			l.Windows = append(l.Windows, role.Window)
		case recentset.Ptr:
			l.K = max(l.K, role.Index+1)
		case recentset.Slot:
			l.Rings = append(l.Rings, role.Window)
		case recentset.TTL:
			l.TTL = true
			l.TTLWindow = uint32(s.Timeout / time.Second)
		}
	}
	slices.Sort(l.Windows)
	slices.Sort(l.Rings)
	l.Rings = slices.Compact(l.Rings)
	nl := &nftList{List: l, table: t, sets: sets, counts: map[recentset.Set]int{}}
	for role, s := range sets {
		if info, ok := infos[s.Name]; ok {
			nl.counts[role] = info.Count
		} else {
			nl.counts[role] = -1
		}
	}
	want := l.Sets()
	for _, s := range want {
		if sets[s] == nil {
			nl.broken = fmt.Errorf("list %s in table %s: set %s is missing, so its sets are not a list recentctl can edit (was the ruleset made by xt2nft?)", Quote(name), t.Name, l.SetName(s))
			return nl
		}
	}
	if len(want) != len(sets) {
		nl.broken = fmt.Errorf("list %s in table %s: %d sets named %s_* where its layout has %d, so they are not a list recentctl can edit (was the ruleset made by xt2nft?)", Quote(name), t.Name, len(sets), base, len(want))
	}
	return nl
}

func (n *NFT) lists(name string) ([]*nftList, error) {
	all, err := n.find()
	if err != nil {
		return nil, err
	}
	ls := all[name]
	if len(ls) == 0 {
		return nil, fmt.Errorf("no nft sets for recent list %s (xt2nft names them recent_NAME_*, with the list's name in their comments)", Quote(name))
	}
	for _, l := range ls {
		if l.broken != nil {
			return nil, l.broken
		}
	}
	return ls, nil
}

// entries counts the list's entries without reading them: the sum of its
// holders' element counts (recentset.Holders), which the kernel keeps
// (NFTA_SET_COUNT). It includes elements that have expired and that the
// kernel's garbage collector has not removed yet (it runs about once a
// second), as /proc/net/xt_recent lists entries until they are reaped. ok
// is false when the kernel does not count (before Linux 6.16) or the
// list's sets are not whole.
func (l *nftList) entries() (n int, ok bool) {
	if l.broken != nil {
		return 0, false
	}
	for _, s := range l.Holders() {
		c, known := l.counts[s]
		if !known || c < 0 {
			return 0, false
		}
		n += c
	}
	return n, true
}

// Lists returns every list found in the nft ruleset, with its entry count
// (see entries): a list of a million entries is counted without reading
// it.
func (n *NFT) Lists(ctx context.Context) ([]List, error) {
	all, err := n.find()
	if err != nil {
		return nil, err
	}
	var out []List
	for name, ls := range all {
		entries, counted := 0, true
		for _, l := range ls {
			c, ok := l.entries()
			entries += c
			counted = counted && ok
		}
		if !counted { // a kernel before 6.16: read the entries
			es, err := n.Show(ctx, name)
			if err != nil {
				return nil, err
			}
			entries = len(es)
		}
		out = append(out, List{Name: name, Backend: "nft", Entries: entries})
	}
	slices.SortFunc(out, func(a, b List) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Has reports whether sets for the list exist.
func (n *NFT) Has(ctx context.Context, name string) (bool, error) {
	all, err := n.find()
	if err != nil {
		return false, err
	}
	return len(all[name]) > 0, nil
}

// pick returns the list of ls that holds a's family, or an error saying
// that none does.
func pick(name string, ls []*nftList, a netip.Addr) (*nftList, error) {
	for _, l := range ls {
		if l.Holds(a) {
			return l, nil
		}
	}
	fams := map[bool]string{false: "IPv4", true: "IPv6"}
	if a.Is4In6() {
		return nil, fmt.Errorf("list %s: %s is an IPv4-mapped IPv6 address, which no rule of the list can match (write it as %s)", Quote(name), a, a.Unmap())
	}
	return nil, fmt.Errorf("list %s has no sets for %s addresses (its rules are %s only): %s cannot be in it", Quote(name), famName(a), fams[ls[0].IPv6], a)
}

func famName(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// byList sorts addresses to the lists that hold them, keyed as the rules
// key packets (masked); an address no list can hold is an error before
// anything is written.
func byList(name string, ls []*nftList, addrs []netip.Addr) (map[*nftList][]netip.Addr, error) {
	out := map[*nftList][]netip.Addr{}
	for _, a := range addrs {
		l, err := pick(name, ls, a)
		if err != nil {
			return nil, err
		}
		out[l] = append(out[l], l.Key(a))
	}
	return out, nil
}

// elements reads a set's elements as address -> time left (0: no
// timeout), every one of them (nlraw.ReadSet).
func (n *NFT) elements(s *nftables.Set) (map[netip.Addr]time.Duration, error) {
	r, err := nlraw.ReadSet(n.Conn.NetNS, s)
	if err != nil {
		return nil, err
	}
	out := make(map[netip.Addr]time.Duration, len(r.Elems))
	for _, e := range r.Elems {
		if a, ok := netip.AddrFromSlice(e.Key); ok {
			out[a] = e.Expires
		}
	}
	return out, nil
}

// lookAll looks the addresses up in a set one by one: address -> time
// left for those in it.
func (n *NFT) lookAll(s *nftables.Set, addrs []netip.Addr) (map[netip.Addr]time.Duration, error) {
	c, err := nlraw.Dial(n.Conn.NetNS, 8<<20)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	keys := make([][]byte, len(addrs))
	for i, a := range addrs {
		keys[i] = a.AsSlice()
	}
	els, err := nlraw.LookupElems(c, s, keys)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]time.Duration{}
	for i, e := range els {
		if e != nil {
			out[addrs[i]] = e.Expires
		}
	}
	return out, nil
}

// read returns the elements of the shown sets of a list, each set read
// whole (a dump) or, when it is bigger than dumpMax, by looking up the
// addresses its holders hold: the kernel dumps a set in time quadratic in
// its size, so a list of a million addresses in mem, two windows and a
// ring of three is dumped once, not six times, and looked up in the rest.
func (n *NFT) read(l *nftList) (map[recentset.Set]map[netip.Addr]time.Duration, error) {
	out := map[recentset.Set]map[netip.Addr]time.Duration{}
	var keys []netip.Addr // the holders' addresses, read when first needed
	haveKeys := false
	for _, s := range l.shown() {
		if c := l.counts[s]; c <= dumpMax || slices.Contains(l.Holders(), s) {
			els, err := n.elements(l.sets[s])
			if err != nil {
				return nil, err
			}
			out[s] = els
			continue
		}
		if !haveKeys {
			for _, h := range l.Holders() {
				els, ok := out[h]
				if !ok {
					var err error
					if els, err = n.elements(l.sets[h]); err != nil {
						return nil, err
					}
				}
				for a := range els {
					keys = append(keys, a)
				}
			}
			haveKeys = true
		}
		els, err := n.lookAll(l.sets[s], keys)
		if err != nil {
			return nil, err
		}
		out[s] = els
	}
	return out, nil
}

// Show returns the entries: every address in any set of the list; stamps
// are reconstructed from the ring slots (or the window sets) as S - expires.
func (n *NFT) Show(ctx context.Context, name string) ([]Entry, error) {
	ls, err := n.lists(name)
	if err != nil {
		return nil, err
	}
	entries := map[netip.Addr]*Entry{}
	for _, l := range ls {
		sets, err := n.read(l)
		if err != nil {
			return nil, err
		}
		for _, s := range l.shown() {
			for a, left := range sets[s] {
				e := entries[a]
				if e == nil {
					e = l.entry(a)
					entries[a] = e
				}
				e.saw(s, left)
			}
		}
	}
	var out []Entry
	for _, e := range entries {
		out = append(out, e.done())
	}
	slices.SortFunc(out, func(a, b Entry) int { return a.Addr.Compare(b.Addr) })
	return out, nil
}

// shown are the sets an entry is read from: mem (it exists), the windows,
// longest first (they tell its newest stamp), and the slots of the ring
// that tells its stamps best: the one without a timeout (it keeps every
// stamp) if there is one, else the longest window's.
func (l *nftList) shown() []recentset.Set {
	var out []recentset.Set
	if l.HasMem() {
		out = append(out, recentset.Set{Role: recentset.Mem})
	}
	for i := len(l.Windows) - 1; i >= 0; i-- {
		out = append(out, recentset.Set{Role: recentset.Last, Window: l.Windows[i]})
	}
	if l.Ring() {
		w := l.Rings[len(l.Rings)-1]
		if l.Rings[0] == 0 {
			w = 0
		}
		for p := 0; p < l.K; p++ {
			out = append(out, recentset.Set{Role: recentset.Slot, Window: w, Index: p})
		}
	}
	return out
}

// entry starts the entry of address a in the list: LastSeen -1 (not seen
// in a window yet), and no hit count unless the list keeps stamps.
func (l *nftList) entry(a netip.Addr) *Entry {
	return &Entry{Addr: a, LastSeen: -1, HitsUnknown: !l.Ring()}
}

// saw records that the entry is in set s with left time to go. Entries
// start as entry makes them.
func (e *Entry) saw(s recentset.Set, left time.Duration) {
	switch s.Role {
	case recentset.Last:
		e.sawWindow(s.Window, left)
	case recentset.Slot:
		if s.Window == 0 { // a stamp of unknown age
			e.Stamps = append(e.Stamps, 0)
			return
		}
		e.Stamps = append(e.Stamps, time.Duration(s.Window)*time.Second-left)
		e.sawWindow(s.Window, left)
	}
}

// sawWindow records that the entry has left time to go in a set with
// window w: its newest stamp is w-left old.
func (e *Entry) sawWindow(w uint32, left time.Duration) {
	seen := time.Duration(w)*time.Second - left
	if e.LastSeen < 0 || seen < e.LastSeen {
		e.LastSeen = seen
	}
	e.Remaining = max(e.Remaining, left)
}

// done finishes an entry read from the sets: stamps oldest first.
func (e *Entry) done() Entry {
	if e.LastSeen < 0 {
		e.LastSeen, e.AgeUnknown = 0, true
	}
	slices.SortFunc(e.Stamps, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return *e
}

// lock takes the list's lock: one per namespace, table and list.
func (n *NFT) lock(l *nftList) (func(), error) {
	path := "/proc/thread-self/ns/net"
	if n.Conn.NetNS != 0 {
		path = fmt.Sprintf("/proc/self/fd/%d", n.Conn.NetNS)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil, fmt.Errorf("identifying the network namespace: %w", err)
	}
	id := fmt.Sprintf("%d:%d %d %s %s", st.Dev, st.Ino, l.table.Family, l.table.Name, l.Base)
	sum := sha256.Sum256([]byte(id))
	dir := n.LockDir
	if dir == "" {
		dir = runlock.DefaultDir
	}
	unlock, err := runlock.Lock(dir, fmt.Sprintf("recent-%x.lock", sum[:12]))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", Quote(l.Name), err)
	}
	return unlock, nil
}

// Add records one event per address: mem, every window, and the ring. The
// ring pointers are read once per call, under the list's lock, and the
// updates go out in batches.
func (n *NFT) Add(ctx context.Context, name string, addrs ...netip.Addr) error {
	ls, err := n.lists(name)
	if err != nil {
		return err
	}
	per, err := byList(name, ls, addrs)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if err := n.addTo(l, per[l]); err != nil {
			return err
		}
	}
	return nil
}

func (n *NFT) addTo(l *nftList, addrs []netip.Addr) error {
	if len(addrs) == 0 {
		return nil
	}
	unlock, err := n.lock(l)
	if err != nil {
		return err
	}
	defer unlock()
	ptr, err := n.pointers(l, addrs)
	if err != nil {
		return err
	}
	return n.inBatches(l, addrs, func(i int) edit {
		a := addrs[i]
		p, known := ptr[a]
		if !known {
			p = -1
		}
		var e edit
		e.addr = a
		for _, st := range l.Event(p) {
			s := l.sets[st.Set]
			switch {
			case st.Set.Role == recentset.TTL:
				// A control-plane event has no TTL (xt_recent records 0
				// for a /proc write); the TTL pairs cannot say so.
			case st.Op == recentset.Refresh && !known && (st.Set.Role == recentset.Ptr || st.Set.Role == recentset.Slot):
				// An address with no pointer has no live ring element
				// either (the pointer outlives every slot): a plain add.
				e.ops = append(e.ops, elemOp{recentset.Add, s, s.Timeout})
			default:
				e.ops = append(e.ops, elemOp{st.Op, s, s.Timeout})
			}
		}
		if l.Ring() {
			ptr[a] = (max(p, 0) + 1) % l.K
		}
		return e
	})
}

// dumpMax is the size up to which a set is read whole: reading costs the
// kernel time quadratic in the set's size (a million elements take
// minutes), 65,536 take a few tens of milliseconds.
const dumpMax = 65536

// pointers returns the ring pointer of each of the addresses that has one
// (nil without a ring), set after set for the addresses not found yet: a
// pointer set of at most dumpMax elements is read whole, a bigger one is
// asked element by element in pipelined groups.
func (n *NFT) pointers(l *nftList, addrs []netip.Addr) (map[netip.Addr]int, error) {
	m := map[netip.Addr]int{}
	if !l.Ring() {
		return m, nil
	}
	var todo []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			todo = append(todo, a)
		}
	}
	// Room for a group's answers (about 1,024 small messages).
	c, err := nlraw.Dial(n.Conn.NetNS, 8<<20)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	for k := 0; k < l.K && len(todo) > 0; k++ {
		s := l.sets[recentset.Set{Role: recentset.Ptr, Index: k}]
		found := map[netip.Addr]bool{}
		// Reading is worth it when the set is not much bigger than the
		// addresses sought.
		keys, complete, err := nlraw.DumpKeys(n.Conn.NetNS, s, min(dumpMax, max(1024, 16*len(todo))))
		if err != nil {
			return nil, err
		}
		if complete {
			for _, k := range keys {
				if a, ok := netip.AddrFromSlice(k); ok {
					found[a] = true
				}
			}
		} else {
			keys := make([][]byte, len(todo))
			for i, a := range todo {
				keys[i] = a.AsSlice()
			}
			in, err := nlraw.LookupMany(c, s, keys)
			if err != nil {
				return nil, err
			}
			for i, a := range todo {
				found[a] = in[i]
			}
		}
		rest := todo[:0]
		for _, a := range todo {
			if found[a] {
				m[a] = k
			} else {
				rest = append(rest, a)
			}
		}
		todo = rest
	}
	return m, nil
}

// Del removes each address from every set of the list. Addresses that were
// in none are named in a *Note (the others are removed all the same).
func (n *NFT) Del(ctx context.Context, name string, addrs ...netip.Addr) error {
	ls, err := n.lists(name)
	if err != nil {
		return err
	}
	per, err := byList(name, ls, addrs)
	if err != nil {
		return err
	}
	var absent []netip.Addr
	for _, l := range ls {
		if len(per[l]) == 0 {
			continue
		}
		unlock, err := n.lock(l)
		if err != nil {
			return err
		}
		in, err := n.present(l, per[l])
		if err == nil {
			var there []netip.Addr
			for _, a := range per[l] {
				if in[a] {
					there = append(there, a)
				} else {
					absent = append(absent, a)
				}
			}
			err = n.inBatches(l, there, func(i int) edit {
				e := edit{addr: there[i]}
				for _, st := range l.Remove() {
					e.ops = append(e.ops, elemOp{st.Op, l.sets[st.Set], 0})
				}
				return e
			})
		}
		unlock()
		if err != nil {
			return err
		}
	}
	return notInList(name, len(addrs), absent)
}

// present reports which of the addresses are in any set of the list.
func (n *NFT) present(l *nftList, addrs []netip.Addr) (map[netip.Addr]bool, error) {
	c, err := nlraw.Dial(n.Conn.NetNS, 8<<20)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	in := map[netip.Addr]bool{}
	todo := addrs
	for _, st := range l.Remove() {
		if len(todo) == 0 {
			break
		}
		keys := make([][]byte, len(todo))
		for i, a := range todo {
			keys[i] = a.AsSlice()
		}
		found, err := nlraw.LookupMany(c, l.sets[st.Set], keys)
		if err != nil {
			return nil, err
		}
		rest := todo[:0:0]
		for i, a := range todo {
			if found[i] {
				in[a] = true
			} else {
				rest = append(rest, a)
			}
		}
		todo = rest
	}
	return in, nil
}

// notInList is the note for addresses a removal of n did not find (nil:
// none).
func notInList(name string, n int, absent []netip.Addr) error {
	if len(absent) == 0 {
		return nil
	}
	verb := "were"
	if len(absent) == 1 {
		verb = "was"
	}
	var s []string
	for i, a := range absent {
		if i == 5 {
			s = append(s, fmt.Sprintf("and %d more", len(absent)-5))
			break
		}
		s = append(s, a.String())
	}
	return &Note{Msg: fmt.Sprintf("%d of the %d addresses %s not in list %s: %s", len(absent), n, verb, Quote(name), strings.Join(s, ", "))}
}

// Flush empties every set of the list in one batch.
func (n *NFT) Flush(ctx context.Context, name string) error {
	ls, err := n.lists(name)
	if err != nil {
		return err
	}
	for _, l := range ls {
		unlock, err := n.lock(l)
		if err != nil {
			return err
		}
		defer unlock()
		for _, s := range l.Sets() {
			n.Conn.FlushSet(l.sets[s])
		}
	}
	return n.Conn.Flush()
}
