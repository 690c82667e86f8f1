// Package recentset is the one description of the nft sets that stand in
// for an xt_recent list (iptables -m recent): which sets a list has, what
// each holds, how they are named and commented, and what an event, a check
// and a removal do to them. The translator (translate/match_recent.go)
// emits rules from it; recentctl (backend/recent) finds the sets of a live
// ruleset by it and performs the same events from the control plane, so the
// ring algorithm below exists once.
//
// # The sets of a list
//
// xt_recent keeps, per address, the jiffies of its last stamp events (up to
// a ring of them) and the TTL of the last one. nft sets keep per element
// only "present" and "expires in", so a list becomes several sets, each a
// role (BASE is the list's sanitized name, "recent_SSH"; S a --seconds value
// of a rule on the list; K the ring size, the largest --hitcount):
//
//	BASE_mem       no timeout          the address is in the list
//	BASE_last_S    timeout S           its newest stamp is younger than S
//	BASE_ptrP      timeout max S       ring pointer: its next stamp goes to slot P
//	BASE_wS_sP     timeout S           ring slot P, window S (the stamp written there is younger than S)
//	BASE_all_sP    no timeout          ring slot P of a --hitcount rule without --seconds
//	BASE_ttl       addr . ttl pairs    --rttl (approximate: any TTL of an event within the longest window)
//
// A list no rule checks (only --set) has mem alone: its entries change no
// verdict, but they are what /proc/net/xt_recent/NAME showed, and recentctl
// and a migration find them there (HasMem).
//
// Each set's comment is "xt_recent NAME ROLE" (plus " mask M" for a list
// with --mask), which is how recentctl learns a list's real name and mask.
//
// # Events, checks, removal
//
// An event (--set, a true --update, a +ADDR written by hand) adds the
// address to mem, refreshes every last_S and the TTL pair, and with a ring
// writes the slot the pointer names and moves the pointer one on (Event).
// A check "--seconds S --hitcount N" is "the N-th newest stamp is younger
// than S": the address is in ptrP and in slot (P-N) mod K of window S, for
// the one P it has (RingChecks); without --hitcount above 1 it is in last_S,
// or in mem without --seconds (CheckSet). --remove deletes the address from
// every set keyed by the address alone (Remove).
//
// This reproduces xt_recent exactly up to one jiffy at the window edge
// (nft expires an element at exactly S, xt_recent still counts a stamp that
// old), except for LRU eviction at ip_list_tot (a full nft set refuses new
// addresses instead), lazy --reap, and --rttl. Events are not atomic in the
// packet path (xt_recent holds one spinlock; nft's set operations are each
// atomic, a sequence of them is not).
package recentset
