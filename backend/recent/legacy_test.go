package recent

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

const legacyRules = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -m recent --name ssh --set
-A INPUT -p tcp --dport 22 -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP
-A INPUT -p udp -m recent --name peers --rcheck --seconds 10 --rttl -j ACCEPT
COMMIT
`

func program(t testing.TB, size int) *nft.Program {
	t.Helper()
	return programSized(t, legacyRules, size)
}

func programFrom(t *testing.T, rules string) *nft.Program {
	t.Helper()
	return programSized(t, rules, 0)
}

func programSized(t testing.TB, rules string, size int) *nft.Program {
	t.Helper()
	out := translate.Prepare([]translate.Input{{Name: "rules", Src: []byte(rules)}}, parser.Options{}, translate.Options{RecentSize: size})
	if out.Failed {
		t.Fatal(strings.Join(out.Diags, "\n"))
	}
	p, err := nft.Lower(out.Ruleset)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ages(s ...int) []time.Duration {
	var out []time.Duration
	for _, v := range s {
		out = append(out, time.Duration(v)*time.Second)
	}
	return out
}

// byName is the elements by set name: key -> timeout.
func byName(els map[*nft.SetProgram][]nftables.SetElement) map[string]map[string]time.Duration {
	out := map[string]map[string]time.Duration{}
	for sp, es := range els {
		m := map[string]time.Duration{}
		for _, e := range es {
			k := ""
			if a, ok := netip.AddrFromSlice(e.Key); ok {
				k = a.String()
			} else if a, ok := netip.AddrFromSlice(e.Key[:4]); ok && len(e.Key) == 8 {
				k = fmt.Sprintf("%s . %03d", a, e.Key[4]) // addr . ttl, the ttl in a register of its own
			}
			m[k] = e.Timeout.Round(100 * time.Millisecond)
		}
		out[sp.Set.Name] = m
	}
	return out
}

// Each entry becomes what the sets would hold had the nft rules seen its
// events: the ring written slot by slot, the pointer on the next slot,
// each element with the time it has left; stamps older than every window
// carry nothing; an address of a family the list has no sets for, and a
// list no rule names, are reported.
func TestElements(t *testing.T) {
	r := &Read{At: time.Now(), Lists: map[string]*ListRead{
		"ssh": {Entries: []Entry{
			{Addr: netip.MustParseAddr("192.0.2.1"), LastSeen: 10 * time.Second, Stamps: ages(30, 20, 10)},
			{Addr: netip.MustParseAddr("192.0.2.2"), LastSeen: 70 * time.Second, Stamps: ages(90, 70)},
			{Addr: netip.MustParseAddr("2001:db8::1"), LastSeen: time.Second},
		}},
		"peers": {Entries: []Entry{{Addr: netip.MustParseAddr("192.0.2.9"), TTL: 64, LastSeen: 4 * time.Second, Stamps: ages(4)}}},
		"other": {Entries: []Entry{{Addr: netip.MustParseAddr("192.0.2.5")}}},
	}}
	els, carried, err := Elements(program(t, 100), r)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(els)
	want := map[string]map[string]time.Duration{
		"recent_ssh_ptr3":      {"192.0.2.1": 50 * time.Second},
		"recent_ssh_w60_s0":    {"192.0.2.1": 30 * time.Second},
		"recent_ssh_w60_s1":    {"192.0.2.1": 40 * time.Second},
		"recent_ssh_w60_s2":    {"192.0.2.1": 50 * time.Second},
		"recent_peers_last_10": {"192.0.2.9": 6 * time.Second},
		"recent_peers_ttl":     {"192.0.2.9 . 064": 6 * time.Second},
	}
	for set, m := range want {
		for k, left := range m {
			if got[set][k] != left {
				t.Errorf("set %s: element %s has %v left, want %v (set: %v)", set, k, got[set][k], left, got[set])
			}
		}
		if len(got[set]) != len(m) {
			t.Errorf("set %s: %v, want %v", set, got[set], m)
		}
	}
	for set := range got {
		if want[set] == nil && len(got[set]) > 0 {
			t.Errorf("unexpected elements in %s: %v", set, got[set])
		}
	}
	rep := map[string]Carried{}
	for _, c := range carried {
		rep[c.List] = c
	}
	if c := rep["ssh"]; c.Copied != 1 || c.Expired != 1 || len(c.Problems) != 1 || !strings.Contains(c.Problems[0], "no sets for IPv6") {
		t.Errorf("ssh: %+v", c)
	}
	if c := rep["other"]; !c.Unused {
		t.Errorf("other: %+v", c)
	}
	// A list with more entries than its sets hold is refused.
	r.Lists["peers"].Entries = append(r.Lists["peers"].Entries,
		Entry{Addr: netip.MustParseAddr("192.0.2.10")}, Entry{Addr: netip.MustParseAddr("192.0.2.11")})
	if _, _, err := Elements(program(t, 2), r); err == nil || !strings.Contains(err.Error(), "--recent-size") {
		t.Errorf("a list larger than its sets: %v", err)
	}
}

// procLines keys each line by its address, as ParseProc reads it.
func TestProcLines(t *testing.T) {
	text := "src=10.0.0.1 ttl: 64 last_seen: 5 oldest_pkt: 1 5\nsrc=0000:0000:0000:0000:0000:ffff:0a00:0001 ttl: 0 last_seen: 6 oldest_pkt: 1 6\n"
	m := procLines(text)
	if len(m) != 2 || !strings.HasSuffix(m[netip.MustParseAddr("10.0.0.1")], " 5") || !strings.HasSuffix(m[netip.MustParseAddr("::ffff:10.0.0.1")], " 6") {
		t.Errorf("%q", m)
	}
}

// BenchmarkElements100k turns a 100,000-entry --hitcount 4 list (three
// stamps each) into its sets' elements, as migrate does between reading
// the lists and sending its batch: that time counts against the time the
// entries have left.
//
//	go test ./backend/recent -run '^$' -bench Elements100k -benchmem
func BenchmarkElements100k(b *testing.B) {
	const n = 100000
	p := program(b, 131072)
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Addr: netip.AddrFrom4([4]byte{192, 168 + byte(i>>16), byte(i >> 8), byte(i)}),
			LastSeen: time.Duration(i%40) * 250 * time.Millisecond, Stamps: ages(i%40/4+2, i%40/4+1, i%40/4)}
	}
	r := &Read{At: time.Now(), Lists: map[string]*ListRead{"ssh": {Entries: entries}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		els, _, err := Elements(p, r)
		if err != nil || len(els) == 0 {
			b.Fatal(err)
		}
	}
}
