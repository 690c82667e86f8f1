package translate_test

// TestPrivilegedConformance compares xt2nft with netfilter's own translation
// vectors (iptables 1.8.9's extensions/*.txlate): for every iptables /
// ip6tables vector, upstream's expected rule and ours are both loaded into
// nft in a throwaway network namespace and the rules nft lists back are
// compared. Loading both normalises syntax (nft prints a rule one way,
// whatever way it was written).
//
// Every vector that does not print identically must be listed, with a
// reason, in testdata/txlate-known-differences.txt (`FILE:LINE: reason`);
// the test fails on an unlisted difference and on a listed vector that now
// agrees. `go test ./translate -run Conformance -update-known` rewrites the
// file from the current results, keeping the reasons already written and
// marking new entries "TODO [category] detail".
//
// Each vector gets its own tables (u<N>_<table> for upstream, o<N>_<table>
// for ours), so all vectors of one side load with a single `nft -f` (split
// in halves, recursively, only when something fails to load).

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

var updateKnown = flag.Bool("update-known", false, "rewrite testdata/txlate-known-differences.txt from this run")

const knownFile = "testdata/txlate-known-differences.txt"

// corpusDir returns ../shared/corpus/SUB seen from the module root (the
// tests run in translate/), skipping the test when it is absent.
func corpusDir(t testing.TB, sub string) string {
	t.Helper()
	repoRoot := ".." // go test runs in the package directory, translate/
	dir := filepath.Join(repoRoot, "..", "shared", "corpus", sub)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("corpus directory %s not found (the shared corpus sits next to the repository); skipping", dir)
	}
	return dir
}

// Vector outcome categories.
const (
	catEqual        = "equal"
	catDifferent    = "different"
	catUntrans      = "ours untranslatable"
	catOursLoad     = "ours fails to load"
	catUpstreamLoad = "upstream fails to load"
	catNotRule      = "skipped: expected output is not a rule"
	catOutOfScope   = "out of scope (ebtables/arptables)"
)

// A txVector is one command of a .txlate file and its expected nft commands.
type txVector struct {
	file   string // base name
	line   int    // line of the command
	cmd    string // command as written
	expect []string

	inScope bool
	// results
	cat    string
	detail string
	id     int // index among loadable vectors (table prefix)
	ours   string
	theirs string
	// chains of upstream's rules: "fam table chain" (table without prefix)
	upChains []string
}

func (v *txVector) key() string { return fmt.Sprintf("%s:%d", v.file, v.line) }

// readTxlate splits a .txlate file into vectors: a command line followed by
// its `nft ...` lines; blank lines separate vectors, '#' lines are comments
// (commented-out vectors are ignored).
func readTxlate(path string) ([]*txVector, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var (
		out []*txVector
		cur *txVector
	)
	for n, line := range strings.Split(string(src), "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case line == "":
			cur = nil
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "nft "):
			if cur != nil {
				cur.expect = append(cur.expect, line)
			}
		default:
			prog := strings.Fields(line)[0]
			cur = &txVector{file: filepath.Base(path), line: n + 1, cmd: line}
			switch prog {
			case "iptables-translate", "ip6tables-translate", "iptables", "ip6tables":
				cur.inScope = true
			}
			out = append(out, cur)
		}
	}
	return out, nil
}

var (
	reRuleCmd = regexp.MustCompile(`^(add|insert) rule (\S+) (\S+) (\S+) (.*)$`)
	reSetCmd  = regexp.MustCompile(`^add (set|map) (\S+) (\S+) (\S+) (.*)$`)
	reJump    = regexp.MustCompile(`\b(?:jump|goto) ([A-Za-z_][A-Za-z0-9_.-]*)`)
	reCounter = regexp.MustCompile(`counter packets \d+ bytes \d+`)
)

// unquoteNft strips `nft '...'` to the command inside.
func unquoteNft(line string) string {
	s := strings.TrimPrefix(line, "nft ")
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		s = s[1 : len(s)-1]
	}
	return s
}

// iptables hooks of the built-in chains, to make upstream's chains base
// chains of the right type (as iptables-restore-translate would declare them).
var vectorHooks = map[string]map[string]string{
	"filter": {"INPUT": "filter hook input priority 0", "FORWARD": "filter hook forward priority 0", "OUTPUT": "filter hook output priority 0"},
	"nat": {"PREROUTING": "nat hook prerouting priority -100", "INPUT": "nat hook input priority 100",
		"OUTPUT": "nat hook output priority -100", "POSTROUTING": "nat hook postrouting priority 100"},
	"mangle": {"PREROUTING": "filter hook prerouting priority -150", "INPUT": "filter hook input priority -150",
		"FORWARD": "filter hook forward priority -150", "OUTPUT": "route hook output priority -150",
		"POSTROUTING": "filter hook postrouting priority -150"},
	"raw":      {"PREROUTING": "filter hook prerouting priority -300", "OUTPUT": "filter hook output priority -300"},
	"security": {"INPUT": "filter hook input priority 50", "FORWARD": "filter hook forward priority 50", "OUTPUT": "filter hook output priority 50"},
}

// upstreamScript builds the nft script that loads v's expected output into
// tables u<id>_<table>. ok is false when the expected output is not rules
// (then reason says what it is).
func upstreamScript(v *txVector) (script string, jumps map[string][]string, reason string) {
	var (
		b      strings.Builder
		tables = map[string]bool{}
		chains = map[string]bool{}
		body   []string
	)
	jumps = map[string][]string{} // iptables table -> user chains the vector uses (rule chain, jump targets)
	prefix := fmt.Sprintf("u%03d_", v.id)
	addTable := func(fam, tbl string) {
		if !tables[fam+" "+tbl] {
			tables[fam+" "+tbl] = true
			fmt.Fprintf(&b, "add table %s %s%s\n", fam, prefix, tbl)
		}
	}
	addChain := func(fam, tbl, ch string) {
		k := fam + " " + tbl + " " + ch
		if chains[k] {
			return
		}
		chains[k] = true
		addTable(fam, tbl)
		if h, ok := vectorHooks[tbl][ch]; ok {
			fmt.Fprintf(&b, "add chain %s %s%s %s { type %s; policy accept; }\n", fam, prefix, tbl, ch, h)
		} else {
			fmt.Fprintf(&b, "add chain %s %s%s %s\n", fam, prefix, tbl, ch)
		}
	}
	nrules := 0
	for _, e := range v.expect {
		cmd := unquoteNft(e)
		if m := reRuleCmd.FindStringSubmatch(cmd); m != nil {
			fam, tbl, ch, rest := m[2], m[3], m[4], m[5]
			addChain(fam, tbl, ch)
			v.upChains = append(v.upChains, fam+" "+tbl+" "+ch)
			declare := func(c string) {
				for _, d := range jumps[tbl] {
					if d == c {
						return
					}
				}
				jumps[tbl] = append(jumps[tbl], c)
			}
			if !parser.IsBuiltin(tbl, ch) {
				declare(ch) // vectors such as "-t nat -A postrouting" use user chains
			}
			for _, j := range reJump.FindAllStringSubmatch(rest, -1) {
				addChain(fam, tbl, j[1])
				declare(j[1])
			}
			body = append(body, fmt.Sprintf("%s rule %s %s%s %s %s\n", m[1], fam, prefix, tbl, ch, rest))
			nrules++
			continue
		}
		if m := reSetCmd.FindStringSubmatch(cmd); m != nil {
			addTable(m[2], m[3])
			body = append(body, fmt.Sprintf("add %s %s %s%s %s %s\n", m[1], m[2], prefix, m[3], m[4], m[5]))
			continue
		}
		return "", nil, "expected output is not a rule: " + cmd
	}
	if nrules == 0 {
		return "", nil, "no expected nft rule"
	}
	for _, l := range body {
		b.WriteString(l)
	}
	return b.String(), jumps, ""
}

// ourScript translates v with the library into tables o<id>_<table>.
func ourScript(v *txVector, jumps map[string][]string) (script, failure string) {
	f := strings.Fields(v.cmd)
	prog := strings.TrimSuffix(f[0], "-translate")
	cmd := prog + strings.TrimPrefix(v.cmd, f[0])
	var src strings.Builder
	// upstream's iptables-translate does not check that a chain exists;
	// the script parser does, so declare the user chains the vector uses.
	tbls := make([]string, 0, len(jumps))
	for tbl := range jumps {
		tbls = append(tbls, tbl)
	}
	sort.Strings(tbls)
	for _, tbl := range tbls {
		for _, j := range jumps[tbl] {
			fmt.Fprintf(&src, "%s -t %s -N %s\n", prog, tbl, j)
		}
	}
	src.WriteString(cmd + "\n")
	d, _, err := parser.Parse(v.file, []byte(src.String()), parser.Options{Script: true})
	if err != nil {
		var el parser.ErrorList
		if errors.As(err, &el) && len(el) > 0 {
			return "", "parse: " + el[0].Msg
		}
		return "", "parse: " + firstLine(err.Error())
	}
	res := translate.Translate(d, translate.Options{Layout: translate.LayoutIPTables})
	for _, dg := range res.Diags {
		if dg.Severity == parser.SevError {
			return "", dg.Msg
		}
	}
	for _, t := range res.Ruleset.Tables {
		t.Name = fmt.Sprintf("o%03d_%s", v.id, t.Name)
	}
	var b bytes.Buffer
	if err := translate.Render(&b, res.Ruleset); err != nil {
		return "", "render: " + err.Error()
	}
	return b.String(), ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}

// loadAndList loads every script into nft and lists the result, with as
// few `nft` runs as possible: all scripts at once in a fresh namespace, and
// only when that fails, each half in its own namespace, recursively, down to
// single scripts. A batch fails when a script does not load or when nft
// cannot list the result back (nft 1.0.6 aborts on some expressions it
// cannot print, and then cannot list anything else in the namespace either).
// errs holds, for each script that fails alone, nft's error.
func loadAndList(t *testing.T, name string, scripts []string) (lst listing, errs []string, runs int) {
	lst = listing{}
	errs = make([]string, len(scripts))
	var try func(lo, hi int)
	try = func(lo, hi int) {
		if lo >= hi {
			return
		}
		ns := nstest.New(t, name)
		defer func() {
			if err := ns.Close(); err != nil {
				t.Error(err)
			}
		}()
		// Vectors name eth0 where nft needs an existing device (dup to ...
		// device eth0); a veth pair is available where dummy is not.
		if _, stderr, err := ns.Run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"); err != nil {
			t.Logf("cannot create eth0/eth1 in %s: %v: %s", ns.Name, err, stderr)
		}
		runs++
		_, stderr, err := ns.NFT(strings.Join(scripts[lo:hi], ""))
		what := ""
		if err == nil {
			var out string
			out, stderr, err = ns.NFT("", "list", "ruleset")
			if err == nil {
				for k, v := range parseListing(out) {
					lst[k] = v
				}
				return
			}
			what = "loads but nft cannot list it back: "
		}
		if hi-lo == 1 {
			e := strings.TrimSpace(stderr)
			if i := strings.LastIndex(e, "\n"); what != "" && i >= 0 {
				e = e[i+1:] // the assertion message
			}
			if e == "" {
				e = err.Error()
			}
			errs[lo] = what + e
			return
		}
		mid := (lo + hi) / 2
		try(lo, mid)
		try(mid, hi)
	}
	try(0, len(scripts))
	return lst, errs, runs
}

// listing maps "fam table chain" to the rules nft lists in that chain
// (counter values removed). Chains without rules are present with no rules.
type listing map[string][]string

// parseListing reads `nft list ruleset` output.
func parseListing(out string) listing {
	l := listing{}
	var table, chain string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "table "):
			f := strings.Fields(line)
			table, chain = f[1]+" "+f[2], ""
		case strings.HasPrefix(line, "\tchain "):
			chain = table + " " + strings.Fields(line)[1]
			l[chain] = nil
		case line == "\t}" || line == "}":
			chain = ""
		case chain != "" && strings.HasPrefix(line, "\t\t") && !strings.HasPrefix(line, "\t\t\t"):
			r := strings.TrimSpace(line)
			if strings.HasPrefix(r, "type ") && strings.Contains(r, " hook ") || strings.HasPrefix(r, "comment \"") {
				continue
			}
			l[chain] = append(l[chain], reCounter.ReplaceAllString(r, "counter"))
		}
	}
	return l
}

// canon returns the rules of the tables with prefix p, as
// "fam table chain: rule" lines with the prefix removed, chains sorted.
func (l listing) canon(prefix string) string {
	var keys []string
	for k := range l {
		f := strings.Fields(k)
		if strings.HasPrefix(f[1], prefix) && len(l[k]) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		name := strings.Replace(k, " "+prefix, " ", 1)
		for _, r := range l[k] {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(name + ": " + r)
		}
	}
	return b.String()
}

func TestPrivilegedConformance(t *testing.T) {
	dir := corpusDir(t, "iptables-txlate-v1.8.9")
	nstest.Skip(t)
	start := time.Now()
	files, _ := filepath.Glob(filepath.Join(dir, "*.txlate"))
	if len(files) == 0 {
		t.Skipf("no .txlate files in %s", dir)
	}
	var vecs []*txVector
	for _, f := range files {
		vs, err := readTxlate(f)
		if err != nil {
			t.Fatal(err)
		}
		vecs = append(vecs, vs...)
	}

	// Build both sides' scripts.
	var (
		loadable            []*txVector
		upScripts, oScripts []string
	)
	for _, v := range vecs {
		if !v.inScope {
			v.cat = catOutOfScope
			continue
		}
		v.id = len(loadable)
		up, jumps, reason := upstreamScript(v)
		if reason != "" {
			v.cat, v.detail = catNotRule, reason
			continue
		}
		ours, failure := ourScript(v, jumps)
		if failure != "" {
			v.cat, v.detail = catUntrans, failure
		}
		loadable = append(loadable, v)
		upScripts = append(upScripts, up)
		oScripts = append(oScripts, ours) // "" for untranslatable: loads nothing
	}

	tBuild := time.Since(start)
	upList, upErrs, upRuns := loadAndList(t, "txup", upScripts)
	oList, oErrs, oRuns := loadAndList(t, "txours", oScripts)
	t.Logf("build %v, load+list %v (%d nft batches upstream, %d ours)", tBuild.Round(time.Millisecond),
		(time.Since(start) - tBuild).Round(time.Millisecond), upRuns, oRuns)

	for i, v := range loadable {
		theirs := upList.canon(fmt.Sprintf("u%03d_", v.id))
		ours := oList.canon(fmt.Sprintf("o%03d_", v.id))
		v.ours, v.theirs = ours, theirs
		switch {
		case upErrs[i] != "":
			v.cat, v.detail = catUpstreamLoad, firstLine(upErrs[i])
		case v.cat == catUntrans:
		case oErrs[i] != "":
			v.cat, v.detail = catOursLoad, firstLine(oErrs[i])
		case ours == theirs:
			v.cat = catEqual
		default:
			v.cat = catDifferent
			v.detail = fmt.Sprintf("ours %q, upstream %q", ours, theirs)
		}
	}

	// Counts, overall and per file.
	counts := map[string]int{}
	perFile := map[string][2]int{} // equal, compared
	for _, v := range vecs {
		counts[v.cat]++
		if v.cat == catOutOfScope || v.cat == catNotRule {
			continue
		}
		pf := perFile[v.file]
		pf[1]++
		if v.cat == catEqual {
			pf[0]++
		}
		perFile[v.file] = pf
	}
	multi := 0
	for _, v := range vecs {
		if v.inScope && v.cat != catNotRule && len(v.expect) > 1 {
			multi++
		}
	}
	compared := 0
	for _, c := range []string{catEqual, catDifferent, catUntrans, catOursLoad, catUpstreamLoad} {
		compared += counts[c]
	}
	var fnames []string
	for f := range perFile {
		fnames = append(fnames, f)
	}
	sort.Strings(fnames)
	var pfb strings.Builder
	for _, f := range fnames {
		fmt.Fprintf(&pfb, "\n  %-28s %3d/%d", f, perFile[f][0], perFile[f][1])
	}
	t.Logf("per file (equal/compared):%s", pfb.String())
	pct := 0.0
	if compared > 0 {
		pct = 100 * float64(counts[catEqual]) / float64(compared)
	}
	t.Logf("txlate conformance: %d vectors; %d compared: %d equal (%.1f%%), %d different, %d ours untranslatable, "+
		"%d ours fail to load, %d upstream fails to load (%d of the compared vectors expect several nft commands, "+
		"e.g. add set + add rule: the set is created, the rules compared); skipped: %d not rules, %d ebtables/arptables; %v",
		len(vecs), compared, counts[catEqual], pct, counts[catDifferent], counts[catUntrans], counts[catOursLoad],
		counts[catUpstreamLoad], multi, counts[catNotRule], counts[catOutOfScope], time.Since(start).Round(time.Millisecond))
	for _, v := range vecs {
		if v.cat == catNotRule {
			t.Logf("%s: skipped: %s", v.key(), v.detail)
		}
	}

	// Compare with the known differences.
	known, order, err := readKnown(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	catOf := map[string]string{}
	for _, v := range vecs {
		catOf[v.key()] = v.cat
	}
	var unexpected, stale []string
	nonEqual := 0
	for _, v := range vecs {
		switch v.cat {
		case catEqual, catOutOfScope, catNotRule:
		default:
			nonEqual++
			if _, ok := known[v.key()]; !ok {
				unexpected = append(unexpected, fmt.Sprintf("%s: %s: %s\n\t%s", v.key(), v.cat, v.detail, v.cmd))
			}
		}
	}
	for _, k := range order {
		switch catOf[k] {
		case catEqual:
			stale = append(stale, fmt.Sprintf("%s: listed (%s) but now equal", k, known[k]))
		case "", catOutOfScope, catNotRule:
			stale = append(stale, fmt.Sprintf("%s: listed (%s) but not a compared vector", k, known[k]))
		}
	}
	if *updateKnown {
		if err := writeKnown(knownFile, vecs, known); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s: %d entries (%d unexpected, %d stale before)", knownFile, nonEqual, len(unexpected), len(stale))
		return
	}
	for _, s := range unexpected {
		t.Errorf("unexpected difference: %s", s)
	}
	for _, s := range stale {
		t.Errorf("stale known difference: %s", s)
	}
	if len(unexpected)+len(stale) > 0 {
		t.Logf("if these changes are intended, run: go test ./translate -run Conformance -update-known (then write the reasons)")
	}
}

// readKnown reads FILE:LINE: reason lines ('#' comments, blank lines skipped).
func readKnown(path string) (map[string]string, []string, error) {
	known := map[string]string{}
	var order []string
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return known, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for n, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		// FILE:LINE: reason
		i := strings.IndexByte(line, ':')
		j := -1
		if i >= 0 {
			j = strings.IndexByte(line[i+1:], ':')
		}
		if i < 0 || j < 0 {
			return nil, nil, fmt.Errorf("%s:%d: want FILE:LINE: reason", path, n+1)
		}
		key := line[:i+1+j]
		if _, err := strconv.Atoi(line[i+1 : i+1+j]); err != nil {
			return nil, nil, fmt.Errorf("%s:%d: bad line number in %q", path, n+1, key)
		}
		if _, dup := known[key]; dup {
			return nil, nil, fmt.Errorf("%s:%d: %s listed twice", path, n+1, key)
		}
		known[key] = strings.TrimSpace(line[i+2+j:])
		order = append(order, key)
	}
	return known, order, nil
}

const knownHeader = `# Vectors of iptables 1.8.9's .txlate files where xt2nft's rule does not print
# like upstream's expected rule once both are loaded into nft (see
# conformance_privileged_test.go). One line per vector: FILE:LINE: reason.
# Regenerate with: XT2NFT_PRIVILEGED=1 go test ./translate -run Conformance -update-known
# (reasons already written are kept; new entries start with TODO).
`

// writeKnown rewrites the known-differences file from this run's results.
// Reasons written by people are kept; "TODO ..." reasons are regenerated.
func writeKnown(path string, vecs []*txVector, known map[string]string) error {
	var b strings.Builder
	b.WriteString(knownHeader)
	sorted := append([]*txVector(nil), vecs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].file != sorted[j].file {
			return sorted[i].file < sorted[j].file
		}
		return sorted[i].line < sorted[j].line
	})
	for _, v := range sorted {
		switch v.cat {
		case catEqual, catOutOfScope, catNotRule:
			continue
		}
		reason := known[v.key()]
		if reason == "" || strings.HasPrefix(reason, "TODO") {
			d := strings.ReplaceAll(v.detail, "\n", " ")
			if len(d) > 160 {
				d = d[:160] + "..."
			}
			reason = "TODO [" + v.cat + "] " + d
		}
		fmt.Fprintf(&b, "%s: %s\n", v.key(), reason)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
