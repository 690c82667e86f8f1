package parser

import (
	stdflag "flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = stdflag.Bool("update", false, "rewrite parser/testdata files")

func TestSplitRestore(t *testing.T) {
	type tok struct {
		K TokKind
		V string
		C int
	}
	tests := []struct {
		in   string
		want []tok
		open bool
	}{
		{`-A INPUT -j ACCEPT`, []tok{{TokOpt, "-A", 1}, {TokWord, "INPUT", 4}, {TokOpt, "-j", 10}, {TokWord, "ACCEPT", 13}}, false},
		{"a\t\t b", []tok{{TokWord, "a", 1}, {TokWord, "b", 5}}, false},
		{`--comment "a \"q\" b"`, []tok{{TokOpt, "--comment", 1}, {TokQWord, `a "q" b`, 11}}, false},
		{`--log-prefix "fw: "`, []tok{{TokOpt, "--log-prefix", 1}, {TokQWord, "fw: ", 14}}, false},
		{`! "!"`, []tok{{TokBang, "!", 1}, {TokQWord, "!", 3}}, false},
		// a closing quote ends the word; the quote may open mid-word
		{`pre"fix x"post`, []tok{{TokQWord, "prefix x", 1}, {TokWord, "post", 11}}, false},
		// a backslash escapes only inside quotes
		{`a\b "c\d"`, []tok{{TokWord, `a\b`, 1}, {TokQWord, "cd", 5}}, false},
		{`""`, []tok{{TokQWord, "", 1}}, false},
		{`"open`, []tok{{TokWord, "open", 1}}, true},
		{`-1 -x`, []tok{{TokWord, "-1", 1}, {TokOpt, "-x", 4}}, false},
		{"x\r", []tok{{TokWord, "x", 1}}, false},
		// a word running into a quote, plain words after one
		{`pre"`, []tok{{TokWord, "pre", 1}}, true},
		{`-m "a b"c d  e`, []tok{{TokOpt, "-m", 1}, {TokQWord, "a b", 4}, {TokWord, "c", 9}, {TokWord, "d", 11}, {TokWord, "e", 14}}, false},
	}
	for _, tc := range tests {
		got, open := splitRestore(tc.in, nil)
		var g []tok
		for _, x := range got {
			g = append(g, tok{x.Kind, x.Value, x.Col})
		}
		if d := cmp.Diff(tc.want, g); d != "" || open != tc.open {
			t.Errorf("splitRestore(%q) (-want +got):\n%s open=%v", tc.in, d, open)
		}
	}
}

func join(s []string, sep string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += sep
		}
		out += x
	}
	return out
}

// TestGrammarEBNF keeps the grammar under review: a change to it changes
// testdata/grammar.ebnf (go test ./parser -run EBNF -update).
func TestGrammarEBNF(t *testing.T) {
	got := lineParser.String() + "\n"
	const path = "testdata/grammar.ebnf"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("grammar changed (-want +got); run with -update if intended:\n%s", d)
	}
}
