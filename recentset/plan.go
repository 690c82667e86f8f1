package recentset

import (
	"cmp"
	"slices"
	"time"
)

// Op is what a step does to the address's element in one set.
type Op uint8

// The operations, as nft's packet path names them.
const (
	// Add puts the address in the set; an element already there keeps its
	// expiry (nft "add @set").
	Add Op = iota + 1
	// Refresh puts the address in the set with a full timeout from now,
	// whether it was there or not (nft "update @set").
	Refresh
	// Delete takes the address out of the set; absent is not an error
	// (nft "delete @set").
	Delete
)

// Step is one operation of a plan.
type Step struct {
	Op  Op
	Set Set
}

// Stamp is the part of an event that does not depend on the ring pointer:
// add to mem, refresh every window and the TTL pair. Each step may be its
// own rule, so that a full set fails only its own step.
func (l *List) Stamp() []Step {
	var out []Step
	if l.HasMem() {
		out = append(out, Step{Add, Set{Role: Mem}})
	}
	for _, w := range l.Windows {
		out = append(out, Step{Refresh, Set{Role: Last, Window: w}})
	}
	if l.TTL {
		out = append(out, Step{Refresh, Set{Role: TTL}})
	}
	return out
}

// Advance is the ring part of an event for an address whose pointer is p
// (-1: it has none, and the stamp goes to slot 0): put it in the next
// pointer, take it out of ptr p, and write slot p of every ring window.
// Nil without a ring.
//
// The order is for packets of one address on several CPUs at once, which
// xt_recent serialises under its lock and nft does not: each step is
// atomic, the event is not. Adding the next pointer before deleting this
// one means a check never finds the address in no pointer (which reads as
// "fewer hits" and let a blocked address through); writing the slot last
// means the slot a check reads through either pointer is the one before
// or after the event, never half of it. A check concurrent with an event
// therefore answers as if it came just before or just after it. Two events
// at once may count as one (both write slot p): xt_recent counts both.
func (l *List) Advance(p int) []Step {
	if !l.Ring() {
		return nil
	}
	slot := max(p, 0)
	out := []Step{{Refresh, Set{Role: Ptr, Index: (slot + 1) % l.K}}}
	if p >= 0 {
		out = append(out, Step{Delete, Set{Role: Ptr, Index: p}})
	}
	for _, w := range l.Rings {
		out = append(out, Step{Refresh, Set{Role: Slot, Window: w, Index: slot}})
	}
	return out
}

// Event is the whole event for an address whose pointer is p (-1: none).
func (l *List) Event(p int) []Step { return append(l.Stamp(), l.Advance(p)...) }

// Remove deletes the address from every set keyed by it alone; the TTL
// pairs, keyed by address and TTL, stay until they expire.
func (l *List) Remove() []Step {
	var out []Step
	for _, s := range l.keyed() {
		out = append(out, Step{Delete, s})
	}
	return out
}

// CheckSet is the set a check without a --hitcount above 1 looks the
// address up in: last_S for --seconds S, else mem.
func (l *List) CheckSet(seconds uint32) Set {
	if seconds > 0 {
		return Set{Role: Last, Window: seconds}
	}
	return Set{Role: Mem}
}

// RingCheck is one of the K mutually exclusive conditions of a check with
// a --hitcount above 1: the address is in Ptr and in Slot.
type RingCheck struct{ Ptr, Slot Set }

// RingChecks returns the conditions of "at least hitcount stamps within
// seconds (0: ever)": for pointer p, the hitcount-th newest stamp is in slot
// (p - hitcount) mod K, which K >= hitcount keeps from being overwritten.
func (l *List) RingChecks(seconds, hitcount uint32) []RingCheck {
	n := max(int(hitcount), 1)
	var out []RingCheck
	for p := 0; p < l.K; p++ {
		slot := ((p-n)%l.K + l.K) % l.K
		out = append(out, RingCheck{Set{Role: Ptr, Index: p}, Set{Role: Slot, Window: seconds, Index: slot}})
	}
	return out
}

// Replay returns what the sets hold for an address after events at the
// given ages (in any order), as the kernel would have them: for each set the
// address is in, how long ago its element was last written (it expires its
// set's Timeout after that). Elements expire between events as they would
// in the kernel, so a pointer that lapsed restarts the ring at slot 0. The
// TTL pairs are left out: a control-plane event has no TTL.
func (l *List) Replay(ages []time.Duration) map[Set]time.Duration {
	ages = slices.Clone(ages)
	slices.SortFunc(ages, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	held := map[Set]time.Duration{}
	expire := func(now time.Duration) {
		for s, at := range held {
			if t := l.Timeout(s); t > 0 && at-now >= t {
				delete(held, s)
			}
		}
	}
	for _, now := range ages {
		expire(now)
		p := -1
		for k := 0; k < l.K && l.Ring(); k++ {
			if _, ok := held[Set{Role: Ptr, Index: k}]; ok {
				p = k
			}
		}
		for _, st := range l.Event(p) {
			switch {
			case st.Set.Role == TTL:
			case st.Op == Delete:
				delete(held, st.Set)
			case st.Op == Refresh:
				held[st.Set] = now
			default:
				if _, ok := held[st.Set]; !ok {
					held[st.Set] = now
				}
			}
		}
	}
	expire(0)
	return held
}
