package recent

import (
	"context"
	"fmt"
	"time"

	"github.com/google/nftables"
)

// MigrateReport says what a migration carried over.
type MigrateReport struct {
	Copied, Expired int
	// Problems name entries that could not be carried (a full set, ...).
	Problems []string
}

// Migrator copies entries read elsewhere (xt_recent) into a backend,
// keeping their remaining time.
type Migrator interface {
	Migrate(ctx context.Context, name string, entries []Entry) (MigrateReport, error)
}

var _ Migrator = (*NFT)(nil)

// Migrate loads each entry with remaining time = window - age: the window
// sets from the last stamp, the ring slots from the newest K stamps in
// order, and the pointer after them. Entries whose every window has passed
// are counted as expired (a list kept without --seconds keeps them in mem).
func (n *NFT) Migrate(ctx context.Context, name string, entries []Entry) (MigrateReport, error) {
	var rep MigrateReport
	ls, err := n.lists(name)
	if err != nil {
		return rep, err
	}
	for _, e := range entries {
		l := pick(ls, e.Addr)
		if l == nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("list %q: %s: no nft set for %s addresses", name, e.Addr, famName(e.Addr)))
			continue
		}
		live := false
		put := func(s *nftables.Set, left time.Duration) error {
			if s.HasTimeout && left <= 0 {
				return nil
			}
			live = true
			return n.refresh(s, e.Addr, left)
		}
		var err error
		if l.mem != nil {
			err = put(l.mem, 0)
		}
		for w, s := range l.last {
			if err == nil {
				err = put(s, time.Duration(w)*time.Second-e.LastSeen)
			}
		}
		if l.k > 0 && err == nil {
			stamps := e.Stamps // oldest first
			if len(stamps) > l.k {
				stamps = stamps[len(stamps)-l.k:]
			}
			var maxLeft time.Duration
			for i, age := range stamps {
				for w, m := range l.slots {
					left := time.Duration(w)*time.Second - age
					if w == 0 {
						left = 0
					}
					if s := m[i%l.k]; s != nil && err == nil {
						err = put(s, left)
					}
					if left > maxLeft {
						maxLeft = left
					}
				}
			}
			if len(stamps) > 0 && err == nil {
				p := l.ptr[len(stamps)%l.k]
				if !p.HasTimeout || maxLeft > 0 {
					err = put(p, maxLeft)
				}
			}
		}
		if err == nil {
			err = n.Conn.Flush()
		}
		switch {
		case err != nil:
			rep.Problems = append(rep.Problems, fmt.Sprintf("list %q: %s not carried over: %v", name, e.Addr, err))
		case live:
			rep.Copied++
		default:
			rep.Expired++
		}
	}
	return rep, nil
}
