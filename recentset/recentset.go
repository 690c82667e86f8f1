package recentset

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Command is the action of one -m recent match.
type Command uint8

// The four commands; exactly one is given per match.
const (
	CmdSet Command = iota + 1
	CmdCheck
	CmdUpdate
	CmdRemove
)

// String is the option's name without dashes ("rcheck" for CmdCheck).
func (c Command) String() string {
	switch c {
	case CmdSet:
		return "set"
	case CmdCheck:
		return "rcheck"
	case CmdUpdate:
		return "update"
	case CmdRemove:
		return "remove"
	}
	return "?"
}

// Use is what one -m recent match needs of its list.
type Use struct {
	Cmd      Command
	Neg      bool   // "!" before the command
	Seconds  uint32 // --seconds (0: absent)
	Hitcount uint32 // --hitcount (0: absent)
	RTTL     bool   // --rttl
}

// Role is what a set of a list holds.
type Role uint8

// The roles (see the package documentation).
const (
	Mem Role = iota + 1
	Last
	Ptr
	Slot
	TTL
)

// Set is one set of a list: its role, and for Last and Slot its window in
// seconds (Slot 0: the ring of a --hitcount check without --seconds), for
// Ptr and Slot its ring position.
type Set struct {
	Role   Role
	Window uint32
	Index  int
}

// List is the layout of one list in one nft table and family: which sets
// it has, decided by every rule that uses it (Need).
type List struct {
	// Name is the xt_recent list name (--name).
	Name string
	// Base prefixes the names of the list's sets and chains (BaseName).
	Base string
	// IPv6 says the sets hold IPv6 addresses (else IPv4).
	IPv6 bool
	// Inet says the sets share an inet table with the other family's sets
	// of the same list (xt_recent keeps both families' entries of a name in
	// one list): their names (FamilyBaseName) and comments say the family.
	Inet bool
	// Mask is the list's --mask, applied to every key; invalid when it has
	// none (all ones).
	Mask netip.Addr
	// Mem: a rule needs the mem set (checks without --seconds, --remove,
	// "! --update"); HasMem says whether the list has one.
	Mem bool
	// Windows are the distinct --seconds of checks without a --hitcount
	// above 1, ascending: one last_S set each.
	Windows []uint32
	// Rings are the distinct --seconds (0: none) of checks with a
	// --hitcount above 1, ascending: K slot sets each.
	Rings []uint32
	// K is the ring size, the largest --hitcount (1: no ring).
	K int
	// TTL: a rule uses --rttl, so the list keeps addr . ttl pairs.
	TTL bool
	// TTLWindow is the timeout of the TTL pairs: the longest --seconds of
	// any rule on the list, at least 1.
	TTLWindow uint32
}

// NewList returns the layout of a list no rule uses yet.
func NewList(name, base string, ipv6 bool, mask netip.Addr) *List {
	return &List{Name: name, Base: base, IPv6: ipv6, Mask: mask, K: 1, TTLWindow: 1}
}

// Need records what a match needs of the list: a check of N stamps within S
// needs a ring of at least N slots for window S, a check of one stamp
// within S a last_S set, a check without --seconds, --remove and
// "! --update" (whose absent case differs from its failing one) the mem set.
func (l *List) Need(u Use) {
	l.TTLWindow = max(l.TTLWindow, u.Seconds)
	l.TTL = l.TTL || u.RTTL
	switch u.Cmd {
	case CmdRemove:
		l.Mem = true
	case CmdCheck, CmdUpdate:
		switch {
		case u.Hitcount > 1:
			l.Rings = addSorted(l.Rings, u.Seconds)
			l.K = max(l.K, int(u.Hitcount))
		case u.Seconds > 0:
			l.Windows = addSorted(l.Windows, u.Seconds)
		default:
			l.Mem = true
		}
		if u.Neg && u.Cmd == CmdUpdate {
			l.Mem = true
		}
	}
}

func addSorted(s []uint32, v uint32) []uint32 {
	i, found := slices.BinarySearch(s, v)
	if found {
		return s
	}
	return slices.Insert(s, i, v)
}

// HasMem reports whether the list has a mem set: when a check without
// --seconds, a removal or "! --update" needs it (Mem), and when nothing
// else would hold the list's entries: a list no rule checks (only --set)
// matches no packet differently for them, but xt_recent keeps them in
// /proc/net/xt_recent/NAME, and recentctl and a migration find them in mem.
func (l *List) HasMem() bool { return l.Mem || len(l.Windows) == 0 && !l.Ring() }

// Ring reports whether the list has a hitcount ring.
func (l *List) Ring() bool { return l.K > 1 }

// Sets returns every set of the list in declaration order: mem, the
// windows, the pointers, the ring slots window by window, the TTL pairs.
func (l *List) Sets() []Set {
	out := l.keyed()
	if l.TTL {
		out = append(out, Set{Role: TTL})
	}
	return out
}

// keyed returns the sets keyed by the address alone (all but TTL).
func (l *List) keyed() []Set {
	var out []Set
	if l.HasMem() {
		out = append(out, Set{Role: Mem})
	}
	for _, w := range l.Windows {
		out = append(out, Set{Role: Last, Window: w})
	}
	if l.Ring() {
		for p := 0; p < l.K; p++ {
			out = append(out, Set{Role: Ptr, Index: p})
		}
		for _, w := range l.Rings {
			for p := 0; p < l.K; p++ {
				out = append(out, Set{Role: Slot, Window: w, Index: p})
			}
		}
	}
	return out
}

// Holders returns the sets whose elements are the list's entries, each
// entry in exactly one of them, so that their element counts add up to
// the entries without reading them: mem when the list has one (every
// event adds to it, only a removal takes an address out); else the ring's
// pointers when the ring lives at least as long as every window (every
// event writes the ring and each address has one pointer, which outlives
// its slots), or the longest window (every event refreshes it, and it
// outlives the shorter windows and the ring).
func (l *List) Holders() []Set {
	switch {
	case l.HasMem():
		return []Set{{Role: Mem}}
	case l.Ring() && (len(l.Windows) == 0 || l.Timeout(Set{Role: Ptr}) == 0 || l.Timeout(Set{Role: Ptr}) >= time.Duration(l.Windows[len(l.Windows)-1])*time.Second):
		out := make([]Set, l.K)
		for p := range out {
			out[p] = Set{Role: Ptr, Index: p}
		}
		return out
	case len(l.Windows) > 0:
		return []Set{{Role: Last, Window: l.Windows[len(l.Windows)-1]}}
	}
	return nil
}

// Timeout is the set's timeout (0: its elements do not expire). A pointer
// lives as long as the longest ring window, so that when it expires every
// slot has too and the ring restarts empty; without a timeout if any ring
// has none.
func (l *List) Timeout(s Set) time.Duration {
	secs := uint32(0)
	switch s.Role {
	case Last, Slot:
		secs = s.Window
	case Ptr:
		if !slices.Contains(l.Rings, 0) && len(l.Rings) > 0 {
			secs = l.Rings[len(l.Rings)-1]
		}
	case TTL:
		secs = l.TTLWindow
	}
	return time.Duration(secs) * time.Second
}

// SetName is the nft name of one of the list's sets.
func (l *List) SetName(s Set) string { return SetName(l.Base, s) }

// SetName is the nft name of a set of the list whose sets are named base_*.
func SetName(base string, s Set) string {
	switch s.Role {
	case Mem:
		return base + "_mem"
	case Last:
		return fmt.Sprintf("%s_last_%d", base, s.Window)
	case Ptr:
		return fmt.Sprintf("%s_ptr%d", base, s.Index)
	case Slot:
		if s.Window == 0 {
			return fmt.Sprintf("%s_all_s%d", base, s.Index)
		}
		return fmt.Sprintf("%s_w%d_s%d", base, s.Window, s.Index)
	case TTL:
		return base + "_ttl"
	}
	panic(fmt.Sprintf("recentset: set with no role: %+v", s))
}

// commentMax is the longest comment nft accepts (NFTNL_UDATA_COMMENT_MAXLEN).
const commentMax = 128

// Comment is the set's comment: "xt_recent NAME ROLE", " ipv4" or " ipv6"
// in an inet table, and " mask M" when the list has a mask, so that
// recentctl keys its edits as the rules do.
// A name too long for nft's 128 bytes is left out ("xt_recent ROLE"): the
// list is then known by its sets' base name.
func (l *List) Comment(s Set) string {
	var role string
	switch s.Role {
	case Mem, TTL:
		role = map[Role]string{Mem: "mem", TTL: "ttl"}[s.Role]
	case Last:
		role = "last " + strconv.FormatUint(uint64(s.Window), 10)
	case Ptr:
		role = fmt.Sprintf("ptr %d/%d", s.Index, l.K)
	case Slot:
		role = fmt.Sprintf("slot %d %d/%d", s.Window, s.Index, l.K)
	}
	if l.Inet {
		role += map[bool]string{false: " ipv4", true: " ipv6"}[l.IPv6]
	}
	if l.Mask.IsValid() {
		role += " mask " + l.Mask.String()
	}
	if c := "xt_recent " + l.Name + " " + role; len(c) <= commentMax {
		return c
	}
	return "xt_recent " + role
}

// BaseName returns the prefix of a list's set and chain names: "recent_"
// and the list name with every character nft names do not allow (and ".",
// "/", ":", which nft allows but xt_recent names would make ambiguous) as
// "_", numbered _2, _3, ... while taken says the name is in use.
func BaseName(name string, taken func(string) bool) string { return baseName(name, "", taken) }

// FamilyBaseName is BaseName for the sets of one family of a list in an
// inet table: the base ends in "_ip" (IPv4) or "_ip6" (IPv6), as nft names
// the families (recent_ssh_ip_mem and recent_ssh_ip6_mem are list ssh).
func FamilyBaseName(name string, ipv6 bool, taken func(string) bool) string {
	return baseName(name, map[bool]string{false: "_ip", true: "_ip6"}[ipv6], taken)
}

func baseName(name, suffix string, taken func(string) bool) string {
	base := "recent_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, name) + suffix
	for i := 2; taken(base); i++ {
		base = fmt.Sprintf("%s_%d", strings.TrimSuffix(base, "_"+strconv.Itoa(i-1)), i)
	}
	return base
}

var nameRE = regexp.MustCompile(`^(recent_.+?)_(?:(mem)|last_(\d+)|ptr(\d+)|w(\d+)_s(\d+)|all_s(\d+)|(ttl))$`)

// ParseSetName is SetName's inverse: the base and the set a set name
// stands for, or ok false when the name is not one of a list's.
func ParseSetName(name string) (base string, s Set, ok bool) {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return "", Set{}, false
	}
	num := func(v string) (int, bool) {
		n, err := strconv.ParseUint(v, 10, 31)
		return int(n), err == nil
	}
	var w, p int
	ok = true
	switch {
	case m[2] != "":
		s = Set{Role: Mem}
	case m[8] != "":
		s = Set{Role: TTL}
	case m[3] != "":
		w, ok = num(m[3])
		s = Set{Role: Last, Window: uint32(w)}
	case m[4] != "":
		p, ok = num(m[4])
		s = Set{Role: Ptr, Index: p}
	case m[5] != "":
		var ok2 bool
		w, ok = num(m[5])
		p, ok2 = num(m[6])
		ok = ok && ok2 && w > 0
		s = Set{Role: Slot, Window: uint32(w), Index: p}
	default:
		p, ok = num(m[7])
		s = Set{Role: Slot, Index: p}
	}
	if !ok || SetName(m[1], s) != name { // no leading zeros, no windows past 32 bits
		return "", Set{}, false
	}
	return m[1], s, true
}

var commentRE = regexp.MustCompile(`^xt_recent (?:(.+) )?(?:mem|ttl|last \d+|ptr \d+/\d+|slot \d+ \d+/\d+)(?: ipv4| ipv6)?(?: mask (\S+))?$`)

// ParseComment reads a list's name and mask back from one of its set
// comments (the name may contain spaces: the role is the last word group;
// it is "" when the comment had no room for it). The family an inet
// table's comment names is the set's key type's, which says it too.
func ParseComment(c string) (name string, mask netip.Addr, ok bool) {
	m := commentRE.FindStringSubmatch(c)
	if m == nil {
		return "", netip.Addr{}, false
	}
	if m[2] != "" {
		a, err := netip.ParseAddr(m[2])
		if err != nil {
			return "", netip.Addr{}, false
		}
		mask = a
	}
	return m[1], mask, true
}

// Key is the address as the list's rules key it: masked by the list's mask.
func (l *List) Key(a netip.Addr) netip.Addr {
	if !l.Mask.IsValid() || l.Mask.BitLen() != a.BitLen() {
		return a
	}
	b, m := a.AsSlice(), l.Mask.AsSlice()
	for i := range b {
		b[i] &= m[i]
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

// Holds reports whether the list's sets can hold the address: an IPv4
// address in an IPv4 list, an IPv6 one (not IPv4-mapped) in an IPv6 list.
func (l *List) Holds(a netip.Addr) bool {
	if l.IPv6 {
		return a.Is6() && !a.Is4In6()
	}
	return a.Is4()
}
