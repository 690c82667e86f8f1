package recentset

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ringList is an SSH guard: --set, then --update --seconds 60 --hitcount 3
// and --rcheck --seconds 10, with a mask.
func ringList() *List {
	l := NewList("SSH guard", "recent_SSH_guard", false, netip.MustParseAddr("255.255.255.0"))
	l.Need(Use{Cmd: CmdSet})
	l.Need(Use{Cmd: CmdUpdate, Seconds: 60, Hitcount: 3})
	l.Need(Use{Cmd: CmdCheck, Seconds: 10})
	return l
}

func TestNeed(t *testing.T) {
	l := ringList()
	want := []Set{{Role: Last, Window: 10}, {Role: Ptr}, {Role: Ptr, Index: 1}, {Role: Ptr, Index: 2},
		{Role: Slot, Window: 60}, {Role: Slot, Window: 60, Index: 1}, {Role: Slot, Window: 60, Index: 2}}
	if d := cmp.Diff(want, l.Sets()); d != "" {
		t.Errorf("sets (-want +got):\n%s", d)
	}
	l.Need(Use{Cmd: CmdUpdate, Neg: true, Seconds: 5, RTTL: true})
	l.Need(Use{Cmd: CmdCheck, Hitcount: 2})
	if !l.Mem || !l.TTL || l.TTLWindow != 60 || l.K != 3 || !cmp.Equal(l.Windows, []uint32{5, 10}) || !cmp.Equal(l.Rings, []uint32{0, 60}) {
		t.Errorf("after more uses: %+v", l)
	}
	if got := l.Timeout(Set{Role: Ptr}); got != 0 {
		t.Errorf("pointer timeout with a ring without --seconds: %v, want none", got)
	}
}

func TestNamesRoundTrip(t *testing.T) {
	l := ringList()
	l.Need(Use{Cmd: CmdCheck, Hitcount: 2, RTTL: true})
	l.Need(Use{Cmd: CmdRemove})
	for _, s := range l.Sets() {
		name := l.SetName(s)
		base, got, ok := ParseSetName(name)
		if !ok || base != l.Base || got != s {
			t.Errorf("%s: parsed as %q %+v %v", name, base, got, ok)
		}
		n, mask, ok := ParseComment(l.Comment(s))
		if !ok || n != l.Name || mask != l.Mask {
			t.Errorf("comment %q: parsed as %q %v %v", l.Comment(s), n, mask, ok)
		}
	}
	for _, bad := range []string{"recent_x", "recent_x_last_", "recent_x_last_05", "recent_x_w0_s1", "recent_x_ptr99999999999", "other_mem", "recent__mem"} {
		if b, s, ok := ParseSetName(bad); ok && SetName(b, s) != bad {
			t.Errorf("%s: parsed as %q %+v", bad, b, s)
		}
	}
	// The base is the shortest prefix followed by a role: a list called
	// "x_mem" has sets recent_x_mem_*.
	if base, s, ok := ParseSetName("recent_x_mem_last_5"); !ok || base != "recent_x_mem" || s != (Set{Role: Last, Window: 5}) {
		t.Errorf("recent_x_mem_last_5: %q %+v %v", base, s, ok)
	}
	// A name too long for nft's 128-byte comments is left out of them.
	long := NewList(strings.Repeat("L", 150), "recent_L", false, netip.MustParseAddr("255.255.0.0"))
	if c := long.Comment(Set{Role: Mem}); c != "xt_recent mem mask 255.255.0.0" {
		t.Errorf("long name: comment %q", c)
	} else if n, mask, ok := ParseComment(c); !ok || n != "" || mask != long.Mask {
		t.Errorf("%q: %q %v %v", c, n, mask, ok)
	}
	// A name that looks like a role and a mask stays the name.
	c := (&List{Name: "a mask 1.2.3.4 mem", K: 1}).Comment(Set{Role: Mem})
	if n, mask, ok := ParseComment(c); !ok || n != "a mask 1.2.3.4 mem" || mask.IsValid() {
		t.Errorf("%q: %q %v %v", c, n, mask, ok)
	}
}

func TestBaseName(t *testing.T) {
	taken := map[string]bool{}
	for _, c := range []struct{ name, want string }{
		{"SSH", "recent_SSH"}, {"a.b", "recent_a_b"}, {"a/b", "recent_a_b_2"}, {"a:b", "recent_a_b_3"}, {"é", "recent__"},
	} {
		got := BaseName(c.name, func(b string) bool { return taken[b] })
		taken[got] = true
		if got != c.want {
			t.Errorf("BaseName(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestEvent pins the event plan the translator emits as rules and
// recentctl performs as element operations.
func TestEvent(t *testing.T) {
	l := ringList()
	str := func(steps []Step) string {
		var b []string
		for _, s := range steps {
			b = append(b, map[Op]string{Add: "add", Refresh: "update", Delete: "delete"}[s.Op]+" "+l.SetName(s.Set))
		}
		return strings.Join(b, "; ")
	}
	if got, want := str(l.Event(-1)), "update recent_SSH_guard_last_10; update recent_SSH_guard_ptr1; update recent_SSH_guard_w60_s0"; got != want {
		t.Errorf("first event:\n got %s\nwant %s", got, want)
	}
	if got, want := str(l.Event(2)), "update recent_SSH_guard_last_10; update recent_SSH_guard_ptr0; delete recent_SSH_guard_ptr2; update recent_SSH_guard_w60_s2"; got != want {
		t.Errorf("event at pointer 2:\n got %s\nwant %s", got, want)
	}
	if got := len(l.Remove()); got != len(l.Sets()) {
		t.Errorf("remove has %d steps for %d sets", got, len(l.Sets()))
	}
	// Pointer 0 with --hitcount 3 on a ring of 3: the 3rd newest stamp is
	// in slot 0, the one about to be overwritten.
	rc := l.RingChecks(60, 3)
	if len(rc) != 3 || rc[0].Slot != (Set{Role: Slot, Window: 60}) || l.RingChecks(60, 2)[0].Slot.Index != 1 {
		t.Errorf("ring checks: %+v", rc)
	}
}

// TestReplay: events replayed from ages leave the sets as the kernel
// would, including a pointer that lapsed between events.
func TestReplay(t *testing.T) {
	l := ringList()
	s := time.Second
	got := l.Replay([]time.Duration{50 * s, 40 * s, 5 * s})
	want := map[Set]time.Duration{
		{Role: Last, Window: 10}:           5 * s,
		{Role: Slot, Window: 60}:           50 * s,
		{Role: Slot, Window: 60, Index: 1}: 40 * s,
		{Role: Slot, Window: 60, Index: 2}: 5 * s,
		{Role: Ptr}:                        5 * s,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("replay (-want +got):\n%s", d)
	}
	// 200 s apart: the pointer (timeout 60 s) lapsed, the ring restarts.
	got = l.Replay([]time.Duration{200 * s, 30 * s})
	want = map[Set]time.Duration{{Role: Slot, Window: 60}: 30 * s, {Role: Ptr, Index: 1}: 30 * s}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("replay after a lapse (-want +got):\n%s", d)
	}
}

func TestKeyAndHolds(t *testing.T) {
	l := ringList()
	if got := l.Key(netip.MustParseAddr("10.1.2.3")); got != netip.MustParseAddr("10.1.2.0") {
		t.Errorf("masked key %v", got)
	}
	if !l.Holds(netip.MustParseAddr("10.1.2.3")) || l.Holds(netip.MustParseAddr("fd00::1")) || l.Holds(netip.MustParseAddr("::ffff:10.1.2.3")) {
		t.Error("IPv4 list holds the wrong addresses")
	}
}

// In an inet table a list has a family of sets per address family: the
// names and comments say which, and read back as the list's.
func TestFamilyNames(t *testing.T) {
	taken := map[string]bool{}
	use := func(b string) bool { return taken[b] }
	for _, v6 := range []bool{false, true} {
		base := FamilyBaseName("SSH guard", v6, use)
		taken[base] = true
		want := map[bool]string{false: "recent_SSH_guard_ip", true: "recent_SSH_guard_ip6"}[v6]
		if base != want {
			t.Errorf("FamilyBaseName(v6 %v) = %q, want %q", v6, base, want)
		}
		l := ringList()
		l.Base, l.IPv6, l.Inet = base, v6, true
		if v6 {
			l.Mask = netip.MustParseAddr("ffff:ffff:ffff:ffff::")
		}
		fam := map[bool]string{false: " ipv4", true: " ipv6"}[v6]
		for _, s := range l.Sets() {
			c := l.Comment(s)
			if !strings.Contains(c, fam+" mask ") {
				t.Errorf("comment %q does not say%s before the mask", c, fam)
			}
			n, mask, ok := ParseComment(c)
			if !ok || n != l.Name || mask != l.Mask {
				t.Errorf("comment %q: parsed as %q %v %v", c, n, mask, ok)
			}
			if b, got, ok := ParseSetName(l.SetName(s)); !ok || b != base || got != s {
				t.Errorf("%s: parsed as %q %+v %v", l.SetName(s), b, got, ok)
			}
		}
	}
	if b := FamilyBaseName("SSH guard", true, use); b != "recent_SSH_guard_ip6_2" {
		t.Errorf("a taken base is numbered: %q", b)
	}
	// A list whose name ends like a family word keeps it as its name.
	if n, _, ok := ParseComment("xt_recent x ipv6 mem ipv4"); !ok || n != "x ipv6" {
		t.Errorf("parsed %q %v", n, ok)
	}
}

// TestHolders: for every layout and history, an address is an entry (in
// mem, a window or a ring slot) exactly when it is in one of the holders,
// and never in two, so the holders' counts add up to the entries.
func TestHolders(t *testing.T) {
	layouts := map[string][]Use{
		"mem":           {{Cmd: CmdSet}, {Cmd: CmdCheck}},
		"windows":       {{Cmd: CmdSet}, {Cmd: CmdCheck, Seconds: 10}, {Cmd: CmdCheck, Seconds: 60}},
		"ring":          {{Cmd: CmdUpdate, Seconds: 60, Hitcount: 3}},
		"ring-forever":  {{Cmd: CmdUpdate, Hitcount: 2}, {Cmd: CmdCheck, Seconds: 600}},
		"ring-shorter":  {{Cmd: CmdUpdate, Seconds: 20, Hitcount: 3}, {Cmd: CmdCheck, Seconds: 60}},
		"ring-longer":   {{Cmd: CmdUpdate, Seconds: 60, Hitcount: 3}, {Cmd: CmdCheck, Seconds: 10}},
		"ring-and-mem":  {{Cmd: CmdUpdate, Seconds: 60, Hitcount: 3}, {Cmd: CmdRemove}},
		"two-rings":     {{Cmd: CmdUpdate, Seconds: 30, Hitcount: 2}, {Cmd: CmdUpdate, Seconds: 90, Hitcount: 4}},
		"window-equals": {{Cmd: CmdUpdate, Seconds: 60, Hitcount: 2}, {Cmd: CmdCheck, Seconds: 60}},
	}
	histories := [][]time.Duration{{0}, {5 * time.Second}, {15 * time.Second}, {25 * time.Second, 2 * time.Second},
		{70 * time.Second}, {700 * time.Second, 650 * time.Second}, {50 * time.Second, 40 * time.Second, 30 * time.Second, 1 * time.Second},
		{100 * time.Second, 59 * time.Second}, {61 * time.Second, 59*time.Second + 999*time.Millisecond}}
	for name, uses := range layouts {
		l := NewList("x", "recent_x", false, netip.Addr{})
		for _, u := range uses {
			l.Need(u)
		}
		holders := l.Holders()
		if len(holders) == 0 {
			t.Fatalf("%s: no holders", name)
		}
		for _, h := range histories {
			held := l.Replay(h)
			entry := false
			for s := range held {
				if s.Role != Ptr && s.Role != TTL {
					entry = true
				}
			}
			in := 0
			for _, s := range holders {
				if _, ok := held[s]; ok {
					in++
				}
			}
			if in > 1 || entry != (in == 1) {
				t.Errorf("%s, events %v ago: entry %v, in %d holders %v (holds %v)", name, h, entry, in, holders, held)
			}
		}
	}
}

// A check that runs on one CPU while an event of the same address runs on
// another sees the sets after any prefix of the event's steps. Whatever
// the prefix, it must answer as the check just before or just after the
// event would (as under xt_recent's lock): never, say, "no pointer, so too
// few hits" for an address that is blocked before and after. Every ring
// size, hitcount, pointer and set of live slots. (With the pointer moved
// after the slot was written and the old one deleted first, a blocked
// address was let through by one packet in sixteen of a flood.)
func TestEventInterleavedCheck(t *testing.T) {
	for k := 2; k <= 5; k++ {
		for n := 2; n <= k; n++ {
			l := NewList("x", "recent_x", false, netip.Addr{})
			l.Need(Use{Cmd: CmdUpdate, Seconds: 60, Hitcount: uint32(n)})
			l.Need(Use{Cmd: CmdUpdate, Seconds: 60, Hitcount: uint32(k)})
			checks := l.RingChecks(60, uint32(n))
			check := func(held map[Set]bool) bool {
				for _, c := range checks {
					if held[c.Ptr] && held[c.Slot] {
						return true
					}
				}
				return false
			}
			for p := -1; p < k; p++ {
				for live := 0; live < 1<<k; live++ {
					held := map[Set]bool{}
					if p >= 0 {
						held[Set{Role: Ptr, Index: p}] = true
					}
					for i := 0; i < k; i++ {
						if live&(1<<i) != 0 {
							held[Set{Role: Slot, Window: 60, Index: i}] = true
						}
					}
					before := check(held)
					steps := l.Advance(p)
					var during []bool
					for _, st := range steps {
						held[st.Set] = st.Op != Delete
						during = append(during, check(held))
					}
					after := during[len(during)-1]
					for i, got := range during {
						if got != before && got != after {
							t.Errorf("K %d, hitcount %d, pointer %d, live slots %0*b: a check after step %d of %d answers %v, before the event %v, after it %v",
								k, n, p, k, live, i+1, len(steps), got, before, after)
						}
					}
				}
			}
		}
	}
}
