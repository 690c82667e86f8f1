package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadShell pins how the static reader splits scripts into commands:
// each command as LINE:COL, its words (static ones as written after quote
// removal, others marked ~), the innermost construct and the list it is in.
func TestReadShell(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"plain", "iptables -A INPUT -j ACCEPT # done\n",
			[]string{"1:1 iptables|-A|INPUT|-j|ACCEPT"}},
		{"quotes", `iptables --comment 'it''s' "a \"b\" \$x" a\ b` + "\n",
			[]string{`1:1 iptables|--comment|its|a "b" $x|a b`}},
		{"expansions", "iptables -s $NET --dport ${P} -m \"$M\" `x` $(y) ~/f *.x {1,2} [a]\n",
			[]string{"1:1 iptables|-s|~$NET|--dport|~${P}|-m|~$M|~`x`|~$(y)|~~/f|*.x|~{1,2}|[a]", "1:40 x [substitution]", "1:45 y [substitution]"}},
		{"continuation", "iptables -A INPUT \\\n  -j ACCEPT\necho x\\\ny\n",
			[]string{"1:1 iptables|-A|INPUT|-j|ACCEPT", "3:1 echo|xy"}},
		{"lists", "a && b || c; d | e & f\n",
			[]string{"1:1 a (&& ||)", "1:6 b (&& ||)", "1:11 c (&& ||)", "1:14 d (| &)", "1:18 e (| &)", "1:22 f"}},
		{"if", "if a; then b; elif c; then d; else e; fi; f\n",
			[]string{"1:4 a [if]", "1:12 b [if]", "1:20 c [if]", "1:28 d [if]", "1:36 e [if]", "1:43 f"}},
		{"loops", "for i in 1 $(seq 3); do a $i; done\nwhile read x; do b; done < f\nfor ((i=0;i<3;i++)); do c; done\n",
			[]string{"1:14 seq|3 [substitution]", "1:25 a|~$i [for]", "2:7 read|x [while]", "2:18 b [while]", "3:25 c [for]"}},
		{"case", "case $1 in\n  (start|up) a ;;\n  *) b;;\nesac\nc\n",
			[]string{"2:14 a [case]", "3:6 b [case]", "5:1 c"}},
		{"functions", "f() { a; }\nfunction g { b; }\nfunction h() (c)\ni () {\n d\n}\ne\n",
			[]string{"1:7 a [function f]", "2:14 b [function g]", "3:15 c [function h]", "5:2 d [function i]", "7:1 e"}},
		{"groups", "( a ); { b; } > /dev/null; x=$(c \"$(d)\")\n",
			[]string{"1:3 a [subshell]", "1:10 b [group]", "1:32 c|~$(d) [substitution]", "1:37 d [substitution]"}},
		{"heredoc", "cat <<EOF > f\niptables -A X\n$(nope)\nEOF\ncat <<-'E'\n\tiptables\n\tE\nb\n",
			[]string{"1:1 cat", "5:1 cat", "8:1 b"}},
		{"tests", "[[ -f a && $b < c ]] && d\n(( i++ )) || e\n",
			[]string{"1:1 [[|-f|a|&&|~$b|c|]] (&&)", "1:25 d (&&)", "2:1  (||)", "2:14 e (||)"}},
		{"assignments", "A=1 B=$(c) d e=f\nexport G=h\n",
			[]string{"1:9 c [substitution]", "1:12 d|e=f", "2:1 export|G=h"}},
		{"negation and comments", "! a#b c # d\n#x\n",
			[]string{"1:3 a#b|c (!)"}},
		{"redirect fds", "iptables -A X 2>/dev/null >&2 3<f\n",
			[]string{"1:1 iptables|-A|X"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := readShell("t", tc.src)
			for _, e := range s.Errs {
				t.Errorf("unexpected error: %v", e)
			}
			var got []string
			for _, c := range s.Cmds {
				got = append(got, describeCmd(c))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func describeCmd(c *shCmd) string {
	var ws []string
	for _, w := range c.Words {
		if w.Static {
			ws = append(ws, w.Lit)
		} else {
			ws = append(ws, "~"+w.Lit)
		}
	}
	out := fmt.Sprintf("%d:%d %s", c.Pos.Line, c.Pos.Col, strings.Join(ws, "|"))
	if c.Ctx != nil {
		k := c.Ctx.Kind
		if c.Ctx.closes != nil {
			k = "function " + c.Ctx.closes.Name
		}
		out += " [" + k + "]"
	}
	if c.List != "" {
		out += " (" + c.List + ")"
	}
	return out
}

// TestReadShellErrors: syntax the reader cannot follow is an error, never
// a silently misread script.
func TestReadShellErrors(t *testing.T) {
	for _, src := range []string{
		"if a; then b\n",
		"echo 'open\n",
		"echo \"open\n",
		"x=$(a\n",
		"cat <<EOF\nbody\n",
		"f() \n",
		"done\n",
		"echo `a\n",
	} {
		if s := readShell("t", src); len(s.Errs) == 0 {
			t.Errorf("%q: no error", src)
		}
	}
	for _, src := range []string{"a \\\n", "a \\"} {
		if s := readShell("t", src); s.TrailingBackslash == nil {
			t.Errorf("%q: trailing backslash not found", src)
		}
	}
}

// TestScriptShellQuotedBang: the shell passes '!' to iptables as a plain "!".
func TestScriptShellQuotedBang(t *testing.T) {
	d, _, err := Parse("t", []byte("iptables -A INPUT -m mark '!' --mark 1\n"), Options{Script: true})
	if err != nil {
		t.Fatal(err)
	}
	if m := d.Tables[0].Chains[0].Rules[0].Matches[0]; !m.Options[0].Negated {
		t.Errorf("'!' in a shell line did not negate --mark: %+v", m.Options[0])
	}
}
