package recent

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/xt2nft/xt2nft/recentset"
)

// MigrateReport says what a migration or an import carried over.
type MigrateReport struct {
	// Copied entries were loaded; Expired ones had nothing left to load
	// (every stamp older than every window).
	Copied, Expired int
	// Problems name entries that could not be carried (an address of a
	// family the list has no sets for).
	Problems []string
}

// Migrator loads entries read elsewhere (xt_recent, an export) into a
// backend with their history.
type Migrator interface {
	Migrate(ctx context.Context, name string, entries []Entry) (MigrateReport, error)
}

// Importer loads the entries of an export into a list.
type Importer interface {
	Import(ctx context.Context, name string, entries []Entry) (MigrateReport, error)
}

var (
	_ Migrator = (*NFT)(nil)
	_ Importer = (*NFT)(nil)
	_ Importer = (*Proc)(nil)
)

// Migrate loads each entry with its history: the events its stamps (or,
// with none, its last_seen) say, replayed by recentset.Replay, so that each
// set holds the element the kernel would hold, expiring when it would. A
// ring keeps one history per address, so a loaded entry replaces its
// address's pointer and slots; mem and the windows are written where the
// history has them. An entry with nothing left to load is counted as
// expired. A full set stops the load with a *FullError.
func (n *NFT) Migrate(ctx context.Context, name string, entries []Entry) (MigrateReport, error) {
	return n.loadAll(name, entries, false)
}

// Import is Migrate for entries of an export, except that an entry the
// list cannot hold (an address of a family it has no sets for) is an
// *EntryError before anything is written.
func (n *NFT) Import(ctx context.Context, name string, entries []Entry) (MigrateReport, error) {
	return n.loadAll(name, entries, true)
}

// EntryError is an error about the entry at Index of an import.
type EntryError struct {
	Index int
	Err   error
}

func (e *EntryError) Error() string { return fmt.Sprintf("entry %d: %v", e.Index+1, e.Err) }
func (e *EntryError) Unwrap() error { return e.Err }

func (n *NFT) loadAll(name string, entries []Entry, strict bool) (MigrateReport, error) {
	var rep MigrateReport
	ls, err := n.lists(name)
	if err != nil {
		return rep, err
	}
	// Each list's entries' keys (as the rules key them) and indexes.
	type part struct {
		keys []netip.Addr
		at   []int
	}
	per := map[*nftList]*part{}
	for i, e := range entries {
		l, err := pick(name, ls, e.Addr)
		if err != nil && strict {
			return rep, &EntryError{i, err}
		}
		if err != nil {
			rep.Problems = append(rep.Problems, err.Error())
			continue
		}
		p := per[l]
		if p == nil {
			p = &part{}
			per[l] = p
		}
		p.keys = append(p.keys, l.Key(e.Addr))
		p.at = append(p.at, i)
	}
	for _, l := range ls {
		if p := per[l]; p != nil {
			if err := n.load(l, p.keys, func(i int) Entry { return entries[p.at[i]] }, &rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// load loads entry(i), keyed as addrs[i], for each i.
func (n *NFT) load(l *nftList, addrs []netip.Addr, entry func(i int) Entry, rep *MigrateReport) error {
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
		e := entry(i)
		e.Addr = addrs[i]
		ages := e.Stamps
		if len(ages) == 0 {
			ages = []time.Duration{e.LastSeen}
		}
		held := l.Replay(ages)
		_, hadRing := ptr[e.Addr]
		delete(ptr, e.Addr)
		ed := edit{addr: e.Addr}
		live := false
		for _, st := range l.Remove() { // every set keyed by the address
			s := st.Set
			age, ok := held[s]
			left := time.Duration(0)
			if to := l.Timeout(s); to > 0 && ok {
				// An element's timeout is in milliseconds; less than one
				// would be none, the set's whole timeout.
				left = to - age
				ok = left >= time.Millisecond
			}
			ring := s.Role == recentset.Ptr || s.Role == recentset.Slot
			switch {
			case ok && s.Role == recentset.Mem:
				ed.ops = append(ed.ops, elemOp{recentset.Add, l.sets[s], 0})
			case ok:
				ed.ops = append(ed.ops, elemOp{recentset.Refresh, l.sets[s], left})
			case hadRing && ring:
				ed.ops = append(ed.ops, elemOp{recentset.Delete, l.sets[s], 0})
			}
			if ok {
				live = true
				if s.Role == recentset.Ptr {
					ptr[e.Addr] = s.Index
				}
			}
		}
		if live {
			rep.Copied++
		} else {
			rep.Expired++
		}
		return ed
	})
}
