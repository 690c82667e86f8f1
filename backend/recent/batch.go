package recent

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/recentset"
)

// elemOp is one operation on an address's element in one set, as the
// control plane does it: Add (an existing element keeps its expiry),
// Refresh (add, delete, add with the timeout: a re-add with a timeout does
// not refresh an existing element before Linux 6.12), Delete (add, then
// delete: deleting an absent element would abort the batch).
type elemOp struct {
	op  recentset.Op
	set *nftables.Set
	// timeout is the element's for Add and Refresh (0: none).
	timeout time.Duration
}

// edit is every operation on one address's elements; an edit is never
// split between batches.
type edit struct {
	addr netip.Addr
	ops  []elemOp
}

// cost is the number of element operations the edit takes.
func (e edit) cost() int {
	n := 0
	for _, o := range e.ops {
		n += map[recentset.Op]int{recentset.Add: 1, recentset.Refresh: 3, recentset.Delete: 2}[o.op]
	}
	return n
}

// batchSize bounds the addresses per netlink batch, and elemsPerMsg the
// elements per message: a message's element list is one netlink attribute,
// whose 16-bit length overflows past about 1,500 IPv4 elements. Every
// batch costs about 10 ms of waiting (a round trip and a commit), so
// importing a million addresses in batches of a thousand spent ten of its
// fifteen seconds off the CPU; in batches of 65,536 that is negligible. The
// socket send buffer is sized for such batches (see cmd/recentctl).
const (
	batchSize   = 65536
	elemsPerMsg = 1024
)

// maxOps bounds a batch's element operations (about 40 bytes each) so that
// it fits the send buffer recentctl asks for (64 MiB) even when a list has
// many sets (windows, the hitcount ring).
const maxOps = 1 << 20

// inBatches makes the edit of each address of addrs in order (mk(i) for
// addrs[i]; mk may keep state: each call sees the edits before it as done)
// and sends them in batches, an address at most once per batch, so that a
// batch never holds two events of one address.
func (n *NFT) inBatches(l *nftList, addrs []netip.Addr, mk func(i int) edit) error {
	var batch []edit
	in := map[netip.Addr]bool{}
	ops, sent := 0, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := n.commit(l, batch, sent, len(addrs)); err != nil {
			return err
		}
		sent += len(batch)
		batch, in, ops = nil, map[netip.Addr]bool{}, 0
		return nil
	}
	for i, a := range addrs {
		if in[a] || len(batch) == batchSize || ops >= maxOps {
			if err := flush(); err != nil {
				return err
			}
		}
		e := mk(i)
		batch = append(batch, e)
		in[a] = true
		ops += e.cost()
	}
	return flush()
}

// queue adds the edits' operations to the connection's batch: per set its
// adds, its deletes, its refreshes.
func (n *NFT) queue(edits []edit) error {
	type ops struct{ add, del, refresh []nftables.SetElement }
	per := map[*nftables.Set]*ops{}
	var order []*nftables.Set
	for _, e := range edits {
		key := e.addr.AsSlice()
		for _, o := range e.ops {
			p := per[o.set]
			if p == nil {
				p = &ops{}
				per[o.set] = p
				order = append(order, o.set)
			}
			el := nftables.SetElement{Key: key, Timeout: o.timeout}
			switch o.op {
			case recentset.Add:
				p.add = append(p.add, el)
			case recentset.Delete:
				p.add = append(p.add, nftables.SetElement{Key: key})
				p.del = append(p.del, nftables.SetElement{Key: key})
			case recentset.Refresh:
				p.refresh = append(p.refresh, el)
			}
		}
	}
	for _, s := range order {
		p := per[s]
		if err := chunks(p.add, func(els []nftables.SetElement) error { return n.Conn.SetAddElements(s, els) }); err != nil {
			return err
		}
		if err := chunks(p.del, func(els []nftables.SetElement) error { return n.Conn.SetDeleteElements(s, els) }); err != nil {
			return err
		}
		err := chunks(p.refresh, func(els []nftables.SetElement) error {
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
	return nil
}

// chunks calls f with els in pieces of at most elemsPerMsg.
func chunks(els []nftables.SetElement, f func([]nftables.SetElement) error) error {
	for i := 0; i < len(els); i += elemsPerMsg {
		if err := f(els[i:min(i+elemsPerMsg, len(els))]); err != nil {
			return err
		}
	}
	return nil
}

// send commits the edits in one batch.
func (n *NFT) send(edits []edit) error {
	if err := n.queue(edits); err != nil {
		return err
	}
	return n.Conn.Flush()
}

// probeSet names no set: deleting from it fails (ENOENT), so a batch
// ending with that delete is checked by the kernel and never committed.
const probeSet = "xt2nft probe: no such set"

// fits reports whether the edits would go in, by sending them in a batch
// the kernel is bound to abort: they fit if it fails only because of the
// probe, not because a set is full (ENFILE).
func (n *NFT) fits(l *nftList, edits []edit) (bool, error) {
	if err := n.queue(edits); err != nil {
		return false, err
	}
	key := make([]byte, 4)
	if l.IPv6 {
		key = make([]byte, 16)
	}
	if err := n.Conn.SetDeleteElements(&nftables.Set{Table: l.table, Name: probeSet}, []nftables.SetElement{{Key: key}}); err != nil {
		return false, err
	}
	full := false
	for _, e := range errnos(n.Conn.Flush()) {
		switch e {
		case unix.ENOENT: // the probe
		case unix.ENFILE:
			full = true
		default:
			return false, fmt.Errorf("list %s: checking what fits: %w", Quote(l.Name), e)
		}
	}
	return !full, nil
}

// errnos returns the errnos in err's tree (google/nftables joins one error
// per failed message); 0 stands for an error that carries none.
func errnos(err error) []syscall.Errno {
	switch x := err.(type) {
	case nil:
		return nil
	case syscall.Errno:
		return []syscall.Errno{x}
	case interface{ Unwrap() []error }:
		var out []syscall.Errno
		for _, e := range x.Unwrap() {
			out = append(out, errnos(e)...)
		}
		return out
	case interface{ Unwrap() error }:
		return errnos(x.Unwrap())
	}
	return []syscall.Errno{0}
}

// commit sends one batch of edits. When a set is full (the kernel refuses
// new elements with ENFILE, and the whole batch with them), it commits the
// longest run of edits that fits and returns a *FullError saying which
// addresses went in and which did not; before and total are the addresses
// sent before this batch and in the whole call, for the message.
func (n *NFT) commit(l *nftList, edits []edit, before, total int) error {
	err := n.send(edits)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENFILE) {
		return fmt.Errorf("list %s: %w", Quote(l.Name), err)
	}
	// What fits goes in by halves: a part that fits is committed, one that
	// does not is halved, until a single edit does not fit. That costs at
	// most three times the batch (a dry run per halving would cost eight).
	fit := 0
	for size := len(edits) / 2; size > 0 && fit < len(edits); {
		part := edits[fit:min(fit+size, len(edits))]
		err := n.send(part)
		switch {
		case err == nil:
			fit += len(part)
		case errors.Is(err, unix.ENFILE):
			size /= 2
		default:
			return fmt.Errorf("list %s: %w", Quote(l.Name), err)
		}
	}
	if fit == len(edits) { // room was made meanwhile
		return nil
	}
	full := &FullError{List: l.Name, In: before + fit, Total: total, First: edits[fit].addr}
	if fit > 0 {
		full.Last = edits[fit-1].addr
	}
	// Which set: the first of the failing edit's that refuses it alone.
	for _, o := range edits[fit].ops {
		if o.op == recentset.Delete {
			continue
		}
		one := edit{addr: full.First, ops: []elemOp{o}}
		if ok, err := n.fits(l, []edit{one}); err == nil && !ok {
			full.Set, full.Size = o.set.Name, int(o.set.Size)
			break
		}
	}
	return full
}

// FullError says that a set of a list is full: nft sets refuse new
// elements at their size (xt_recent evicts its oldest entry instead).
type FullError struct {
	List string
	// In of Total addresses went in, the first In in the order given; Last
	// is the last of them (invalid when it went in an earlier batch or none
	// did), First the first that did not.
	In, Total   int
	Last, First netip.Addr
	// Set is the full set and Size its size ("" when it could not be told).
	Set  string
	Size int
}

func (e *FullError) Error() string {
	what := "a set of the list is full"
	need := ""
	if e.Set != "" {
		what = fmt.Sprintf("set %s is full (size %d)", e.Set, e.Size)
		need = fmt.Sprintf(" of at least %d", e.Size+e.Total-e.In)
	}
	through := ""
	if e.Last.IsValid() {
		through = fmt.Sprintf(", through %s", e.Last)
	}
	return fmt.Sprintf("list %s: %d of %d addresses went in (the first ones, in the order given%s); the other %d, from %s on, did not: %s. "+
		"A set cannot grow while rules use it: translate the rules again with xt2nft --recent-size%s and apply them",
		Quote(e.List), e.In, e.Total, through, e.Total-e.In, e.First, what, need)
}
