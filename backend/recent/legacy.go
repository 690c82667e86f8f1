package recent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
	"github.com/xt2nft/xt2nft/recentset"
)

// xt2nft migrate moves a host's xt_recent lists into the nft sets of its
// translation, in three moments (see cmd/xt2nft/migrate.go for the whole
// switch):
//
//   - Elements, called as the nft batch is about to be sent (nft.Program's
//     Late): every list is read, and each entry becomes the elements the
//     kernel would hold for it had the nft rules seen its events
//     (recentset.Replay: mem, the windows with the time each has left, the
//     hitcount ring), added at the end of the batch that creates the sets.
//   - CatchUp, once the legacy tables are emptied: between the read and
//     the batch's commit only the legacy rules saw the packets, so the
//     entries they changed then (new addresses, new stamps, --remove) are
//     loaded again, merged with the events the sets took after the commit.
//   - Kept, the backend of the migration's first step: it saves the
//     addresses, and its restore (the last of a rollback) writes back
//     through /proc a list that came back empty although it had entries.
//     The lists normally come back whole: the emptied tables keep them (see
//     ipt.KeepChain), so a rollback finds every entry with all its stamps.

// Read is a namespace's xt_recent lists as read at one moment.
type Read struct {
	At    time.Time
	Lists map[string]*ListRead
}

// ListRead is one list as read: its entries, with ages as of Read.At, and
// each address's /proc line, which any event on the address changes.
type ListRead struct {
	Entries []Entry
	Lines   map[netip.Addr]string
}

// Legacy reads and writes the xt_recent lists of one namespace, from a
// thread that entered it.
type Legacy struct {
	NS *netns.NS
	// Dir is the list directory (default ThreadProcDir; tests give a
	// directory of files).
	Dir   string
	Clock Clock // default KernelClock
}

func (x *Legacy) proc() *Proc {
	dir := x.Dir
	if dir == "" {
		dir = ThreadProcDir
	}
	return &Proc{Dir: dir, Clock: x.Clock}
}

// ReadAll reads every list.
func (x *Legacy) ReadAll() (*Read, error) {
	r := &Read{Lists: map[string]*ListRead{}}
	err := x.NS.Do(func() error {
		p := x.proc()
		lists, err := p.Lists(context.Background())
		if err != nil {
			return err
		}
		clock := p.Clock
		if clock == nil {
			clock = KernelClock
		}
		now, hz, err := clock()
		if err != nil {
			return err
		}
		r.At = time.Now()
		for _, l := range lists {
			if !p.exists(l.Name) {
				continue // its last rule went meanwhile
			}
			b, err := p.read(l.Name)
			if err != nil {
				return err
			}
			es, err := ParseProc(string(b), now, hz)
			if err != nil {
				return fmt.Errorf("xt_recent list %s: %w", Quote(l.Name), err)
			}
			r.Lists[l.Name] = &ListRead{Entries: es, Lines: procLines(string(b))}
		}
		return nil
	})
	return r, err
}

// exists reports whether the list's file is there.
func (p *Proc) exists(name string) bool {
	_, err := os.Lstat(filepath.Join(p.dir(), name))
	return !errors.Is(err, fs.ErrNotExist)
}

// procLines maps each address of a list's text to its line.
func procLines(text string) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		f, _, _ := strings.Cut(sc.Text(), " ")
		src := strings.TrimPrefix(f, "src=")
		if a, err := netip.ParseAddr(src); err == nil {
			if a.Is4In6() && !strings.Contains(src, ":") {
				a = a.Unmap()
			}
			out[a] = sc.Text()
		}
	}
	return out
}

// Entries counts the entries read.
func (r *Read) Entries() int {
	n := 0
	for _, l := range r.Lists {
		n += len(l.Entries)
	}
	return n
}

// Names are the lists read, sorted.
func (r *Read) Names() []string {
	var out []string
	for n := range r.Lists {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Carried says what became of one list in a migration.
type Carried struct {
	List    string
	Entries int // in the list
	// Copied entries went into the sets; Expired ones had nothing left to
	// load (every stamp older than every window of the list's rules).
	Copied, Expired int
	// Unused: no rule of the translation names the list, so it has no
	// sets and nothing was carried (its rules are not legacy ones).
	Unused bool
	// Problems are entries that could not be carried, and why.
	Problems []string
}

// programLists finds the lists whose sets the program declares, by name,
// with each set's program.
func programLists(p *nft.Program) (map[string][]*nftList, map[*nftables.Set]*nft.SetProgram) {
	lists := map[string][]*nftList{}
	progs := map[*nftables.Set]*nft.SetProgram{}
	for _, tp := range p.Tables {
		if tp.Table.Family != nftables.TableFamilyIPv4 && tp.Table.Family != nftables.TableFamilyIPv6 {
			continue
		}
		byBase := map[string]map[recentset.Set]*nftables.Set{}
		// The comments say each list's name and mask; the counts are
		// unknown (-1): the program's sets are not live.
		infos := map[string]nlraw.SetInfo{}
		var bases []string
		for _, sp := range tp.Sets {
			progs[sp.Set] = sp
			base, role, ok := recentset.ParseSetName(sp.Set.Name)
			if !ok {
				continue
			}
			if byBase[base] == nil {
				byBase[base] = map[recentset.Set]*nftables.Set{}
				bases = append(bases, base)
			}
			byBase[base][role] = sp.Set
			infos[sp.Set.Name] = nlraw.SetInfo{Comment: sp.Set.Comment, Count: -1}
		}
		for _, base := range bases {
			if l := discover(tp.Table, base, byBase[base], infos); l.broken == nil {
				lists[l.Name] = append(lists[l.Name], l)
			}
		}
	}
	return lists, progs
}

// Elements returns, for the sets of p that stand for the lists r read,
// the elements the kernel would hold had the nft rules seen every event
// of every entry: each entry's stamps replayed (recentset.Replay), each
// element with the time it has left, counting the time since r was read.
// An entry's TTL (--rttl) becomes its address . TTL pair; entries added
// through /proc have none. A list with more entries than its sets hold
// (their size: xt2nft --recent-size) is an error: the batch would fail.
func Elements(p *nft.Program, r *Read) (map[*nft.SetProgram][]nftables.SetElement, []Carried, error) {
	lists, progs := programLists(p)
	out := map[*nft.SetProgram][]nftables.SetElement{}
	seen := map[*nftables.Set]map[string]bool{}
	add := func(s *nftables.Set, key []byte, timeout time.Duration) {
		if seen[s] == nil {
			seen[s] = map[string]bool{}
		}
		if seen[s][string(key)] {
			return // two entries of one masked key: the first is kept
		}
		seen[s][string(key)] = true
		sp := progs[s]
		out[sp] = append(out[sp], nftables.SetElement{Key: key, Timeout: timeout})
	}
	elapsed := time.Since(r.At)
	var rep []Carried
	for _, name := range r.Names() {
		lr := r.Lists[name]
		c := Carried{List: name, Entries: len(lr.Entries)}
		ls := lists[name]
		if len(ls) == 0 {
			c.Unused = true
			rep = append(rep, c)
			continue
		}
		for _, e := range lr.Entries {
			l, err := pick(name, ls, e.Addr)
			if err != nil {
				c.Problems = append(c.Problems, err.Error())
				continue
			}
			key := l.Key(e.Addr)
			ages := slices.Clone(e.Stamps)
			if len(ages) == 0 {
				ages = []time.Duration{e.LastSeen}
			}
			for i := range ages {
				ages[i] += elapsed
			}
			held := l.Replay(ages)
			live := false
			for _, st := range l.Remove() {
				s := st.Set
				age, ok := held[s]
				if !ok {
					continue
				}
				left := time.Duration(0)
				if to := l.Timeout(s); to > 0 {
					if left = (to - age).Round(time.Millisecond); left < time.Millisecond {
						continue // an element's timeout is in ms; 0 would be the set's whole timeout
					}
				}
				add(l.sets[s], key.AsSlice(), left)
				live = true
			}
			if l.TTL && e.TTL != 0 {
				if left := (time.Duration(l.TTLWindow)*time.Second - e.LastSeen - elapsed).Round(time.Millisecond); left >= time.Millisecond {
					// addr . ttl: each field of a concatenation takes
					// whole 32-bit registers.
					add(l.sets[recentset.Set{Role: recentset.TTL}], append(key.AsSlice(), e.TTL, 0, 0, 0), left)
				}
			}
			if live {
				c.Copied++
			} else {
				c.Expired++
			}
		}
		rep = append(rep, c)
	}
	for _, name := range r.Names() {
		for _, l := range lists[name] {
			for _, s := range l.sets {
				if n := len(out[progs[s]]); s.Size > 0 && n > int(s.Size) {
					return nil, rep, fmt.Errorf("xt_recent list %s has %d entries for set %s, which holds %d: translate with a larger --recent-size", Quote(name), n, s.Name, s.Size)
				}
			}
		}
	}
	return out, rep, nil
}

// nftConn is a connection to the namespace's nf_tables.
func (x *Legacy) nftConn() (*nftables.Conn, error) {
	opts := []nftables.ConnOption{nftables.WithSockOptions(nlraw.SocketBuffers(1<<20, 8<<20))}
	if fd := x.NS.Fd(); fd != 0 {
		opts = append(opts, nftables.WithNetNSFd(fd))
	}
	return nftables.New(opts...)
}

// sameStamp is how close two readings of one stamp are: a jiffy (4 ms
// at HZ 250) and the milliseconds of a set element's expiry.
const sameStamp = 10 * time.Millisecond

// CatchUp brings the nft sets up to date with the events the legacy rules
// recorded between the read the batch was loaded from (before) and the
// commit of that batch (committed), read in after, once the legacy tables
// are emptied.
//
// While both firewalls are live, the nft chains see each packet first (at
// the same priority, the hook registered last runs first): nft records
// every event of that time, the legacy lists only those of packets nft let
// through. So the legacy lists are right up to the commit and the sets
// from it on. For each address whose /proc line changed between the reads,
// its history becomes the legacy stamps older than the commit and the
// stamps the sets took after the read (NFT.Show), replayed into its
// elements (NFT.Migrate); an address left with none is deleted from every
// set. Addresses whose line did not change keep what the sets hold (what
// was loaded, and their own events). A stamp taken in the moment between
// the commit and its acknowledgement may count twice: never too few.
// Lists without sets are skipped. It returns the number of addresses
// loaded again or deleted.
func (x *Legacy) CatchUp(ctx context.Context, before *Read, committed time.Time, after *Read) (int, error) {
	c, err := x.nftConn()
	if err != nil {
		return 0, err
	}
	n := &NFT{Conn: c}
	all, err := n.find()
	if err != nil {
		return 0, err
	}
	total := 0
	for _, name := range after.Names() {
		if len(all[name]) == 0 {
			continue
		}
		now, was := after.Lists[name], before.Lists[name]
		if was == nil {
			was = &ListRead{}
		}
		changed := map[netip.Addr]bool{}
		for a, line := range now.Lines {
			if was.Lines[a] != line {
				changed[a] = true
			}
		}
		for a := range was.Lines {
			if _, ok := now.Lines[a]; !ok {
				changed[a] = true
			}
		}
		if len(changed) == 0 {
			continue
		}
		// The sets' ages are the kernel's at its dump, which comes after
		// this moment: measured from here, a stamp the batch loaded (at
		// most as late as the commit) is never taken for a later event
		// (measured from after the dump, a slow dump under load made one
		// look later, and an address removed meanwhile stayed).
		shownAt := time.Now()
		inSets, err := n.Show(ctx, name)
		if err != nil {
			return total, fmt.Errorf("catching up with list %s: %w", Quote(name), err)
		}
		history := map[netip.Addr][]time.Time{}
		for _, e := range now.Entries {
			if !changed[e.Addr] {
				continue
			}
			for _, age := range e.Stamps {
				// Up to a stamp's precision past the commit: a stamp of
				// the moment may count twice, never not at all.
				if at := after.At.Add(-age); at.Before(committed.Add(sameStamp)) {
					history[e.Addr] = append(history[e.Addr], at)
				}
			}
		}
		// The stamps the batch loaded are in the sets too, at most as late
		// as the commit (their timeouts started when the kernel read them,
		// a little after they were read); the sets' own events are later.
		loaded := map[netip.Addr]int{}
		for _, e := range was.Entries {
			loaded[e.Addr] = max(len(e.Stamps), 1)
		}
		for _, e := range inSets {
			if !changed[e.Addr] {
				continue
			}
			stamps := e.Stamps
			if len(stamps) == 0 && e.Remaining > 0 {
				stamps = []time.Duration{e.LastSeen}
			}
			skip := loaded[e.Addr]
			for i := len(stamps) - 1; i >= 0; i-- { // oldest first
				at := shownAt.Add(-stamps[i])
				if skip > 0 && !at.After(committed.Add(sameStamp)) {
					skip--
					continue
				}
				history[e.Addr] = append(history[e.Addr], at)
			}
		}
		var load []Entry
		var gone []netip.Addr
		for a := range changed {
			h := history[a]
			if len(h) == 0 {
				gone = append(gone, a)
				continue
			}
			e := Entry{Addr: a}
			for _, at := range h {
				e.Stamps = append(e.Stamps, max(time.Since(at), 0))
			}
			load = append(load, e)
		}
		slices.SortFunc(load, func(a, b Entry) int { return a.Addr.Compare(b.Addr) })
		if len(load) > 0 {
			if err := busyRetry(func() error { _, err := n.Migrate(ctx, name, load); return err }); err != nil {
				return total, fmt.Errorf("catching up with list %s: %w", Quote(name), err)
			}
		}
		if len(gone) > 0 {
			var note *Note
			if err := busyRetry(func() error { return n.Del(ctx, name, gone...) }); err != nil && !errors.As(err, &note) {
				return total, fmt.Errorf("catching up with list %s: %w", Quote(name), err)
			}
		}
		total += len(changed)
	}
	return total, nil
}

// busyRetry runs f again, a few times, while the kernel answers EBUSY: a
// set's hash table refuses an insert while it is being resized, which the
// packet path's own inserts (the rules' events, right after the switch)
// set off. A catch-up that failed would roll the whole migration back.
// Loading the same entries again is loading them once (each batch is
// atomic and writes the entries' whole state).
func busyRetry(f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if !errors.Is(err, unix.EBUSY) || attempt == 9 {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
}

// Kept is the backend of a migration's first step (kind "xt_recent"): its
// Apply changes nothing, its Snapshot saves every list's addresses, and its
// Restore, the last of a rollback (the legacy tables are back by then),
// writes back through /proc the addresses of a list that came back empty
// although it had entries (the kernel freed it: another program replaced
// the legacy tables meanwhile). /proc stamps an address now, with one
// stamp: such entries lose their age and hit history, and the Restore says
// so. A list that came back with entries came back as the kernel kept it
// and is left alone.
type Kept struct {
	Legacy
}

var _ backend.Backend = (*Kept)(nil)

// KeptLists is Kept's ruleset: the lists to keep.
type KeptLists []string

// Replaces names the lists as tables of family "xt_recent".
func (k KeptLists) Replaces() []backend.Table {
	out := make([]backend.Table, len(k))
	for i, n := range k {
		out[i] = backend.Table{Family: "xt_recent", Name: n}
	}
	return out
}

// Summary counts the lists.
func (k KeptLists) Summary() string { return fmt.Sprintf("%d xt_recent lists", len(k)) }

// Kind is "xt_recent".
func (*Kept) Kind() string { return "xt_recent" }

func keptLists(rs backend.Ruleset) (KeptLists, error) {
	k, ok := rs.(KeptLists)
	if !ok {
		return nil, fmt.Errorf("xt_recent: %T: %w", rs, backend.ErrWrongRuleset)
	}
	return k, nil
}

// Check accepts any lists.
func (*Kept) Check(ctx context.Context, rs backend.Ruleset) error {
	_, err := keptLists(rs)
	return err
}

// Plan changes nothing.
func (*Kept) Plan(ctx context.Context, rs backend.Ruleset, opt backend.ApplyOptions) (*backend.Plan, error) {
	if _, err := keptLists(rs); err != nil {
		return nil, err
	}
	return &backend.Plan{}, nil
}

// keptSnapshot is Kept's snapshot: each list's addresses.
type keptSnapshot struct {
	Lists map[string][]netip.Addr `json:"lists"`
}

func (s *keptSnapshot) Tables() []backend.Table {
	var k KeptLists
	for n := range s.Lists {
		k = append(k, n)
	}
	slices.Sort(k)
	return k.Replaces()
}

func (s *keptSnapshot) MarshalBinary() ([]byte, error) { return json.Marshal(s) }

// Snapshot saves the addresses of the lists.
func (x *Kept) Snapshot(ctx context.Context, rs backend.Ruleset) (backend.Snapshot, error) {
	k, err := keptLists(rs)
	if err != nil {
		return nil, err
	}
	s := &keptSnapshot{Lists: map[string][]netip.Addr{}}
	err = x.NS.Do(func() error {
		p := x.proc()
		for _, name := range k {
			if !p.exists(name) {
				continue // no rule names it any more
			}
			addrs, err := p.addresses(name)
			if err != nil {
				return err
			}
			for a := range addrs {
				s.Lists[name] = append(s.Lists[name], a)
			}
			slices.SortFunc(s.Lists[name], func(a, b netip.Addr) int { return a.Compare(b) })
		}
		return nil
	})
	return s, err
}

// Apply changes nothing: the lists stay where they are.
func (x *Kept) Apply(ctx context.Context, rs backend.Ruleset, base backend.Snapshot, opt backend.ApplyOptions) (*backend.Result, error) {
	k, err := keptLists(rs)
	if err != nil {
		return nil, err
	}
	return &backend.Result{Summary: fmt.Sprintf("%d xt_recent lists kept for a rollback", len(k))}, nil
}

// Restore writes back the addresses of a list that came back empty.
func (x *Kept) Restore(ctx context.Context, snap backend.Snapshot, since backend.Mark) (*backend.Restored, error) {
	s, ok := snap.(*keptSnapshot)
	if !ok {
		return nil, fmt.Errorf("xt_recent: snapshot %T: %w", snap, backend.ErrWrongRuleset)
	}
	res := &backend.Restored{Nothing: true}
	var names []string
	for n := range s.Lists {
		names = append(names, n)
	}
	slices.Sort(names)
	err := x.NS.Do(func() error {
		p := x.proc()
		for _, name := range names {
			saved := s.Lists[name]
			if len(saved) == 0 {
				continue
			}
			if !p.exists(name) {
				res.Notes = append(res.Notes, fmt.Sprintf("xt_recent list %s is gone (no legacy rule names it now): its %d addresses could not be written back", Quote(name), len(saved)))
				continue
			}
			now, err := p.addresses(name)
			if err != nil {
				return err
			}
			if len(now) > 0 {
				continue // the kernel kept it
			}
			var ev *EvictedError
			if err := p.Add(ctx, name, saved...); errors.As(err, &ev) {
				res.Notes = append(res.Notes, ev.Error())
			} else if err != nil {
				return err
			}
			res.Nothing = false
			res.Notes = append(res.Notes, fmt.Sprintf("xt_recent list %s came back empty (another program replaced the legacy tables meanwhile?): its %d addresses were written back through /proc, which stamps an address now with one stamp, so their last_seen is now and their hit history is lost", Quote(name), len(saved)))
		}
		return nil
	})
	return res, err
}

// Unmarshal decodes a snapshot from a journal.
func (*Kept) Unmarshal(data []byte) (backend.Snapshot, error) {
	s := &keptSnapshot{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("xt_recent: reading a saved snapshot: %w", err)
	}
	return s, nil
}
