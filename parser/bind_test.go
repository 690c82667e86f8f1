package parser

import (
	"strconv"
	"strings"
	"testing"
)

// TestBind checks how options attach to matches and targets.
func TestBind(t *testing.T) {
	tests := []struct {
		line string
		want string // rendered summary, or "error: <substring>"
	}{
		{"-A INPUT -p tcp --dport 22 -j ACCEPT", "base[protocol=tcp] tcp*[dport=22] ACCEPT"},
		{"-A INPUT -p tcp -m tcp --dport 22", "base[protocol=tcp] tcp[dport=22]"},
		{"-A INPUT -p tcp --dp 22", "base[protocol=tcp] tcp*[dport=22]"},
		{"-A INPUT -p tcp --destination-port 22", "base[protocol=tcp] tcp*[dport=22]"},
		{"-A INPUT ! -s 10.0.0.0/8", "base[!source=10.0.0.0/8]"},
		{"-A INPUT -m comment --comment x -m comment --comment y", "comment[comment=x] comment[comment=y]"},
		{"-A INPUT -p 17 --sport 53", "base[protocol=udp] udp*[sport=53]"},
		{"-A INPUT -p tcp --tcp-flags SYN,ACK SYN", "base[protocol=tcp] tcp*[tcp-flags=SYN,ACK,SYN]"},
		{"-A INPUT -p tcp --dport 22 --dport 23", "error: given more than once"},
		{"-A INPUT -m comment ! --comment x", "error: cannot be negated"},
		{"-A INPUT -j ACCEPT -j DROP", "error: multiple targets"},
		{"-A INPUT -s 1.2.3.4 -s 1.2.3.5", "error: multiple --source"},
		{"INPUT -j ACCEPT", "error: unexpected word"},
		{"-A INPUT -p tcp --dport", "error: requires an argument"},
		{"-A INPUT -m --n", "error: unknown match \"--n\""}, // getopt gives -m the next option (found by FuzzParse)
		{"-A INPUT -m --xyz -j ACCEPT", "error: unknown match \"--xyz\""},
		{"-A INPUT --set-counters 1 2 -j ACCEPT", "base[] ACCEPT c=1/2"},
		{"-A INPUT -t nat", "error: cannot be used in an iptables-restore dump"},
	}
	for _, tc := range tests {
		src := "*filter\n:INPUT ACCEPT [0:0]\n" + tc.line + "\nCOMMIT\n"
		d, _, err := Parse("t", []byte(src), Options{Family: IPv4})
		var got string
		if err != nil {
			got = "error: " + err.Error()
			if !strings.HasPrefix(tc.want, "error: ") || !strings.Contains(got, strings.TrimPrefix(tc.want, "error: ")) {
				t.Errorf("%q: got %s, want %s", tc.line, got, tc.want)
			}
			continue
		}
		got = summary(d.Tables[0].Chains[0].Rules[0])
		if got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.line, got, tc.want)
		}
	}
}

func summary(r *Rule) string {
	opts := func(os []*Option) string {
		var p []string
		for _, o := range os {
			s := o.Name
			if o.Negated {
				s = "!" + s
			}
			var a []string
			for _, x := range o.Args {
				a = append(a, x.Value)
			}
			if len(a) > 0 {
				s += "=" + strings.Join(a, ",")
			}
			p = append(p, s)
		}
		return "[" + strings.Join(p, " ") + "]"
	}
	var parts []string
	if len(r.Base) > 0 || len(r.Matches) == 0 {
		parts = append(parts, "base"+opts(r.Base))
	}
	for _, m := range r.Matches {
		n := m.Name
		if m.Implicit {
			n += "*"
		}
		parts = append(parts, n+opts(m.Options))
	}
	if r.Target != nil {
		parts = append(parts, r.Target.Name)
	}
	if r.Counters != nil {
		parts = append(parts, "c="+itoa(r.Counters.Packets)+"/"+itoa(r.Counters.Bytes))
	}
	return strings.Join(parts, " ")
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestHasQuote checks that the binder notes a double quote in any word of
// a rule (the translator then looks for one in what it made) and none
// where there is none; a rule made by hand is not known.
func TestHasQuote(t *testing.T) {
	src := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"a\\\"b\" -j ACCEPT\n" +
		"-A INPUT -p tcp --dport 22 -j LOG --log-prefix \"x \"\n-A INPUT -j ACCEPT\nCOMMIT\n"
	d, _, err := Parse("q.rules", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rules := d.Tables[0].Chains[0].Rules
	want := []bool{true, false, false}
	if len(rules) != len(want) {
		t.Fatalf("%d rules, want %d", len(rules), len(want))
	}
	for i, r := range rules {
		if has, known := r.HasQuote(); has != want[i] || !known {
			t.Errorf("rule %d (%s): HasQuote() = %v, %v; want %v, true", i+1, r.Text, has, known, want[i])
		}
	}
	if _, known := (&Rule{}).HasQuote(); known {
		t.Errorf("a rule made by hand: HasQuote is known")
	}
}
