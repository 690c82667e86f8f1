package parser

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// Options control parsing.
type Options struct {
	// Family forces the family of dumps; 0 detects it from the content
	// (an ip6tables-save header, IPv6 addresses) and the name (*.v6).
	Family Family
	// Script parses iptables command lines (shell scripts) instead of an
	// iptables-save dump.
	Script bool
}

// builtinChains lists each table's built-in chains in hook order.
var builtinChains = map[string][]string{
	"filter":   {"INPUT", "FORWARD", "OUTPUT"},
	"nat":      {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	"mangle":   {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	"raw":      {"PREROUTING", "OUTPUT"},
	"security": {"INPUT", "FORWARD", "OUTPUT"},
}

// IsBuiltin reports whether chain is a built-in chain of table.
func IsBuiltin(table, chain string) bool {
	for _, c := range builtinChains[table] {
		if c == chain {
			return true
		}
	}
	return false
}

// Result is what parsing produced: the dump, warnings, and errors.
type Result struct {
	Dump     *Dump
	Warnings []Diagnostic
}

// Parse reads one iptables-save dump (or, with opt.Script, an iptables
// command script) called name. It returns every error of the input at once
// as an ErrorList. The strings of the dump (names, words, rule texts) are
// views of src, not copies: src must not be changed once it is parsed.
func Parse(name string, src []byte, opt Options) (*Dump, []Diagnostic, error) {
	return parse(name, src, opt, nil)
}

// A Sink receives the rules of a parse one by one (ParseStream).
type Sink interface {
	// Table is called once for every table of the dump, in the dump's
	// order, when its chains are final: before its first rule.
	Table(t *Table)
	// Rule is called for every rule of t, in the order of its chains and,
	// within a chain, in the chain's order. The rule is the sink's: the
	// parser keeps no reference to it.
	Rule(t *Table, c *Chain, r *Rule)
}

// ParseStream is Parse handing every rule to sink instead of keeping it:
// the tables and chains of the Dump it returns have no rules. When the
// input is an iptables-save dump whose rules are final as soon as they are
// read (Streamable), each rule goes to the sink as soon as it is bound, so
// that the parse trees of a big dump never exist all at once; otherwise
// the rules are handed over after the whole input is read. Either way the
// sink sees the same calls in the same order, and it sees a rule of a
// file with errors only in the first case (the errors are returned all
// the same).
func ParseStream(name string, src []byte, opt Options, sink Sink) (*Dump, []Diagnostic, error) {
	return parse(name, src, opt, sink)
}

// view is the string of b's bytes, without a copy: lines and words of a
// dump are substrings of it, so a big file is never copied (a copy of a
// 100,000-rule dump is 7 MB that stays live as long as any word of it).
// b must not change afterwards (Parse says so to its callers).
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func parse(name string, src []byte, opt Options, sink Sink) (*Dump, []Diagnostic, error) {
	p := &fileParser{name: name, opt: opt, st: newState()}
	if opt.Script {
		p.script(src)
		for _, ts := range p.st.tables {
			p.st.commit(ts, &p.errs)
		}
	} else {
		fam := opt.Family
		if fam == 0 {
			v := familyOf(name, src)
			fam = v.fam
			v.report(&p.errs, &p.warns)
		}
		if sink != nil && Streamable(src, opt) {
			p.st.sink = sink
		}
		p.dump(src, fam)
	}
	if err := p.errs.Err(); err != nil {
		return nil, p.warns, err
	}
	d := p.st.dump()
	if sink != nil && p.st.sink == nil {
		for _, t := range d.Tables {
			sink.Table(t)
			for _, c := range t.Chains {
				for i, r := range c.Rules {
					c.Rules[i] = nil
					sink.Rule(t, c, r)
				}
				c.Rules = nil
			}
		}
	}
	return d, p.warns, nil
}

type fileParser struct {
	name  string
	opt   Options
	st    *state
	errs  ErrorList
	warns []Diagnostic

	// The state of a dump between lines.
	fam      Family
	cur      *tableState // the table being read; nil outside of one
	curLine  int         // the line of its "*table"
	lastLine int         // the number of the line after the last newline
	warned   bool        // the COMMIT warning was given
	// bindTable is the table the lines bound so far end in (tableOf).
	bindTable string
}

// chunkSize is how much of a dump the parser binds at a time. Streaming,
// two chunks' parse trees exist at a time (one bound while the other is
// applied).
const chunkSize = 64 << 10

// chunkEnd returns where the chunk of src that starts at lo ends: after
// the newline that ends the line at chunkSize (or at the end of src).
func chunkEnd(src []byte, lo int) int {
	hi := lo + chunkSize
	if hi >= len(src) {
		return len(src)
	}
	if i := bytes.IndexByte(src[hi:], '\n'); i >= 0 {
		return hi + i + 1
	}
	return len(src)
}

// chunkLines appends the lines of text, without their line ends, to lines.
func chunkLines(text string, lines []string) []string {
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		var l string
		if i < 0 {
			l, text = text, ""
		} else {
			l, text = text[:i], text[i+1:]
		}
		lines = append(lines, strings.TrimSuffix(l, "\r"))
	}
	return lines
}

// forLines calls fn for every line of src (1-based number, the line
// without its line end), a chunk at a time.
func forLines(src []byte, fn func(n int, line string)) { forLinesFrom(src, 1, fn) }

// forLinesFrom is forLines numbering the lines from first.
func forLinesFrom(src []byte, first int, fn func(n int, line string)) {
	var lines []string
	n := first - 1
	for lo := 0; lo < len(src); {
		hi := chunkEnd(src, lo)
		lines = chunkLines(view(src[lo:hi]), lines[:0])
		for _, l := range lines {
			n++
			fn(n, l)
		}
		lo = hi
	}
}

// dump parses the iptables-save format, a chunk of lines at a time: the
// command lines of a chunk are bound in parallel (binding is most of the
// parsing time and each line is independent) while the previous chunk's
// lines are applied in order.
func (p *fileParser) dump(src []byte, fam Family) {
	p.fam = fam
	p.lastLine = bytes.Count(src, []byte("\n")) + 1
	if i := bytes.Index(src, []byte("\r\n")); i >= 0 {
		n := bytes.Count(src[:i], []byte("\n")) + 1
		p.warns = append(p.warns, Diagnostic{Pos: Pos{File: p.name, Line: n}, Severity: SevWarning,
			Msg: "the file's lines end in CR LF: iptables-restore refuses it (\"unable to initialize table 'filter\\r'\"); read as if the CRs were not there"})
	}
	var next, spare *chunk
	if len(src) > 0 {
		next = p.bindChunk(src, 0, 1, nil)
	}
	for next != nil {
		c := next
		c.wg.Wait()
		next = nil
		if c.hi < len(src) {
			next = p.bindChunk(src, c.hi, c.first+len(c.lines), spare)
		}
		for i, line := range c.lines {
			p.line(c.first+i, line, &c.bound[i])
			c.bound[i] = bound{}
		}
		spare = nil
		if p.st.sink != nil {
			c.done()
			spare = c
		}
	}
	if p.cur != nil {
		p.errs = append(p.errs, Errorf(Pos{File: p.name, Line: p.curLine}, "missing COMMIT for table %q", p.cur.t.Name))
		p.st.commit(p.cur, &p.errs)
	}
}

// line applies one line of a dump; r is the line bound (a command line).
func (p *fileParser) line(n int, line string, r *bound) {
	trimmed := strings.TrimLeft(line, " \t")
	col := len(line) - len(trimmed) + 1
	pos := Pos{File: p.name, Line: n, Col: col}
	switch {
	case trimmed == "" || trimmed[0] == '#':
	case trimmed[0] == '*':
		if p.cur != nil {
			p.errs = append(p.errs, Errorf(Pos{File: p.name, Line: p.curLine}, "missing COMMIT for table %q", p.cur.t.Name))
			p.st.commit(p.cur, &p.errs)
		}
		f := strings.Fields(trimmed[1:])
		if len(f) == 0 {
			p.errs = append(p.errs, Errorf(pos, "missing table name after \"*\""))
			p.cur = nil
			return
		}
		if _, ok := builtinChains[f[0]]; !ok {
			p.errs = append(p.errs, Errorf(pos, "unknown table %q", f[0]))
			p.cur = nil
			return
		}
		p.cur, p.curLine = p.st.reset(p.fam, f[0], pos), n
	case strings.HasPrefix(trimmed, "COMMIT") && strings.TrimSpace(trimmed) == "COMMIT":
		// iptables-restore ends a table only at a line that is exactly
		// "COMMIT\n"; anything else is a rule line it refuses.
		if line != "COMMIT" || (n == p.lastLine && !p.warned) {
			p.warned = true
			p.warns = append(p.warns, Diagnostic{Pos: pos, Severity: SevWarning,
				Msg: "iptables-restore takes only a line of exactly \"COMMIT\" and its newline (here it would say \"Bad argument `COMMIT'\"); read as COMMIT"})
		}
		if p.cur == nil {
			p.errs = append(p.errs, Errorf(pos, "COMMIT without a table"))
			return
		}
		p.st.commit(p.cur, &p.errs)
		p.cur = nil
	case trimmed[0] == ':':
		if p.cur == nil {
			p.errs = append(p.errs, Errorf(pos, "chain declaration outside of a table (missing *table line)"))
			return
		}
		p.chainDecl(p.cur, trimmed[1:], pos)
	default:
		if p.cur == nil {
			p.errs = append(p.errs, Errorf(pos, "rule outside of a table (missing *table line)"))
			return
		}
		p.warns = append(p.warns, r.warns...)
		p.errs = append(p.errs, r.errs...)
		if r.cmd != nil {
			p.st.apply(p.cur, r.cmd, line, &p.errs, &p.warns)
		}
	}
}

// Streamable reports whether src is an iptables-save dump whose rules are
// final as soon as they are read, and read in the order of the dump, so
// that ParseStream can hand each one over at once: every table appears
// once, its chains are all declared before its first rule, and its rule
// lines are "-A CHAIN ..." (after an optional [packets:bytes]) for chains
// declared above, chain after chain in the order they are declared.
// iptables-save writes such dumps; a dump that inserts, deletes, flushes,
// renames, restores a table twice or goes back to an earlier chain is not
// one.
func Streamable(src []byte, opt Options) bool {
	if opt.Script {
		return false
	}
	tables := map[string]bool{}
	chains := map[string]int{} // declaration order, from 1
	last := 0                  // the chain of the last rule
	inTable, ruled := false, false
	ok := true
	forEachLine(src, func(line []byte) bool {
		t := bytes.TrimLeft(line, " \t\r")
		if len(t) == 0 || t[0] == '#' {
			return true
		}
		switch t[0] {
		case '*':
			f := bytes.Fields(t[1:])
			if len(f) == 0 || tables[string(f[0])] {
				ok = false
				return false
			}
			tables[string(f[0])] = true
			clear(chains)
			inTable, ruled, last = true, false, 0
			return true
		case ':':
			f := bytes.Fields(t[1:])
			if ruled || len(f) == 0 {
				ok = false
				return false
			}
			if chains[string(f[0])] == 0 {
				chains[string(f[0])] = len(chains) + 1
			}
			return true
		}
		if string(bytes.TrimSpace(t)) == "COMMIT" {
			inTable = false
			return true
		}
		f := t
		if f[0] == '[' {
			i := bytes.IndexAny(f, " \t")
			if i < 0 {
				ok = false
				return false
			}
			f = bytes.TrimLeft(f[i:], " \t")
		}
		rest, isAppend := bytes.CutPrefix(f, []byte("-A"))
		if !inTable || !isAppend || len(rest) == 0 || (rest[0] != ' ' && rest[0] != '\t') {
			ok = false
			return false
		}
		rest = bytes.TrimLeft(rest, " \t")
		end := bytes.IndexAny(rest, " \t\r")
		if end < 0 {
			end = len(rest)
		}
		i := chains[string(rest[:end])]
		if i == 0 || i < last {
			ok = false
			return false
		}
		ruled, last = true, i
		return true
	})
	return ok
}

// forEachLine calls fn for every line of src (without its newline) until
// fn returns false.
func forEachLine(src []byte, fn func(line []byte) bool) {
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		if !fn(line) {
			return
		}
	}
}

func (p *fileParser) chainDecl(ts *tableState, rest string, pos Pos) {
	f := strings.Fields(rest)
	if len(f) == 0 {
		p.errs = append(p.errs, Errorf(pos, "missing chain name after \":\""))
		return
	}
	name := f[0]
	policy := "-"
	if len(f) > 1 {
		policy = f[1]
	}
	var ctr *Counters
	if len(f) > 2 && isCounter(f[2]) {
		ctr = parseCounter(f[2])
	}
	if IsBuiltin(ts.t.Name, name) {
		c := ts.chain(name, true)
		c.Pos = pos
		c.Counters = ctr
		switch policy {
		case "ACCEPT", "DROP", "-":
			if policy != "-" {
				c.Policy = policy
			}
		default:
			p.errs = append(p.errs, Errorf(pos, "bad policy %q for chain %q (expected ACCEPT or DROP)", policy, name))
		}
		return
	}
	if policy != "-" {
		p.errs = append(p.errs, Errorf(pos, "cannot set policy %q on user-defined chain %q", policy, name))
		return
	}
	if ts.t.Chain(name) != nil {
		p.errs = append(p.errs, Errorf(pos, "chain %q already exists", name))
		return
	}
	if len(name) > 28 {
		p.errs = append(p.errs, Errorf(pos, "chain name %q is longer than 28 characters", name))
		return
	}
	ts.t.addChain(&Chain{Name: name, Pos: pos})
}

// bound is the result of binding one line.
type bound struct {
	cmd   *command
	errs  ErrorList
	warns []Diagnostic
}

// bindLine tokenizes, parses and binds one line of a dump into toks (a
// buffer its caller reuses: nothing bound refers to it). It touches no
// shared state (the shape cache is concurrency-safe), so lines can be bound
// in parallel.
func bindLine(name string, n int, line string, fam Family, toks []Token, a *arena) (r bound) {
	if len(line) > maxRestoreLine {
		r.errs = append(r.errs, Errorf(Pos{File: name, Line: n, Col: maxRestoreLine + 1},
			"line is %d bytes long: iptables-restore reads at most %d bytes of a line (fgets into a %d-byte buffer) and would read the rest as another line",
			len(line), maxRestoreLine, maxRestoreLine+1))
		return r
	}
	toks, open := splitRestore(line, toks)
	if len(toks) > 0 && toks[0].Kind == TokWord && isCounter(toks[0].Value) {
		toks[0].Kind = TokCounter
	}
	if err := restoreLimits(name, n, toks); err != nil {
		r.errs = append(r.errs, err)
		return r
	}
	// The rule's text as written (for comments and reports).
	text := ""
	if len(toks) > 0 {
		text = strings.TrimSpace(line[toks[0].Col-1:])
	}
	return bindTokens(name, n, text, toks, open, fam, false, a)
}

// bindTokens parses and binds the words of one command; text is the rule as
// written, for comments and reports (for a script line, without the program
// name).
func bindTokens(name string, n int, text string, toks []Token, open bool, fam Family, script bool, a *arena) (r bound) {
	b := &binder{file: name, line: n, fam: fam, script: script, toks: toks, arena: a}
	if open {
		b.warnf(len(toks)-1, "unterminated quote")
	}
	sh, err := parseShape(name, n, toks)
	if err != nil {
		r.errs = append(r.errs, shapeError(name, n, toks, err))
		return r
	}
	cmd := b.bind(sh)
	r.warns = b.warns
	if len(b.errs) > 0 {
		r.errs = b.errs
		return r
	}
	cmd.rule.Text = text
	r.cmd = cmd
	return r
}

// iptables-restore's limits (iptables 1.8.9, iptables/iptables-restore.c
// and xshared.c): a line is read with fgets into char buffer[10240]; its
// words go into an argv of MAX_ARGC (255) entries, of which the program
// name, "-t" and the table take three, and add_argv refuses an entry when
// argc+1 reaches MAX_ARGC; each word is collected in a 1024-byte buffer
// that add_param refuses to fill.
const (
	maxRestoreLine  = 10239
	maxRestoreWords = 251
	maxRestoreWord  = 1023
)

// The kernel's limits on a command line (execve): one argument of at most
// MAX_ARG_STRLEN (32 pages, 131,072 bytes with its NUL), and all of them
// within ARG_MAX (2 MiB with the usual 8 MiB stack).
const (
	maxArgStrlen = 131072 - 1
	maxArgTotal  = 2 << 20
)

// restoreLimits refuses a dump line that iptables-restore cannot read,
// with its message, at the first word past the limit.
func restoreLimits(file string, n int, toks []Token) *Error {
	words := toks
	if len(words) > 0 && words[0].Kind == TokCounter {
		words = words[1:] // tokenize_rule_counters strips the [p:b] prefix
	}
	if len(words) > maxRestoreWords {
		return Errorf(Pos{File: file, Line: n, Col: words[maxRestoreWords].Col},
			"rule has %d words: iptables-restore takes at most %d (\"Parser cannot handle more arguments\")", len(words), maxRestoreWords)
	}
	for _, t := range words {
		if len(t.Value) > maxRestoreWord {
			return Errorf(Pos{File: file, Line: n, Col: t.Col},
				"word of %d bytes: iptables-restore takes at most %d bytes a word (\"Parameter too long!\")", len(t.Value), maxRestoreWord)
		}
	}
	return nil
}

// scriptLimits refuses a script command line the kernel would not run:
// execve counts each argument with its NUL and a pointer (fs/exec.c
// bprm_stack_limits), before the environment is even added.
func scriptLimits(file string, n int, prog string, toks []Token) *Error {
	total := len(prog) + 1 + 8 // the program name, its NUL and pointer
	for _, t := range toks {
		if len(t.Value) > maxArgStrlen {
			return Errorf(Pos{File: file, Line: n, Col: t.Col},
				"argument of %d bytes: the kernel takes at most %d bytes an argument (MAX_ARG_STRLEN; execve fails with E2BIG, \"Argument list too long\")", len(t.Value), maxArgStrlen)
		}
		total += len(t.Value) + 1 + 8
		if total > maxArgTotal {
			return Errorf(Pos{File: file, Line: n, Col: t.Col},
				"command line too long: its arguments take more than %d bytes with their pointers, the kernel's ARG_MAX (execve fails with E2BIG, \"Argument list too long\")", maxArgTotal)
		}
	}
	return nil
}

func shapeError(file string, n int, toks []Token, err error) *Error {
	msg := err.Error()
	col := 1
	if pe, ok := err.(interface{ Message() string }); ok {
		msg = pe.Message()
	}
	// participle reports the offending token; map its column back.
	for _, t := range toks {
		if strings.Contains(msg, strconv.Quote(t.Value)) {
			col = t.Col
			break
		}
	}
	if len(toks) > 0 && (toks[0].Kind == TokWord || toks[0].Kind == TokQWord) {
		return Errorf(Pos{File: file, Line: n, Col: toks[0].Col}, "unexpected word %q (expected an option such as -A)", toks[0].Value)
	}
	return Errorf(Pos{File: file, Line: n, Col: col}, "%s", strings.ReplaceAll(msg, "\"", "'"))
}

// isRuleLine reports whether a dump line is a command line (not a comment,
// table, chain or COMMIT line).
func isRuleLine(line string) bool {
	t := strings.TrimLeft(line, " \t")
	if t == "" {
		return false
	}
	switch t[0] {
	case '#', '*', ':':
		return false
	}
	return strings.TrimSpace(t) != "COMMIT"
}

// chunk is a chunk of a dump's lines, bound in the background.
type chunk struct {
	hi     int // where it ends in the file
	first  int // the number of its first line
	lines  []string
	bound  []bound  // by line, for command lines
	arenas []*arena // where the workers bound them (streaming only)
	wg     sync.WaitGroup
}

// bindChunk starts binding the command lines of the chunk of src that
// starts at lo (line first), in parallel. old, when not nil, is a chunk
// done with, whose memory is reused.
func (p *fileParser) bindChunk(src []byte, lo, first int, old *chunk) *chunk {
	c := &chunk{}
	if old != nil {
		c.lines, c.bound, c.arenas = old.lines[:0], old.bound[:0], old.arenas
	}
	c.hi, c.first = chunkEnd(src, lo), first
	c.lines = chunkLines(view(src[lo:c.hi]), c.lines)
	c.bound = append(c.bound, make([]bound, len(c.lines))...)
	workers := runtime.GOMAXPROCS(0)
	if len(c.lines) < 2000 || workers < 2 {
		workers = 1
	}
	per := (len(c.lines) + workers - 1) / workers
	// The table each worker starts in (the rules' kernel restrictions
	// depend on it), and the one the chunk ends in.
	starts := make([]string, workers)
	tbl, i := p.bindTable, 0
	for w := range starts {
		for ; i < min(w*per, len(c.lines)); i++ {
			tbl = tableOf(c.lines[i], tbl)
		}
		starts[w] = tbl
	}
	for ; i < len(c.lines); i++ {
		tbl = tableOf(c.lines[i], tbl)
	}
	p.bindTable = tbl
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(c.lines))
		if lo >= hi {
			break
		}
		table := starts[w]
		var a *arena
		if p.st.sink != nil {
			if w == len(c.arenas) {
				c.arenas = append(c.arenas, &arena{})
			}
			a = c.arenas[w]
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			toks := make([]Token, 0, 64)
			for i := lo; i < hi; i++ {
				line := c.lines[i]
				if !isRuleLine(line) {
					table = tableOf(line, table)
					continue
				}
				c.bound[i] = bindLine(p.name, first+i, line, p.fam, toks[:0], a)
				if cmd := c.bound[i].cmd; cmd != nil && cmd.op == "append" && cmd.rule != nil && table != "" && p.st.sink != nil {
					// The COMMIT checks of a streamed rule, here rather
					// than where the lines are applied in order.
					cmd.steps = kernelSteps(p.fam, table, cmd.rule)
					cmd.stepsFor, cmd.stepsFam, cmd.stepsDone = table, p.fam, true
				}
			}
		}()
	}
	return c
}

// tableOf returns the table a dump line starts ("*filter": filter, ""
// for a table iptables-restore does not know), or cur for any other line.
func tableOf(line string, cur string) string {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i == len(line) || line[i] != '*' {
		return cur
	}
	f := strings.Fields(line[i+1:])
	if len(f) == 0 {
		return ""
	}
	if _, ok := builtinChains[f[0]]; !ok {
		return ""
	}
	return f[0]
}

// done clears a chunk whose lines are applied, for bindChunk to reuse:
// with a sink, nothing refers to its trees any more.
func (c *chunk) done() {
	clear(c.lines)
	clear(c.bound)
	for _, a := range c.arenas {
		a.reset()
	}
}
