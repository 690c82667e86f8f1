package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDiffTable(t *testing.T) {
	tests := []struct {
		name    string
		a, b    string
		context int
		want    string
	}{
		{name: "equal", a: "x\ny\n", b: "x\ny\n", context: 3, want: ""},
		{name: "both empty", a: "", b: "", context: 3, want: ""},
		{
			name: "from empty", a: "", b: "a\nb\n", context: 3,
			want: "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n",
		},
		{
			name: "to empty", a: "a\nb\n", b: "", context: 3,
			want: "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-a\n-b\n",
		},
		{
			name: "one line changed", a: "a\n", b: "b\n", context: 3,
			want: "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n",
		},
		{
			name: "middle change", a: "1\n2\n3\n4\n5\n6\n7\n8\n9\n", b: "1\n2\n3\n4\nX\n6\n7\n8\n9\n", context: 3,
			want: "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n",
		},
		{
			name: "insert with zero context", a: "1\n2\n3\n", b: "1\n2\nn\nm\n3\n", context: 0,
			want: "--- a\n+++ b\n@@ -2,0 +3,2 @@\n+n\n+m\n",
		},
		{
			name: "delete with zero context", a: "1\n2\n3\n", b: "1\n3\n", context: 0,
			want: "--- a\n+++ b\n@@ -2 +1,0 @@\n-2\n",
		},
		{
			name: "negative context is zero", a: "1\n2\n3\n", b: "1\n3\n", context: -5,
			want: "--- a\n+++ b\n@@ -2 +1,0 @@\n-2\n",
		},
		{
			name: "context clipped at both ends", a: "1\n2\n3\n", b: "1\nX\n3\n", context: 10,
			want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n",
		},
		{
			name: "two hunks",
			a:    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", b: "X\n2\n3\n4\n5\n6\n7\n8\n9\nY\n", context: 1,
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-1\n+X\n 2\n@@ -9,2 +9,2 @@\n 9\n-10\n+Y\n",
		},
		{
			name: "hunks merge when contexts touch",
			a:    "1\n2\n3\n4\n5\n", b: "X\n2\n3\n4\nY\n", context: 2,
			want: "--- a\n+++ b\n@@ -1,5 +1,5 @@\n-1\n+X\n 2\n 3\n 4\n-5\n+Y\n",
		},
		{
			name: "hunks apart when contexts do not touch",
			a:    "1\n2\n3\n4\n5\n6\n", b: "X\n2\n3\n4\n5\nY\n", context: 1,
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-1\n+X\n 2\n@@ -5,2 +5,2 @@\n 5\n-6\n+Y\n",
		},
		{
			name: "newline added at end", a: "a\nb", b: "a\nb\n", context: 3,
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
		},
		{
			name: "no newline on unchanged last line", a: "a\nb\nc", b: "A\nb\nc", context: 3,
			want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n\\ No newline at end of file\n",
		},
		{
			name: "names", a: "x\n", b: "y\n", context: 0,
			want: "--- /etc/old rules\n+++ new\n@@ -1 +1 @@\n-x\n+y\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an, bn := "a", "b"
			if tt.name == "names" {
				an, bn = "/etc/old rules", "new"
			}
			got := unifiedDiff(an, bn, []byte(tt.a), []byte(tt.b), tt.context)
			if got != tt.want {
				t.Errorf("unifiedDiff:\n got: %q\nwant: %q", got, tt.want)
			}
			if got != "" {
				checkPatch(t, got, tt.a, tt.b)
			}
		})
	}
}

// applyUnified applies a unified diff produced by unifiedDiff to a, checking
// that every context and removed line matches a and that the hunk headers
// agree with the hunk bodies.
func applyUnified(a, patch string) (string, error) {
	lines := strings.SplitAfter(patch, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		return "", fmt.Errorf("missing file header")
	}
	src := strings.SplitAfter(a, "\n")
	if src[len(src)-1] == "" {
		src = src[:len(src)-1]
	}
	var out []string
	pos := 0 // next line of src to copy
	parseRange := func(s string) (start, n int, err error) {
		n = 1
		if i := strings.IndexByte(s, ','); i >= 0 {
			if n, err = strconv.Atoi(s[i+1:]); err != nil {
				return
			}
			s = s[:i]
		}
		start, err = strconv.Atoi(s)
		return
	}
	i := 2
	for i < len(lines) {
		h := strings.TrimSuffix(lines[i], "\n")
		var as, bs string
		if _, err := fmt.Sscanf(h, "@@ -%s +%s @@", &as, &bs); err != nil || !strings.HasSuffix(h, " @@") {
			return "", fmt.Errorf("line %d: bad hunk header %q", i+1, h)
		}
		aStart, aN, err1 := parseRange(as)
		bStart, bN, err2 := parseRange(bs)
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("line %d: bad hunk header %q", i+1, h)
		}
		// Empty ranges name the line before them.
		if aN > 0 {
			aStart--
		}
		if bN > 0 {
			bStart--
		}
		if aStart < pos || aStart+aN > len(src) {
			return "", fmt.Errorf("line %d: hunk %q out of order or range", i+1, h)
		}
		out = append(out, src[pos:aStart]...)
		pos = aStart
		if len(out) != bStart {
			return "", fmt.Errorf("line %d: hunk %q starts at new line %d, have %d", i+1, h, bStart, len(out))
		}
		i++
		gotA, gotB := 0, 0
		for i < len(lines) && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			i++
			body := l[1:]
			if i < len(lines) && lines[i] == "\\ No newline at end of file\n" {
				body = strings.TrimSuffix(body, "\n")
				i++
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != body {
					return "", fmt.Errorf("line %d: %q does not match old line %d", i, l, pos+1)
				}
				pos++
				gotA++
				if l[0] == ' ' {
					out = append(out, body)
					gotB++
				}
			case '+':
				out = append(out, body)
				gotB++
			default:
				return "", fmt.Errorf("line %d: bad line %q", i, l)
			}
		}
		if gotA != aN || gotB != bN {
			return "", fmt.Errorf("hunk %q has %d old and %d new lines", h, gotA, gotB)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, ""), nil
}

func checkPatch(t *testing.T, patch, a, b string) {
	t.Helper()
	got, err := applyUnified(a, patch)
	if err != nil {
		t.Fatalf("applying the diff: %v\na: %q\nb: %q\ndiff:\n%s", err, a, b, patch)
	}
	if got != b {
		t.Fatalf("applying the diff gives\n%q\nwant\n%q\ndiff:\n%s", got, b, patch)
	}
}

// randomEdit returns a copy of a (a list of lines) with n random line
// insertions, deletions and replacements; lines come from a small alphabet so
// that there are many spurious matches.
func randomEdit(r *rand.Rand, a []string, n, alphabet int) []string {
	b := append([]string(nil), a...)
	for range n {
		line := fmt.Sprintf("l%d\n", r.Intn(alphabet))
		switch k := r.Intn(3); {
		case k == 0 || len(b) == 0:
			i := r.Intn(len(b) + 1)
			b = append(b[:i], append([]string{line}, b[i:]...)...)
		case k == 1:
			i := r.Intn(len(b))
			b = append(b[:i], b[i+1:]...)
		default:
			b[r.Intn(len(b))] = line
		}
	}
	return b
}

func randomLines(r *rand.Rand, n, alphabet int) []string {
	a := make([]string, n)
	for i := range a {
		a[i] = fmt.Sprintf("l%d\n", r.Intn(alphabet))
	}
	return a
}

// joinMaybeNoEOL joins lines, sometimes dropping the final newline.
func joinMaybeNoEOL(r *rand.Rand, lines []string) string {
	s := strings.Join(lines, "")
	if s != "" && r.Intn(4) == 0 {
		s = strings.TrimSuffix(s, "\n")
	}
	return s
}

// lcsLen is the textbook O(NM) longest common subsequence length.
func lcsLen(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func TestDiffPatchProperty(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for iter := range 3000 {
		n := r.Intn(40)
		alphabet := 1 + r.Intn(8)
		al := randomLines(r, n, alphabet)
		bl := randomEdit(r, al, r.Intn(10), alphabet)
		a, b := joinMaybeNoEOL(r, al), joinMaybeNoEOL(r, bl)
		context := r.Intn(5)
		d := unifiedDiff("a", "b", []byte(a), []byte(b), context)
		if (d == "") != (a == b) {
			t.Fatalf("iter %d: diff %q for a=%q b=%q", iter, d, a, b)
		}
		if d == "" {
			continue
		}
		checkPatch(t, d, a, b)
		// The edit script is minimal: removed+added = N+M-2·LCS.
		as, bs := udiffSplit([]byte(a)), udiffSplit([]byte(b))
		minus, plus := 0, 0
		for _, l := range strings.SplitAfter(d, "\n")[2:] {
			if strings.HasPrefix(l, "-") {
				minus++
			} else if strings.HasPrefix(l, "+") {
				plus++
			}
		}
		lcs := lcsLen(as, bs)
		if minus != len(as)-lcs || plus != len(bs)-lcs {
			t.Fatalf("iter %d: -%d +%d lines, want -%d +%d (not minimal)\n%s", iter, minus, plus, len(as)-lcs, len(bs)-lcs, d)
		}
	}
}

// TestDiffTooExpensive forces the heuristic split on every sub-problem: the
// result need not be minimal but must still turn a into b.
func TestDiffTooExpensive(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for iter := range 2000 {
		al := randomLines(r, r.Intn(60), 1+r.Intn(6))
		bl := randomEdit(r, al, r.Intn(30), 6)
		if r.Intn(5) == 0 {
			bl = randomLines(r, r.Intn(60), 6)
		}
		ax, bx := udiffIntern(al, bl)
		ch := udiffCompute(ax, bx, 1+r.Intn(3))
		var out []string
		pos := 0
		for k, c := range ch {
			if c.a0 < pos || c.a1 < c.a0 || c.b1 < c.b0 || (c.a0 == c.a1 && c.b0 == c.b1) ||
				(k > 0 && c.a0 == ch[k-1].a1) || c.a0-pos != c.b0-len(out) {
				t.Fatalf("iter %d: bad change %+v after %+v", iter, c, ch[:k])
			}
			out = append(out, al[pos:c.a0]...)
			out = append(out, bl[c.b0:c.b1]...)
			pos = c.a1
		}
		out = append(out, al[pos:]...)
		if strings.Join(out, "") != strings.Join(bl, "") {
			t.Fatalf("iter %d: changes %+v do not turn %q into %q", iter, ch, al, bl)
		}
	}
}

func runGNUDiff(t *testing.T, a, b string, context int) string {
	t.Helper()
	dir := t.TempDir()
	fa, fb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(fa, []byte(a), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fb, []byte(b), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("diff", "-U"+strconv.Itoa(context), fa, fb).Output()
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
		t.Fatalf("diff: %v", err)
	}
	return string(out)
}

func dropHeader(d string) string {
	for range 2 {
		if i := strings.IndexByte(d, '\n'); i >= 0 {
			d = d[i+1:]
		}
	}
	return d
}

func TestDiffMatchesGNUDiff(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff on PATH")
	}
	seq := func(lo, hi int) string {
		var sb strings.Builder
		for i := lo; i <= hi; i++ {
			fmt.Fprintf(&sb, "%d\n", i)
		}
		return sb.String()
	}
	rules := "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
		"-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n" +
		"-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n"
	simple := []struct{ a, b string }{
		{seq(1, 20), strings.Replace(seq(1, 20), "5\n", "X\n", 1)},
		{seq(1, 20), strings.Replace(seq(1, 20), "12\n", "", 1)},
		{seq(1, 30), strings.Replace(strings.Replace(seq(1, 30), "\n3\n", "\n3\nnew\n", 1), "25\n", "", 1)},
		{seq(1, 30), seq(1, 30) + "31\n32\n"},
		{seq(1, 30), seq(3, 30)},
		{seq(1, 10), strings.TrimSuffix(seq(1, 10), "\n")},
		{"", seq(1, 3)},
		{rules, strings.Replace(rules, "--dport 22", "--dport 2222", 1)},
		{rules, strings.Replace(rules, "-A INPUT -p icmp -j ACCEPT\n", "-A INPUT -p icmp -j ACCEPT\n-A INPUT -p udp --dport 53 -j ACCEPT\n", 1)},
	}
	for i, c := range simple {
		for _, context := range []int{0, 1, 3} {
			want := dropHeader(runGNUDiff(t, c.a, c.b, context))
			got := unifiedDiff("a", "b", []byte(c.a), []byte(c.b), context)
			if dropHeader(got) != want {
				t.Errorf("case %d, -U%d:\n got:\n%s\nwant (diff -u):\n%s", i, context, got, want)
			}
		}
	}

	// Random inputs: GNU diff may break ties differently (and its
	// discarding of confusing lines may make its script longer), so only
	// require that our script applies and is no longer than diff's.
	r := rand.New(rand.NewSource(3))
	same := 0
	const n = 40
	for iter := range n {
		al := randomLines(r, 30+r.Intn(100), 3+r.Intn(20))
		bl := randomEdit(r, al, 1+r.Intn(20), 30)
		a, b := strings.Join(al, ""), strings.Join(bl, "")
		gnu := runGNUDiff(t, a, b, 3)
		got := unifiedDiff("a", "b", []byte(a), []byte(b), 3)
		checkPatch(t, got, a, b)
		count := func(d string) int {
			k := 0
			for _, l := range strings.SplitAfter(dropHeader(d), "\n") {
				if strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+") {
					k++
				}
			}
			return k
		}
		if count(got) > count(gnu) {
			t.Errorf("iter %d: %d changed lines, diff -u has %d", iter, count(got), count(gnu))
		}
		if dropHeader(got) == dropHeader(gnu) {
			same++
		}
	}
	t.Logf("%d of %d random diffs identical to diff -u", same, n)
}

// bigDiffInput is a 40,000-line ruleset-like file and a copy with about 300
// line insertions, deletions and replacements.
func bigDiffInput(tb testing.TB) (a, b []byte) {
	tb.Helper()
	r := rand.New(rand.NewSource(4))
	al := make([]string, 40000)
	for i := range al {
		al[i] = fmt.Sprintf("-A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", i/256%256, i%256, 1+r.Intn(100))
	}
	bl := append([]string(nil), al...)
	for range 300 {
		i := r.Intn(len(bl))
		switch r.Intn(3) {
		case 0:
			bl = append(bl[:i], append([]string{fmt.Sprintf("-A INPUT -s 192.0.2.%d -j DROP\n", r.Intn(256))}, bl[i:]...)...)
		case 1:
			bl = append(bl[:i], bl[i+1:]...)
		default:
			bl[i] = "-A INPUT -j LOG\n"
		}
	}
	return []byte(strings.Join(al, "")), []byte(strings.Join(bl, ""))
}

func TestDiffLarge(t *testing.T) {
	a, b := bigDiffInput(t)
	d := unifiedDiff("a", "b", a, b, 3)
	checkPatch(t, d, string(a), string(b))
	// Completely different inputs take the too-expensive path and must
	// still be correct.
	if testing.Short() {
		return
	}
	c := bytes.ReplaceAll(b, []byte("-A INPUT"), []byte("-A OUTPUT"))
	d = unifiedDiff("a", "c", a, c, 3)
	checkPatch(t, d, string(a), string(c))
}

func BenchmarkDiff40kLines300Changes(b *testing.B) {
	x, y := bigDiffInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if unifiedDiff("a", "b", x, y, 3) == "" {
			b.Fatal("no diff")
		}
	}
}

func BenchmarkDiff40kLinesAllDifferent(b *testing.B) {
	x, y := bigDiffInput(b)
	y = bytes.ReplaceAll(y, []byte("-A INPUT"), []byte("-A OUTPUT"))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if unifiedDiff("a", "b", x, y, 3) == "" {
			b.Fatal("no diff")
		}
	}
}
