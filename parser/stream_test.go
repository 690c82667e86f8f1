package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStreamable checks which dumps ParseStream hands over rule by rule:
// those whose rules are final, in the dump's order, as soon as they are
// read.
func TestStreamable(t *testing.T) {
	const head = "*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n"
	tests := []struct {
		name, src string
		want      bool
	}{
		{"appends", head + "-A INPUT -j X\n-A X -j ACCEPT\nCOMMIT\n", true},
		{"counters and blanks", "# c\n" + head + "\n[1:2] -A INPUT -j X\n  -A X -j ACCEPT\nCOMMIT\n*nat\n:OUTPUT ACCEPT\n-A OUTPUT -j ACCEPT\nCOMMIT\n", true},
		{"no rules", head + "COMMIT\n", true},
		{"insert", head + "-I INPUT -j X\nCOMMIT\n", false},
		{"delete", head + "-A X -j ACCEPT\n-D X -j ACCEPT\nCOMMIT\n", false},
		{"long option", head + "--append INPUT -j X\nCOMMIT\n", false},
		{"table twice", head + "COMMIT\n" + head + "COMMIT\n", false},
		{"chain after rule", head + "-A INPUT -j X\n:Y - [0:0]\nCOMMIT\n", false},
		{"undeclared chain", head + "-A OUTPUT -j X\nCOMMIT\n", false},
		{"back to an earlier chain", head + "-A X -j ACCEPT\n-A INPUT -j X\nCOMMIT\n", false},
		{"quoted chain", head + "-A \"X\" -j ACCEPT\nCOMMIT\n", false},
		{"rule outside a table", "-A INPUT -j ACCEPT\n", false},
	}
	for _, tc := range tests {
		if got := Streamable([]byte(tc.src), Options{}); got != tc.want {
			t.Errorf("%s: Streamable = %v, want %v", tc.name, got, tc.want)
		}
	}
	if Streamable([]byte(tests[0].src), Options{Script: true}) {
		t.Errorf("a script is streamable")
	}
}

// sinkLog records what a Sink is given.
type sinkLog struct{ calls []string }

func (s *sinkLog) Table(t *Table) {
	var chains []string
	for _, c := range t.Chains {
		chains = append(chains, c.Name+"/"+c.Policy)
	}
	s.calls = append(s.calls, fmt.Sprintf("table %s %s %s", t.Family, t.Name, strings.Join(chains, ",")))
}

func (s *sinkLog) Rule(t *Table, c *Chain, r *Rule) {
	s.calls = append(s.calls, fmt.Sprintf("rule %s %s %s: %s", t.Name, c.Name, r.Pos, r.Text))
}

// TestParseStream checks that ParseStream gives a sink the rules Parse
// keeps, in the same order, whether the dump streams or not; that the dump
// it returns keeps no rule; and that the checks at COMMIT (targets, loops,
// the kernel's restrictions by hook) still see the rules it handed over.
func TestParseStream(t *testing.T) {
	srcs := []string{
		"*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -p tcp --dport 22 -j X\n-A INPUT -j ACCEPT\n" +
			"-A OUTPUT -j X\n-A X -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:EMPTY - [0:0]\nCOMMIT\n*raw\nCOMMIT\n",
		// not streamable: rules inserted and deleted
		"*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A X -j ACCEPT\n-I INPUT -j X\n-A INPUT -j DROP\n-D INPUT 2\nCOMMIT\n",
	}
	for i, src := range srcs {
		d, _, err := Parse("t", []byte(src), Options{Family: IPv4})
		if err != nil {
			t.Fatal(err)
		}
		want := &sinkLog{}
		for _, tb := range d.Tables {
			want.Table(tb)
			for _, c := range tb.Chains {
				for _, r := range c.Rules {
					want.Rule(tb, c, r)
				}
			}
		}
		got := &sinkLog{}
		sd, _, err := ParseStream("t", []byte(src), Options{Family: IPv4}, got)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.calls, got.calls); diff != "" {
			t.Errorf("input %d (streamable %v): sink calls (-Parse +ParseStream):\n%s", i, Streamable([]byte(src), Options{}), diff)
		}
		if len(sd.Tables) != len(d.Tables) {
			t.Errorf("input %d: %d tables, want %d", i, len(sd.Tables), len(d.Tables))
		}
		for _, tb := range sd.Tables {
			for _, c := range tb.Chains {
				if len(c.Rules) > 0 {
					t.Errorf("input %d: chain %s of the streamed dump keeps %d rules", i, c.Name, len(c.Rules))
				}
			}
		}
	}
	bad := []string{
		"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOSUCH\nCOMMIT\n",
		"*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -g A\nCOMMIT\n",
		"*nat\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -j X\n-A X -p tcp -j DNAT --to-destination 10.0.0.1\nCOMMIT\n",
		"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j MASQUERADE\nCOMMIT\n",
	}
	for _, src := range bad {
		if !Streamable([]byte(src), Options{}) {
			t.Fatalf("%q does not stream", src)
		}
		_, _, werr := Parse("t", []byte(src), Options{Family: IPv4})
		_, _, serr := ParseStream("t", []byte(src), Options{Family: IPv4}, &sinkLog{})
		if werr == nil || serr == nil || werr.Error() != serr.Error() {
			t.Errorf("%q: Parse says %v, ParseStream %v", src, werr, serr)
		}
	}
}
