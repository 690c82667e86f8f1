package parser

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
// as an ErrorList.
func Parse(name string, src []byte, opt Options) (*Dump, []Diagnostic, error) {
	p := &fileParser{name: name, opt: opt, st: newState()}
	if opt.Script {
		p.script(src)
		for _, ts := range p.st.tables {
			p.st.commit(ts, &p.errs)
		}
	} else {
		fam := opt.Family
		if fam == 0 {
			// The one copy of the file the parser works on (see lines).
			if p.text == "" {
				p.text = string(src)
			}
			v := familyOf(name, p.text)
			fam = v.fam
			v.report(&p.errs, &p.warns)
		}
		p.dump(src, fam)
	}
	if err := p.errs.Err(); err != nil {
		return nil, p.warns, err
	}
	return p.st.dump(), p.warns, nil
}

type fileParser struct {
	text  string // the file, converted once
	name  string
	opt   Options
	st    *state
	errs  ErrorList
	warns []Diagnostic
}

// lines calls fn for every line of the file, without its line end. Lines
// are substrings of one copy of the file (p.text), so words and rule texts
// taken from them allocate nothing.
func (p *fileParser) lines(src []byte, fn func(n int, line string)) {
	if p.text == "" && len(src) > 0 {
		p.text = string(src)
	}
	text := p.text
	n := 0
	for len(text) > 0 {
		n++
		i := strings.IndexByte(text, '\n')
		var l string
		if i < 0 {
			l, text = text, ""
		} else {
			l, text = text[:i], text[i+1:]
		}
		fn(n, strings.TrimSuffix(l, "\r"))
	}
}

// dump parses the iptables-save format.
func (p *fileParser) dump(src []byte, fam Family) {
	var (
		cur     *tableState
		curLine int
	)
	pre := p.prebind(src, fam)
	warned := false
	if i := bytes.Index(src, []byte("\r\n")); i >= 0 {
		n := bytes.Count(src[:i], []byte("\n")) + 1
		p.warns = append(p.warns, Diagnostic{Pos: Pos{File: p.name, Line: n}, Severity: SevWarning,
			Msg: "the file's lines end in CR LF: iptables-restore refuses it (\"unable to initialize table 'filter\\r'\"); read as if the CRs were not there"})
	}
	p.lines(src, func(n int, line string) {
		trimmed := strings.TrimLeft(line, " \t")
		col := len(line) - len(trimmed) + 1
		pos := Pos{File: p.name, Line: n, Col: col}
		switch {
		case trimmed == "" || trimmed[0] == '#':
		case trimmed[0] == '*':
			if cur != nil {
				p.errs = append(p.errs, Errorf(Pos{File: p.name, Line: curLine}, "missing COMMIT for table %q", cur.t.Name))
				p.st.commit(cur, &p.errs)
			}
			f := strings.Fields(trimmed[1:])
			if len(f) == 0 {
				p.errs = append(p.errs, Errorf(pos, "missing table name after \"*\""))
				cur = nil
				return
			}
			if _, ok := builtinChains[f[0]]; !ok {
				p.errs = append(p.errs, Errorf(pos, "unknown table %q", f[0]))
				cur = nil
				return
			}
			cur, curLine = p.st.reset(fam, f[0], pos), n
		case strings.HasPrefix(trimmed, "COMMIT") && strings.TrimSpace(trimmed) == "COMMIT":
			// iptables-restore ends a table only at a line that is exactly
			// "COMMIT\n"; anything else is a rule line it refuses.
			if line != "COMMIT" || (n == bytes.Count(src, []byte("\n"))+1 && !warned) {
				warned = true
				p.warns = append(p.warns, Diagnostic{Pos: pos, Severity: SevWarning,
					Msg: "iptables-restore takes only a line of exactly \"COMMIT\" and its newline (here it would say \"Bad argument `COMMIT'\"); read as COMMIT"})
			}
			if cur == nil {
				p.errs = append(p.errs, Errorf(pos, "COMMIT without a table"))
				return
			}
			p.st.commit(cur, &p.errs)
			cur = nil
		case trimmed[0] == ':':
			if cur == nil {
				p.errs = append(p.errs, Errorf(pos, "chain declaration outside of a table (missing *table line)"))
				return
			}
			p.chainDecl(cur, trimmed[1:], pos)
		default:
			if cur == nil {
				p.errs = append(p.errs, Errorf(pos, "rule outside of a table (missing *table line)"))
				return
			}
			r := pre[n-1]
			p.warns = append(p.warns, r.warns...)
			p.errs = append(p.errs, r.errs...)
			cmd := r.cmd
			if cmd != nil {
				p.st.apply(cur, cmd, line, &p.errs, &p.warns)
			}
		}
	})
	if cur != nil {
		p.errs = append(p.errs, Errorf(Pos{File: p.name, Line: curLine}, "missing COMMIT for table %q", cur.t.Name))
		p.st.commit(cur, &p.errs)
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

// bindLine tokenizes, parses and binds one line of a dump. It touches no
// shared state (the shape cache is concurrency-safe), so lines can be bound
// in parallel.
func bindLine(name string, n int, line string, fam Family, script bool) (r bound) {
	if len(line) > maxRestoreLine {
		r.errs = append(r.errs, Errorf(Pos{File: name, Line: n, Col: maxRestoreLine + 1},
			"line is %d bytes long: iptables-restore reads at most %d bytes of a line (fgets into a %d-byte buffer) and would read the rest as another line",
			len(line), maxRestoreLine, maxRestoreLine+1))
		return r
	}
	toks, open := splitRestore(line, make([]Token, 0, 16))
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
	return bindTokens(name, n, text, toks, open, fam, script)
}

// bindTokens parses and binds the words of one command; text is the rule as
// written, for comments and reports (for a script line, without the program
// name).
func bindTokens(name string, n int, text string, toks []Token, open bool, fam Family, script bool) (r bound) {
	b := &binder{file: name, line: n, fam: fam, script: script, toks: toks}
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

// prebind binds every command line of a dump, in parallel: binding is
// most of the parsing time and each line is independent. Results are
// indexed by line number - 1 and applied in order afterwards.
func (p *fileParser) prebind(src []byte, fam Family) []bound {
	var lines []string
	p.lines(src, func(n int, line string) { lines = append(lines, line) })
	out := make([]bound, len(lines))
	workers := runtime.GOMAXPROCS(0)
	if len(lines) < 2000 || workers < 2 {
		workers = 1
	}
	var wg sync.WaitGroup
	chunk := (len(lines) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(lines))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if isRuleLine(lines[i]) {
					out[i] = bindLine(p.name, i+1, lines[i], fam, false)
				}
			}
		}()
	}
	wg.Wait()
	return out
}
