package recent

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// NFT edits the nft sets xt2nft made for recent lists. It finds them by
// name: recent_BASE_ROLE in any ip or ip6 table, where ROLE is mem,
// last_S (window S seconds), ptrP and wS_sK / all_sK (the --hitcount ring) or
// ttl. Operations follow the kernel's: Add is one event (every window
// refreshed, the ring advanced), Del removes the address from every set.
type NFT struct {
	// Conn is the netlink connection (nftables.New(), or with WithNetNSFd).
	Conn *nftables.Conn
}

var _ Backend = (*NFT)(nil)

var roleRE = regexp.MustCompile(`^recent_(.+?)_(mem|last_(\d+)|ptr(\d+)|w(\d+)_s(\d+)|all_s(\d+)|ttl)$`)

// nftList is one list in one table.
type nftList struct {
	table  *nftables.Table
	mem    *nftables.Set
	last   map[uint32]*nftables.Set
	ptr    map[int]*nftables.Set
	slots  map[uint32]map[int]*nftables.Set // window (0: none) -> slot -> set
	ttl    *nftables.Set
	k      int
	family nftables.TableFamily
	// mask is the list's --mask (from the sets' comments, "... mask M");
	// invalid when the list has none.
	mask netip.Addr
}

// masked keys a by the list's mask, as the rules key packets.
func (l *nftList) masked(a netip.Addr) netip.Addr {
	if !l.mask.IsValid() || l.mask.BitLen() != a.BitLen() {
		return a
	}
	b, m := a.AsSlice(), l.mask.AsSlice()
	for i := range b {
		b[i] &= m[i]
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

func (l *nftList) all() []*nftables.Set {
	var out []*nftables.Set
	if l.mem != nil {
		out = append(out, l.mem)
	}
	for _, s := range l.last {
		out = append(out, s)
	}
	for _, s := range l.ptr {
		out = append(out, s)
	}
	for _, m := range l.slots {
		for _, s := range m {
			out = append(out, s)
		}
	}
	return out
}

// find returns every list by name (one per table, IPv4 and IPv6).
func (n *NFT) find() (map[string][]*nftList, error) {
	tables, err := n.Conn.ListTables()
	if err != nil {
		return nil, fmt.Errorf("listing nft tables: %w", err)
	}
	out := map[string][]*nftList{}
	for _, t := range tables {
		if t.Family != nftables.TableFamilyIPv4 && t.Family != nftables.TableFamilyIPv6 {
			continue
		}
		sets, err := n.Conn.GetSets(t)
		if err != nil {
			return nil, fmt.Errorf("listing sets of table %s: %w", t.Name, err)
		}
		lists := map[string]*nftList{}
		var comments map[string]string
		for _, s := range sets {
			m := roleRE.FindStringSubmatch(s.Name)
			if m == nil {
				continue
			}
			l := lists[m[1]]
			if l == nil {
				l = &nftList{table: t, family: t.Family, last: map[uint32]*nftables.Set{}, ptr: map[int]*nftables.Set{},
					slots: map[uint32]map[int]*nftables.Set{}}
				lists[m[1]] = l
			}
			if comments == nil {
				if comments, err = setComments(n.Conn.NetNS, t); err != nil {
					return nil, err
				}
			}
			if _, m, ok := strings.Cut(comments[s.Name], " mask "); ok {
				if a, err := netip.ParseAddr(m); err == nil {
					l.mask = a
				}
			}
			num := func(s string) int { v, _ := strconv.Atoi(s); return v }
			switch {
			case m[2] == "mem":
				l.mem = s
			case m[2] == "ttl":
				l.ttl = s
			case m[3] != "":
				l.last[uint32(num(m[3]))] = s
			case m[4] != "":
				l.ptr[num(m[4])] = s
				if num(m[4])+1 > l.k {
					l.k = num(m[4]) + 1
				}
			default:
				w, k := uint32(num(m[5])), num(m[6])
				if m[7] != "" {
					w, k = 0, num(m[7])
				}
				if l.slots[w] == nil {
					l.slots[w] = map[int]*nftables.Set{}
				}
				l.slots[w][k] = s
			}
		}
		for name, l := range lists {
			out[name] = append(out[name], l)
		}
	}
	return out, nil
}

func (n *NFT) lists(name string) ([]*nftList, error) {
	all, err := n.find()
	if err != nil {
		return nil, err
	}
	ls := all[name]
	if len(ls) == 0 {
		return nil, fmt.Errorf("no nft sets for recent list %q (xt2nft names them recent_%s_*)", name, name)
	}
	return ls, nil
}

// Lists returns every list found in the nft ruleset.
func (n *NFT) Lists(ctx context.Context) ([]List, error) {
	all, err := n.find()
	if err != nil {
		return nil, err
	}
	var out []List
	for name := range all {
		es, err := n.Show(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, List{Name: name, Backend: "nft", Entries: len(es)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
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

func keyOf(a netip.Addr) []byte { return a.AsSlice() }

func (l *nftList) fits(a netip.Addr) bool {
	return (l.family == nftables.TableFamilyIPv4) == a.Unmap().Is4() && (a.Is4() || !a.Is4In6())
}

// elements reads a set's elements as address -> time left (0: no timeout).
func (n *NFT) elements(s *nftables.Set) (map[netip.Addr]time.Duration, error) {
	els, err := n.Conn.GetSetElements(s)
	if err != nil {
		return nil, fmt.Errorf("reading set %s: %w", s.Name, err)
	}
	out := map[netip.Addr]time.Duration{}
	for _, e := range els {
		if a, ok := netip.AddrFromSlice(e.Key); ok {
			out[a] = e.Expires
		}
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
	get := func(a netip.Addr) *Entry {
		if e := entries[a]; e != nil {
			return e
		}
		e := &Entry{Addr: a, LastSeen: -1}
		entries[a] = e
		return e
	}
	for _, l := range ls {
		if l.mem != nil {
			els, err := n.elements(l.mem)
			if err != nil {
				return nil, err
			}
			for a := range els {
				get(a)
			}
		}
		// The longest window tells the most about stamps.
		var ws []uint32
		for w := range l.last {
			ws = append(ws, w)
		}
		sort.Slice(ws, func(i, j int) bool { return ws[i] > ws[j] })
		for _, w := range ws {
			els, err := n.elements(l.last[w])
			if err != nil {
				return nil, err
			}
			for a, left := range els {
				get(a).sawWindow(w, left)
			}
		}
		if w, ok := l.stampWindow(); ok {
			for _, s := range l.slots[w] {
				els, err := n.elements(s)
				if err != nil {
					return nil, err
				}
				for a, left := range els {
					get(a).sawSlot(w, left)
				}
			}
		}
	}
	var out []Entry
	for _, e := range entries {
		if e.LastSeen < 0 {
			e.LastSeen = 0
		}
		sort.Slice(e.Stamps, func(i, j int) bool { return e.Stamps[i] > e.Stamps[j] })
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out, nil
}

// refresh (re)creates an element with the set's timeout in the batch: an add
// that may exist, a delete, and a fresh add (portable before Linux 6.12).
func (n *NFT) refresh(s *nftables.Set, a netip.Addr, timeout time.Duration) error {
	el := []nftables.SetElement{{Key: keyOf(a)}}
	if err := n.Conn.SetAddElements(s, el); err != nil {
		return err
	}
	if err := n.Conn.SetDeleteElements(s, el); err != nil {
		return err
	}
	el[0].Timeout = timeout
	return n.Conn.SetAddElements(s, el)
}

// batchSize bounds the addresses per netlink batch, and elemsPerMsg the
// elements per message: a message's element list is one netlink attribute,
// whose 16-bit length overflows past about 1,500 IPv4 elements. Every
// batch costs about 10 ms of waiting (a round trip and a commit), so
// importing a million addresses in batches of a thousand spent ten of its
// fifteen seconds off the CPU; in batches of 65,536 that is negligible. The socket send
// buffer is sized for such batches (see bufferSizes in cmd/recentctl).
const (
	batchSize   = 65536
	elemsPerMsg = 1024
)

// chunks calls f with els in pieces of at most elemsPerMsg.
func chunks(els []nftables.SetElement, f func([]nftables.SetElement) error) error {
	for i := 0; i < len(els); i += elemsPerMsg {
		if err := f(els[i:min(i+elemsPerMsg, len(els))]); err != nil {
			return err
		}
	}
	return nil
}

// batch collects element operations per set.
type batch struct {
	add, del, refresh map[*nftables.Set][]nftables.SetElement
	order             []*nftables.Set
	seen              map[*nftables.Set]bool
	ops               int // element operations queued (a refresh is three)
}

// maxOps bounds a batch's element operations (about 40 bytes each) so that
// it fits the send buffer recentctl asks for (64 MiB) even when a list has
// many sets (windows, the hitcount ring).
const maxOps = 1 << 20

func newBatch() *batch {
	return &batch{add: map[*nftables.Set][]nftables.SetElement{}, del: map[*nftables.Set][]nftables.SetElement{},
		refresh: map[*nftables.Set][]nftables.SetElement{}, seen: map[*nftables.Set]bool{}}
}

func (b *batch) note(s *nftables.Set) {
	if !b.seen[s] {
		b.seen[s] = true
		b.order = append(b.order, s)
	}
}

// queue sends the batch: for each set its plain adds, its deletes, and its
// refreshes (add, delete, add with the timeout: portable before Linux 6.12).
func (n *NFT) send(b *batch) error {
	for _, s := range b.order {
		if err := chunks(b.add[s], func(els []nftables.SetElement) error { return n.Conn.SetAddElements(s, els) }); err != nil {
			return err
		}
		if err := chunks(b.del[s], func(els []nftables.SetElement) error { return n.Conn.SetDeleteElements(s, els) }); err != nil {
			return err
		}
		// A re-add with a timeout does not refresh an existing element
		// (checked on Linux 6.18), hence add, delete, add.
		err := chunks(b.refresh[s], func(els []nftables.SetElement) error {
			bare := make([]nftables.SetElement, len(els))
			for i, e := range els {
				bare[i] = nftables.SetElement{Key: e.Key}
			}
			if err := n.Conn.SetAddElements(s, bare); err != nil {
				return err
			}
			if err := n.Conn.SetDeleteElements(s, bare); err != nil {
				return err
			}
			return n.Conn.SetAddElements(s, els)
		})
		if err != nil {
			return err
		}
	}
	return n.Conn.Flush()
}

// Add records one event per address: mem, every window, and the ring. The
// ring pointers are read once per call, and the updates go out in batches.
func (n *NFT) Add(ctx context.Context, name string, addrs ...netip.Addr) error {
	ls, err := n.lists(name)
	if err != nil {
		return err
	}
	// Where each address's ring pointer stands: looked up element by
	// element for a few addresses (dumping a big set is quadratic in the
	// kernel: minutes for a million elements), read whole for many.
	ptrOf := map[*nftList]map[netip.Addr]int{}
	for _, l := range ls {
		if l.k == 0 {
			continue
		}
		m, err := n.pointers(l, ls, addrs)
		if err != nil {
			return err
		}
		ptrOf[l] = m
	}
	b, inBatch := newBatch(), map[netip.Addr]bool{}
	flush := func() error {
		if len(inBatch) == 0 {
			return nil
		}
		if err := n.send(b); err != nil {
			return fmt.Errorf("adding to %q: %w", name, err)
		}
		b, inBatch = newBatch(), map[netip.Addr]bool{}
		return nil
	}
	for _, a := range addrs {
		l := pick(ls, a)
		if l == nil {
			return fmt.Errorf("list %q has no sets for %s addresses", name, famName(a))
		}
		a = l.masked(a)
		// An address twice in one batch would need two ring steps in order.
		if inBatch[a] || len(inBatch) == batchSize || b.ops >= maxOps {
			if err := flush(); err != nil {
				return err
			}
		}
		inBatch[a] = true
		el := nftables.SetElement{Key: keyOf(a)}
		if l.mem != nil {
			b.note(l.mem)
			b.add[l.mem] = append(b.add[l.mem], el)
			b.ops++
		}
		for _, s := range l.last {
			b.note(s)
			b.refresh[s] = append(b.refresh[s], nftables.SetElement{Key: el.Key, Timeout: s.Timeout})
			b.ops += 3
		}
		if l.k > 0 {
			slot := 0
			p, known := ptrOf[l][a]
			if known {
				slot = p
				b.note(l.ptr[p])
				b.del[l.ptr[p]] = append(b.del[l.ptr[p]], el)
				b.ops++
			}
			// An address with no pointer has no live ring entry either (the
			// pointer outlives every slot), so its entries are plain adds;
			// otherwise they may exist and are refreshed.
			put := func(s *nftables.Set) {
				b.note(s)
				e := nftables.SetElement{Key: el.Key, Timeout: s.Timeout}
				if known {
					b.refresh[s] = append(b.refresh[s], e)
					b.ops += 3
				} else {
					b.add[s] = append(b.add[s], e)
					b.ops++
				}
			}
			next := (slot + 1) % l.k
			ptrOf[l][a] = next
			put(l.ptr[next])
			for _, m := range l.slots {
				if s := m[slot]; s != nil {
					put(s)
				}
			}
		}
	}
	return flush()
}

// dumpMax is the size up to which a set is read whole: reading costs the
// kernel time quadratic in the set's size (a million elements take
// minutes), 65,536 take a few tens of milliseconds.
const dumpMax = 65536

// pointers returns the ring pointer slot of the list's addresses among
// addrs (masked as the rules key them), set after set for the addresses not
// found yet: a pointer set of at most dumpMax elements is read whole, a
// bigger one is asked element by element in pipelined groups.
func (n *NFT) pointers(l *nftList, ls []*nftList, addrs []netip.Addr) (map[netip.Addr]int, error) {
	var todo []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		if pick(ls, a) != l {
			continue
		}
		if a = l.masked(a); !seen[a] {
			seen[a] = true
			todo = append(todo, a)
		}
	}
	m := map[netip.Addr]int{}
	if len(todo) == 0 {
		return m, nil
	}
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: n.Conn.NetNS})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Room for a group's answers (about 1,024 small messages).
	if rc, err := c.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20) })
	}
	for k := 0; k < l.k && len(todo) > 0; k++ {
		// Reading is worth it when the set is not much bigger than
		// the addresses sought.
		found, complete, err := dumpUpTo(n.Conn.NetNS, l.ptr[k], min(dumpMax, max(1024, 16*len(todo))))
		if err != nil {
			return nil, err
		}
		if !complete {
			if found, err = getElements(c, l.ptr[k], todo); err != nil {
				return nil, err
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

// Del removes each address from every set of the list.
func (n *NFT) Del(ctx context.Context, name string, addrs ...netip.Addr) error {
	ls, err := n.lists(name)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		l := pick(ls, a)
		if l == nil {
			continue
		}
		a = l.masked(a)
		for _, s := range l.all() {
			// add-then-delete: deleting an absent element would abort the batch
			el := []nftables.SetElement{{Key: keyOf(a)}}
			if err := n.Conn.SetAddElements(s, el); err != nil {
				return err
			}
			if err := n.Conn.SetDeleteElements(s, el); err != nil {
				return err
			}
		}
		if err := n.Conn.Flush(); err != nil {
			return fmt.Errorf("deleting %s from %q: %w", a, name, err)
		}
	}
	return nil
}

// Flush empties every set of the list in one batch.
func (n *NFT) Flush(ctx context.Context, name string) error {
	ls, err := n.lists(name)
	if err != nil {
		return err
	}
	for _, l := range ls {
		for _, s := range l.all() {
			n.Conn.FlushSet(s)
		}
		if l.ttl != nil {
			n.Conn.FlushSet(l.ttl)
		}
	}
	return n.Conn.Flush()
}

func pick(ls []*nftList, a netip.Addr) *nftList {
	for _, l := range ls {
		if l.fits(a) {
			return l
		}
	}
	return nil
}

func famName(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// stampWindow is the ring whose slots tell the stamps: the timeout-less one
// (it keeps every stamp) if there is one, else the longest window.
func (l *nftList) stampWindow() (uint32, bool) {
	if len(l.slots) == 0 {
		return 0, false
	}
	if _, ok := l.slots[0]; ok {
		return 0, true
	}
	var best uint32
	for w := range l.slots {
		best = max(best, w)
	}
	return best, true
}

// sawWindow records that the entry has left time to go in a set with
// window w: its newest stamp is w-left old. Entries start with LastSeen -1.
func (e *Entry) sawWindow(w uint32, left time.Duration) {
	seen := time.Duration(w)*time.Second - left
	if e.LastSeen < 0 || seen < e.LastSeen {
		e.LastSeen = seen
	}
	e.Remaining = max(e.Remaining, left)
}

// sawSlot records one ring slot: a stamp w-left old (age unknown, 0, in a
// timeout-less ring).
func (e *Entry) sawSlot(w uint32, left time.Duration) {
	if w == 0 {
		e.Stamps = append(e.Stamps, 0)
		return
	}
	e.Stamps = append(e.Stamps, time.Duration(w)*time.Second-left)
	e.sawWindow(w, left)
}
