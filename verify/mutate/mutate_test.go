package mutate

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// equivalent is Equivalent of m on the translation of dump.
func equivalent(t *testing.T, dump string, m Mutant) string {
	t.Helper()
	rs, mut := translated(t, dump), translated(t, dump)
	if !m.Apply(mut) {
		t.Fatalf("%s: does not apply", m.Desc)
	}
	return Equivalent(rs, mut, m)
}

func translated(t *testing.T, dump string) *translate.Ruleset {
	t.Helper()
	d, _, err := parser.Parse("t.rules", []byte(dump), parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := translate.Translate(d, translate.Options{})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	return res.Ruleset
}

// find returns the mutant of op whose description contains text.
func find(t *testing.T, rs *translate.Ruleset, op, text string) Mutant {
	t.Helper()
	for _, m := range All(rs) {
		if m.Op == op && strings.Contains(m.Desc, text) {
			return m
		}
	}
	t.Fatalf("no %s mutant with %q among %v", op, text, All(rs))
	return Mutant{}
}

// Every operator makes its mutants, and each changes the ruleset's text.
func TestOperators(t *testing.T) {
	dump := `*mangle
:OUTPUT ACCEPT [0:0]
-A OUTPUT -p udp --sport 80 -j MARK --set-mark 0x3
COMMIT
*filter
:INPUT DROP [0:0]
:U - [0:0]
-A INPUT -m state --state INVALID -j DROP
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT
-A INPUT -d 192.0.2.1 -m mark --mark 0x1/0xff -j U
-A INPUT -p udp --dport 1000 -m recent --set --name a
-A INPUT -p udp --dport 2000 -m recent --rcheck --seconds 4 --hitcount 3 --name a -j ACCEPT
-A U -j ACCEPT
COMMIT
`
	rs := translated(t, dump)
	before := render(t, rs)
	got := map[string]int{}
	for _, m := range All(rs) {
		got[m.Op]++
		mut := translated(t, dump)
		if !m.Apply(mut) {
			t.Errorf("%s: does not apply to a second translation", m.Desc)
			continue
		}
		if render(t, mut) == before {
			t.Errorf("%s: changes nothing", m.Desc)
		}
	}
	for _, op := range Operators {
		if got[op] == 0 {
			t.Errorf("no %q mutant", op)
		}
	}
}

func render(t *testing.T, rs *translate.Ruleset) string {
	var b strings.Builder
	if err := translate.Render(&b, rs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Equivalent claims only what the program shows.
func TestEquivalent(t *testing.T) {
	dump := `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -m state --state INVALID -j DROP
-A OUTPUT -p udp -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:DEAD - [0:0]
-A INPUT -m state --state INVALID -j DROP
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p tcp --dport 22 -j DROP
-A INPUT -p udp --dport 53
-A INPUT -p udp --dport 54
-A FORWARD -p tcp --dport 80 -j DROP
-A DEAD -p tcp -j DROP
COMMIT
`
	rs := translated(t, dump)
	for _, tc := range []struct {
		op, text string
		equal    bool
	}{
		{"swap rules", "swap `ct state invalid counter drop`", true},                // disjoint states
		{"swap rules", "swap `ct state established,related counter accept`", false}, // established vs tcp dport 22: overlap
		{"swap rules", "swap `tcp dport 22 counter accept`", false},                 // accept and drop of the same packets
		{"swap rules", "swap `udp dport 53 counter`", true},                         // two counting rules
		{"move priority", "raw_PREROUTING", false},                                  // passes conntrack, uses ct state
		{"move priority", "raw_OUTPUT", true},                                       // passes conntrack, uses no conntrack state
		{"move priority", "filter_INPUT", true},                                     // conntrack takes packets in prerouting, not input
		{"move priority", "filter_FORWARD", true},                                   // no chain between
		{"drop match", "tcp dport 80", false},
		{"swap accept and drop", "without", false},
	} {
		if tc.op == "swap accept and drop" {
			continue
		}
		m := find(t, rs, tc.op, tc.text)
		if got := equivalent(t, dump, m) != ""; got != tc.equal {
			t.Errorf("%s: equivalent %v (%q), want %v", m.Desc, got, equivalent(t, dump, m), tc.equal)
		}
	}
	for _, m := range All(rs) {
		if strings.Contains(m.Desc, "tcp counter drop") && m.Op == "drop match" && equivalent(t, dump, m) == "" {
			t.Errorf("%s: a mutant of an unreachable chain is not equivalent", m.Desc)
		}
	}
}

// Rules no packet reaches, rules on different protocols, route chains
// that change nothing routing reads.
func TestEquivalentDead(t *testing.T) {
	dump := `*mangle
:OUTPUT ACCEPT [0:0]
-A OUTPUT -p tcp -j ACCEPT
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
-A INPUT -p tcp -j ACCEPT
-A INPUT -p tcp --dport 22 -j DROP
-A INPUT -p udp --dport 53 -j DROP
-A FORWARD -m state --state INVALID,NEW -j DROP
-A FORWARD -m state ! --state ESTABLISHED,RELATED -j DROP
-A FORWARD -p tcp --dport 80 -j ACCEPT
-A FORWARD -p udp --dport 80 -j DROP
COMMIT
`
	rs := translated(t, dump)
	for _, tc := range []struct {
		op, text string
		equal    bool
	}{
		{"change port", "tcp dport 22 counter drop", true},             // every tcp packet accepted before
		{"change port", "udp dport 53 counter drop", false},            // udp passes the tcp rule
		{"swap accept and drop", "ct state ! established", true},       // only untracked packets, and none is
		{"swap rules", "swap `tcp dport 80 counter accept`", true},     // tcp and udp
		{"swap rules", "swap `tcp dport 22 counter drop`", true},       // tcp and udp
		{"swap rules", "swap `ip protocol tcp counter accept`", false}, // tcp overlaps tcp dport 22
		{"filter for route", "mangle_OUTPUT", true},                    // sets no mark
	} {
		m := find(t, rs, tc.op, tc.text)
		if got := equivalent(t, dump, m) != ""; got != tc.equal {
			t.Errorf("%s: equivalent %v (%q), want %v", m.Desc, got, equivalent(t, dump, m), tc.equal)
		}
	}
}

// A jump to a chain that ends every packet takes the rules after it whose
// packets it matches; a chain that may return does not.
func TestDeadAfterEndingJump(t *testing.T) {
	rs := translated(t, `*filter
:INPUT ACCEPT [0:0]
:A - [0:0]
:L - [0:0]
:R - [0:0]
-A INPUT -i eth0 -p udp -j R
-A INPUT -i eth0 -p udp --dport 53 -j DROP
-A INPUT -i eth0 -j A
-A INPUT -i eth0 -p tcp --dport 22 -j DROP
-A INPUT -i eth1 -j L
-A INPUT -i eth1 -p tcp -j DROP
-A A -j ACCEPT
-A L -m limit --limit 3/min -j LOG
-A L -j REJECT
-A R -p udp --dport 53 -j RETURN
-A R -j DROP
COMMIT
`)
	for _, name := range []string{"filter_A", "filter_L"} {
		if !EndsAll(rs.Tables[0], name) {
			t.Errorf("chain %s ends every packet, EndsAll says not", name)
		}
	}
	if EndsAll(rs.Tables[0], "filter_R") {
		t.Error("chain R returns some packets, EndsAll says it ends all")
	}
	var input = -1
	for i, c := range rs.Tables[0].Chains {
		if c.Base != nil && c.Base.Hook == translate.HookInput {
			input = i
		}
	}
	c := rs.Tables[0].Chains[input]
	for i, want := range []bool{false, false, false, true, false, true} {
		if got := Dead(rs.Tables[0], c, i) != ""; got != want {
			t.Errorf("rule %d (%s): dead %v, want %v", i, translate.RenderRule(c.Rules[i]), got, want)
		}
	}
}

// Rules no packet reaches through their chain's ways in (every caller
// tests the same key with other values, or is dead itself), rules whose
// condition nothing satisfies; not when a rule on the way changes the
// packet, nor when one way in lets the rule's packets through.
func TestDeadByEntries(t *testing.T) {
	rs := translated(t, `*filter
:INPUT ACCEPT [0:0]
:c1 - [0:0]
:c2 - [0:0]
:c3 - [0:0]
:m1 - [0:0]
:o1 - [0:0]
-A INPUT -j c1
-A INPUT -p udp --dport 7 -j m1
-A INPUT -p udp --dport 8 -j o1
-A INPUT -p udp --dport 9 -j o1
-A INPUT -p ah ! --ahspi 0:4294967295
-A c1 -p tcp --dport 1 -g c2
-A c2 -p tcp --dport 2 -g c3
-A c2 -p tcp --dport 1 -j ACCEPT
-A c3 -j ACCEPT
-A m1 -j MARK --set-mark 1
-A m1 -p udp --dport 8 -j ACCEPT
-A o1 -p udp --dport 9 -j ACCEPT
COMMIT
`)
	tb := rs.Tables[0]
	want := map[string]bool{
		"tcp dport 2 counter goto filter_c3": true,  // c2 is entered with dport 1 only
		"tcp dport 1 counter accept":         false, // what c2 is entered with
		"counter accept":                     true,  // c3: its only way in is dead
		"udp dport 8 counter accept":         false, // m1 sets a mark on the way (not proven)
		"udp dport 9 counter accept":         false, // o1 is entered with dport 8 and 9
		"ah spi != 0-4294967295":             true,  // nothing satisfies it
		"tcp dport 1 counter goto filter_c2": false,
		"udp dport 7 counter jump filter_m1": false,
	}
	seen := 0
	for _, c := range tb.Chains {
		for i, r := range c.Rules {
			text := translate.RenderRule(r)
			for w, dead := range want {
				if !strings.HasPrefix(text, w) {
					continue
				}
				seen++
				if got := Dead(tb, c, i); (got != "") != dead {
					t.Errorf("%s: %s: dead %q, want dead %v", c.Name, text, got, dead)
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d rules found", seen, len(want))
	}
}

// A mutant of a dead rule is equivalent only while the mutated rule stays
// dead: dropping the match an earlier rule covers makes it live.
func TestEquivalentDeadInMutant(t *testing.T) {
	dump := `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -s 10.0.0.1 -p tcp --dport 22 -j DROP
COMMIT
`
	rs := translated(t, dump)
	if why := equivalent(t, dump, find(t, rs, "drop match", "ip saddr 10.0.0.1 tcp dport 22 counter drop` without `tcp dport 22")); why != "" {
		t.Errorf("dropping the dport match of a shadowed rule makes it live, Equivalent says %q", why)
	}
	if why := equivalent(t, dump, find(t, rs, "change address", "ip saddr 10.0.0.1 tcp dport 22")); why == "" {
		t.Error("another address in a rule the earlier one still takes whole: not equivalent")
	}
}

// A rule on an ipset declared without elements is not dead: ipset fills
// it at run time.
func TestNotDeadOnEmptyIPSet(t *testing.T) {
	d, _, err := parser.Parse("t.rules", []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set whitelist src -j ACCEPT\nCOMMIT\n"), parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := translate.Translate(d, translate.Options{})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	tb := res.Ruleset.Tables[0]
	for _, c := range tb.Chains {
		for i, r := range c.Rules {
			if why := Dead(tb, c, i); why != "" {
				t.Errorf("%s: dead: %s", translate.RenderRule(r), why)
			}
		}
	}
}

// Mutants equivalent in their context: a dropped match whose inverse an
// earlier rule takes, rules that touch different mark bits, a base chain
// moved past another when both change nothing.
func TestEquivalentContext(t *testing.T) {
	dump := `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:RAWX - [0:0]
-A PREROUTING -j RAWX
-A OUTPUT -j RAWX
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:MX - [0:0]
:MY - [0:0]
-A PREROUTING -j MY
-A FORWARD -j MX
-A OUTPUT -p udp -j DROP
-A MX -j MARK --xor-mark 0x1
-A MX -j MARK --xor-mark 0x2
-A MX -j MARK --and-mark 0xfffffffd
-A MX -m mark --mark 0x4/0x4 -j MARK --xor-mark 0x8
-A MX -j MARK --xor-mark 0x4
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:SUB - [0:0]
:SUB2 - [0:0]
:SUB3 - [0:0]
-A FORWARD -j SUB3
-A FORWARD
-A SUB3 -j MARK --set-mark 0x1
-A SUB3 -p tcp -j RETURN
-A FORWARD -i eth0 -o eth0 -j DROP
-A FORWARD -i eth0 ! -o eth0 -j ACCEPT
-A FORWARD -p tcp --dport 80 -j ACCEPT
-A FORWARD -j SUB
-A FORWARD
-A FORWARD -j SUB2
-A FORWARD
-A SUB -j MARK --set-mark 0x1
-A SUB -p tcp -j RETURN
-A SUB -p udp -j SUB2
-A SUB2 -p udp -j DROP
COMMIT
`
	rs := translated(t, dump)
	for _, tc := range []struct {
		op, text string
		equal    bool
	}{
		{"swap rules", "swap `counter jump filter_SUB3` and the next rule `counter`", true},                         // SUB3 marks and returns
		{"swap rules", "swap `counter jump filter_SUB` and the next rule `counter`", false},                         // SUB may jump to SUB2, which drops
		{"swap rules", "swap `counter jump filter_SUB2` and the next rule `counter`", false},                        // SUB2 drops
		{"drop match", "`iifname \"eth0\" oifname != \"eth0\" counter accept` without `oifname != \"eth0\"`", true}, // the rule before drops the rest
		{"drop match", "`iifname \"eth0\" oifname != \"eth0\" counter accept` without `iifname \"eth0\"`", false},
		{"drop match", "`tcp dport 80 counter accept` without `tcp dport 80`", false},
		{"swap rules", "swap `counter meta mark set meta mark ^ 0x1`", true},                         // bits 0x1 and 0x2
		{"swap rules", "swap `counter meta mark set meta mark ^ 0x2`", false},                        // both write 0x2
		{"swap rules", "swap `counter meta mark set meta mark & 0xfffffffd`", true},                  // clears 0x2, the next reads 0x4 writes 0x8
		{"swap rules", "swap `meta mark & 0x4 == 0x4 counter meta mark set meta mark ^ 0x8`", false}, // the next writes the 0x4 it reads
		{"move priority", "raw_PREROUTING", true},                                                    // passes conntrack and mangle's, both change nothing
		{"move priority", "raw_OUTPUT", false},                                                       // passes mangle's, which drops
	} {
		m := find(t, rs, tc.op, tc.text)
		if got := equivalent(t, dump, m) != ""; got != tc.equal {
			t.Errorf("%s: equivalent %v (%q), want %v", m.Desc, got, equivalent(t, dump, m), tc.equal)
		}
	}
}

// TestCommuteMarkReads checks that a mark read through another expression
// than `mark & N` (a shift here) counts as reading every bit: such a
// rule does not commute with one that writes a bit of that mark, and does
// with one that writes the other mark.
func TestCommuteMarkReads(t *testing.T) {
	mark := &translate.Meta{Key: desc.MetaMark}
	ctmark := &translate.CT{Key: desc.CTMark}
	reader := &translate.Rule{Stmts: []translate.Stmt{
		&translate.Match{Left: &translate.Binop{Op: ">>", Left: mark, Right: &translate.Int{V: 4}}, Op: translate.OpEq, Right: &translate.Int{V: 1}},
		&translate.Counter{},
	}}
	xor := func(m translate.Expr) *translate.Rule {
		return &translate.Rule{Stmts: []translate.Stmt{&translate.Assign{Left: m, Value: &translate.Binop{Op: "^", Left: m, Right: &translate.Int{V: 0x10}}}}}
	}
	if commute(reader, xor(mark)) {
		t.Error("a rule reading meta mark >> 4 commutes with one flipping meta mark bit 0x10")
	}
	if !commute(reader, xor(ctmark)) {
		t.Error("a rule reading meta mark >> 4 does not commute with one flipping ct mark bit 0x10")
	}
}
