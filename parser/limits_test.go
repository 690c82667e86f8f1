package parser

import (
	"strings"
	"testing"
)

// TestRestoreLimits checks that a dump line iptables-restore 1.8.9 cannot
// read is refused at its position with iptables-restore's reason, and that
// one just inside each limit is read (the limits were measured with
// iptables-legacy-restore 1.8.9 in a namespace: 251 words pass and 252
// fail, a 1,023-byte word passes and 1,024 fails).
func TestRestoreLimits(t *testing.T) {
	mark := func(groups int) string {
		return "-A INPUT" + strings.Repeat(" -m mark --mark 1", groups)
	}
	tests := []struct {
		name, line, want string // want "" means it parses
		col              int
	}{
		{"252 words", mark(62) + " -j ACCEPT", "rule has 252 words", 0},
		{"251 words", mark(62) + " -j", "", 0}, // 2 + 248 + 1
		{"251 words after counters", "[1:2] " + mark(62) + " -j", "", 0},
		{"word of 1023 bytes", "-A INPUT -m comment --comment " + strings.Repeat("x", 1023), "", 0},
		{"word of 1024 bytes", "-A INPUT -m comment --comment " + strings.Repeat("x", 1024), "word of 1024 bytes", 31},
		{"quoted word of 1024 bytes", "-A INPUT -m comment --comment \"" + strings.Repeat("x", 1024) + "\"", "Parameter too long!", 31},
		{"line of 10240 bytes", "-A INPUT -m comment --comment " + strings.Repeat(strings.Repeat("x", 1000)+" ", 11)[:10210], "line is 10240 bytes long", 10240},
	}
	for _, tc := range tests {
		src := "*filter\n:INPUT ACCEPT [0:0]\n" + tc.line + "\nCOMMIT\n"
		_, _, err := Parse("t", []byte(src), Options{Family: IPv4})
		if tc.want == "" {
			if err != nil && strings.Contains(err.Error(), "iptables-restore") {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
			continue
		}
		if tc.col > 0 {
			if pos := err.(ErrorList)[0].Pos; pos.Line != 3 || pos.Col != tc.col {
				t.Errorf("%s: error at %s, want t:3:%d", tc.name, pos, tc.col)
			}
		}
	}
}

// TestScriptLimits checks the kernel's execve limits on a script line.
func TestScriptLimits(t *testing.T) {
	long := "iptables -A INPUT -m comment --comment " + strings.Repeat("x", 131072)
	if _, _, err := Parse("s", []byte(long+"\n"), Options{Script: true}); err == nil || !strings.Contains(err.Error(), "MAX_ARG_STRLEN") {
		t.Errorf("131,072-byte argument: got %v", err)
	}
	many := "iptables -A INPUT" + strings.Repeat(" -m mark --mark 1", 120000)
	_, _, err := Parse("s", []byte(many+"\n"), Options{Script: true})
	if err == nil || !strings.Contains(err.Error(), "ARG_MAX") {
		t.Errorf("2 MB command line: got %v", err)
	}
}

// TestManyChains checks that chains are found through the index after
// every way a script changes them (new, rename, delete), and that a dump
// with many chains and jumps to them parses.
func TestManyChains(t *testing.T) {
	src := "iptables -N a\niptables -N b\niptables -A INPUT -j a\niptables -E a c\n" +
		"iptables -A INPUT -j c\niptables -X b\niptables -N b\niptables -A b -j c\n"
	d, _, err := Parse("s", []byte(src), Options{Script: true})
	if err != nil {
		t.Fatal(err)
	}
	tb := d.Tables[0]
	if tb.Chain("a") != nil || tb.Chain("c") == nil || tb.Chain("b") == nil || tb.Chain("INPUT") == nil {
		t.Errorf("chains after rename and delete: %v", chainNames(tb))
	}
	if _, _, err := Parse("s", []byte(src+"iptables -A INPUT -j a\n"), Options{Script: true}); err == nil {
		t.Error("a jump to a renamed-away chain was accepted")
	}
}

func chainNames(t *Table) []string {
	var out []string
	for _, c := range t.Chains {
		out = append(out, c.Name)
	}
	return out
}
