package parser

import (
	"sort"
	"strings"
)

// This file reads shell scripts statically: it evaluates nothing, but finds
// every simple command a script may run, the words it was written with, and
// the construct around it (if, loop, case, function, subshell, command
// substitution, &&/|| list, pipeline, background). Script mode uses it to
// translate plain iptables command lines and to refuse every other way a
// script can run iptables (script.go). It knows POSIX sh and the bash
// additions firewall scripts use ([[ ]], (( )), $'..', <(..), function).

// shWord is one shell word.
type shWord struct {
	Pos Pos
	// Lit is the word after quote removal. It is what the command receives
	// only when Static is set.
	Lit string
	// Static: no expansion (parameter, command substitution, arithmetic,
	// tilde, glob, brace) can change the word.
	Static bool
	Quoted bool
	// Glob: an unquoted * or ?, which the shell replaces by matching file
	// names, if any.
	Glob bool
	// substs are the command substitutions inside the word ($(..), `..`,
	// <(..), >(..)), as byte ranges of the source.
	substs     []shSpan
	start, end int // byte range in the source
}

// shSpan is a byte range of the source.
type shSpan struct{ start, end int }

// shRedir is a redirection; heredoc bodies are kept as byte ranges.
type shRedir struct {
	Op     string // <, >, >>, >|, <>, <&, >&, &>, &>>, <<, <<-, <<<
	Target shWord // file, fd, here-string, or the heredoc delimiter
	// body is a heredoc's text; bodyStatic is set when the delimiter was
	// quoted (the body is not expanded).
	body       shSpan
	bodyStatic bool
}

// shCtx is a construct enclosing commands.
type shCtx struct {
	Kind string // if, for, while, until, select, case, function, subshell, group, substitution, here-document
	Name string // the function's name
	Pos  Pos
	Up   *shCtx
	// closes is the function whose body this construct is.
	closes *shCtx
	opened bool // a function's body has started
}

// describe says where a command is, for messages: "inside an if (line 3)".
func (c *shCtx) describe() string {
	if c.closes != nil {
		c = c.closes // the body of a function
	}
	switch c.Kind {
	case "function":
		return sprintf("in function %s (line %d)", c.Name, c.Pos.Line)
	case "if":
		return sprintf("inside an if (line %d)", c.Pos.Line)
	case "for", "while", "until", "select":
		return sprintf("in a %s loop (line %d)", c.Kind, c.Pos.Line)
	case "case":
		return sprintf("inside a case (line %d)", c.Pos.Line)
	case "subshell":
		return sprintf("in a ( ) subshell (line %d)", c.Pos.Line)
	case "group":
		return sprintf("in a { } group (line %d)", c.Pos.Line)
	case "here-document":
		return sprintf("in a here-document run as a script (line %d)", c.Pos.Line)
	}
	return sprintf("in a command substitution (line %d)", c.Pos.Line)
}

// shCmd is one simple command.
type shCmd struct {
	Pos     Pos
	Assigns []shWord // leading NAME=value words
	Words   []shWord
	Redirs  []shRedir
	Ctx     *shCtx // innermost enclosing construct; nil at the top level
	// List is the operator joining the command to others ("&&", "||",
	// "|", "&", "!"); empty for a command that runs on its own.
	List  string
	Arith bool // a (( )) or [[ ]] command
	start int
	end   int
}

// shScript is what the static reader found in a script.
type shScript struct {
	src   string
	file  string
	lines []int // byte offset of each line start
	Cmds  []*shCmd
	// Assigns are the commands that only assign variables (A=1).
	Assigns []*shCmd
	Funcs   map[string]*shCtx
	Errs    []*Error
	// TrailingBackslash is the position of a "\" that continues the last
	// line into the end of the file (bash drops it, dash keeps it).
	TrailingBackslash *Pos
	errAt             map[int]bool
}

// readShell reads a whole script.
func readShell(file, src string) *shScript {
	s := &shScript{src: src, file: file, lines: []int{0}, Funcs: map[string]*shCtx{}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	s.parse(0, len(src), nil)
	sort.SliceStable(s.Cmds, func(i, j int) bool { return s.Cmds[i].start < s.Cmds[j].start })
	return s
}

// pos converts a byte offset into a position (columns count bytes).
func (s *shScript) pos(off int) Pos {
	n := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return Pos{File: s.file, Line: n + 1, Col: off - s.lines[n] + 1}
}

// text is the source of a byte range with line continuations joined.
func (s *shScript) text(start, end int) string {
	t := strings.ReplaceAll(s.src[start:end], "\\\r\n", "\\\n")
	for strings.Contains(t, "\\\n") {
		i := strings.Index(t, "\\\n")
		j := i + 2
		for j < len(t) && (t[j] == ' ' || t[j] == '\t') {
			j++
		}
		t = strings.TrimRight(t[:i], " \t") + " " + t[j:]
	}
	return strings.TrimSpace(strings.ReplaceAll(t, "\r", ""))
}

// errorf records a syntax error, once per offset: nested substitutions
// are read again from inside, and would repeat their errors.
func (s *shScript) errorf(off int, format string, a ...any) {
	if s.errAt[off] {
		return
	}
	if s.errAt == nil {
		s.errAt = map[int]bool{}
	}
	s.errAt[off] = true
	s.Errs = append(s.Errs, Errorf(s.pos(off), format, a...))
}

// maxNesting bounds how deep command substitutions are read (each level
// reads its text again).
const maxNesting = 32

// token kinds of the lexer.
const (
	tkEOF = iota
	tkWord
	tkOp    // ; & && || | |& ( ) ;; ;& ;;& and newline ("\n")
	tkRedir // with its target read
	tkArith // (( ... ))
)

type shToken struct {
	kind  int
	op    string
	word  shWord
	redir *shRedir
	start int
}

// shLexer splits a byte range of the source into tokens.
type shLexer struct {
	s        *shScript
	i, end   int
	pending  []*shRedir // heredocs whose bodies start at the next newline
	cmdStart bool       // the next word is in command position
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func isMeta(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ';', '&', '|', '<', '>', '(', ')':
		return true
	}
	return false
}

func (lx *shLexer) next() shToken {
	src := lx.s.src
	for {
		for lx.i < lx.end && isBlank(src[lx.i]) {
			lx.i++
		}
		if lx.i+1 < lx.end && src[lx.i] == '\\' {
			if n := continuation(src[lx.i+1 : lx.end]); n > 0 {
				lx.i += 1 + n
				lx.checkTrailing(lx.i - 1 - n)
				continue
			}
		}
		break
	}
	if lx.i >= lx.end {
		return shToken{kind: tkEOF, start: lx.i}
	}
	start := lx.i
	c := src[lx.i]
	if c == '#' {
		for lx.i < lx.end && src[lx.i] != '\n' {
			lx.i++
		}
		return lx.next()
	}
	if c == '\n' {
		lx.i++
		lx.heredocs()
		lx.cmdStart = true
		return shToken{kind: tkOp, op: "\n", start: start}
	}
	if c == '(' && lx.cmdStart && lx.i+1 < lx.end && src[lx.i+1] == '(' {
		end := lx.matchParens(lx.i+2, 2)
		lx.i = end
		lx.cmdStart = false
		return shToken{kind: tkArith, start: start, word: shWord{start: start, end: end, Pos: lx.s.pos(start)}}
	}
	// An fd number right before a redirection belongs to it.
	if c >= '0' && c <= '9' {
		j := lx.i
		for j < lx.end && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		if j < lx.end && (src[j] == '<' || src[j] == '>') {
			lx.i = j
			return lx.redirect(start)
		}
	}
	if c == '<' || c == '>' {
		if lx.i+1 < lx.end && src[lx.i+1] == '(' {
			return lx.word(start) // process substitution
		}
		return lx.redirect(start)
	}
	if c == '&' && lx.i+1 < lx.end && src[lx.i+1] == '>' {
		return lx.redirect(start)
	}
	for _, op := range []string{";;&", ";;", ";&", "&&", "||", "|&", ";", "&", "|", "(", ")"} {
		if strings.HasPrefix(src[lx.i:lx.end], op) {
			lx.i += len(op)
			lx.cmdStart = op != ")"
			return shToken{kind: tkOp, op: op, start: start}
		}
	}
	return lx.word(start)
}

// continuation returns the length of the line end after a backslash
// ("\n", or "\r\n" in a file with CRLF line ends), or 0.
func continuation(rest string) int {
	switch {
	case strings.HasPrefix(rest, "\n"):
		return 1
	case strings.HasPrefix(rest, "\r\n"):
		return 2
	}
	return 0
}

// checkTrailing records a line continuation into the end of the file.
func (lx *shLexer) checkTrailing(at int) {
	if lx.end != len(lx.s.src) || lx.s.TrailingBackslash != nil {
		return
	}
	j := lx.i
	for j < lx.end && (isBlank(lx.s.src[j]) || lx.s.src[j] == '\n') {
		j++
	}
	if j == lx.end {
		p := lx.s.pos(at)
		lx.s.TrailingBackslash = &p
	}
}

func (lx *shLexer) redirect(start int) shToken {
	src := lx.s.src
	ops := []string{"&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">"}
	var op string
	for _, o := range ops {
		if strings.HasPrefix(src[lx.i:lx.end], o) {
			op = o
			break
		}
	}
	lx.i += len(op)
	for lx.i < lx.end && isBlank(src[lx.i]) {
		lx.i++
	}
	r := &shRedir{Op: op}
	if lx.i >= lx.end || (isMeta(src[lx.i]) && src[lx.i] != '<' && src[lx.i] != '>') {
		lx.s.errorf(start, "syntax error: redirection %s without a target", op)
		return shToken{kind: tkRedir, redir: r, start: start}
	}
	save := lx.cmdStart
	r.Target = lx.word(lx.i).word
	lx.cmdStart = save
	if op == "<<" || op == "<<-" {
		r.bodyStatic = r.Target.Quoted
		lx.pending = append(lx.pending, r)
	}
	return shToken{kind: tkRedir, redir: r, start: start}
}

// heredocs reads the bodies of the heredocs opened on the line just ended.
func (lx *shLexer) heredocs() {
	src := lx.s.src
	for _, r := range lx.pending {
		delim := r.Target.Lit
		r.body.start = lx.i
		for {
			if lx.i >= lx.end {
				lx.s.errorf(r.Target.start, "here-document delimited by %q is not closed", delim)
				r.body.end = lx.end
				break
			}
			j := strings.IndexByte(src[lx.i:lx.end], '\n')
			var line string
			next := lx.end
			if j >= 0 {
				line, next = src[lx.i:lx.i+j], lx.i+j+1
			} else {
				line = src[lx.i:lx.end]
			}
			line = strings.TrimSuffix(line, "\r")
			if r.Op == "<<-" {
				line = strings.TrimLeft(line, "\t")
			}
			if line == delim {
				r.body.end = lx.i
				lx.i = next
				break
			}
			lx.i = next
		}
	}
	lx.pending = nil
}

// matchParens returns the offset after the parentheses closing depth
// open ones, skipping quotes.
func (lx *shLexer) matchParens(i, depth int) int {
	src := lx.s.src
	for i < lx.end {
		switch c := src[i]; c {
		case '\\':
			i += 2
			continue
		case '\'':
			j := strings.IndexByte(src[i+1:lx.end], '\'')
			if j < 0 {
				return lx.end
			}
			i += j + 2
			continue
		case '"':
			i = lx.skipDQ(i + 1)
			continue
		case '`':
			i = lx.skipBackquote(i+1, &shWord{})
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '#':
			// A comment inside $( ): only at a word start.
			if i > 0 && (isBlank(src[i-1]) || src[i-1] == '\n') {
				for i < lx.end && src[i] != '\n' {
					i++
				}
				continue
			}
		}
		i++
	}
	lx.s.errorf(lx.i, "syntax error: unclosed parenthesis")
	return lx.end
}

// skipDQ skips a double-quoted string inside $( ) without reading it.
func (lx *shLexer) skipDQ(i int) int {
	src := lx.s.src
	for i < lx.end {
		switch src[i] {
		case '"':
			return i + 1
		case '\\':
			i += 2
			continue
		case '$':
			if i+1 < lx.end && src[i+1] == '(' {
				i = lx.matchParens(i+2, 1)
				continue
			}
		case '`':
			i = lx.skipBackquote(i+1, &shWord{})
			continue
		}
		i++
	}
	return lx.end
}

// skipDouble reads a double-quoted string from i (after the quote) and
// returns the offset after the closing quote; expansions mark w.
func (lx *shLexer) skipDouble(i int, w *shWord) int {
	end, _ := lx.double(i, w)
	return end
}

// double is skipDouble that also returns the string's value.
func (lx *shLexer) double(i int, w *shWord) (int, string) {
	src := lx.s.src
	var b strings.Builder
	for i < lx.end {
		switch c := src[i]; c {
		case '"':
			return i + 1, b.String()
		case '\\':
			if i+1 < lx.end && strings.IndexByte("$`\"\\\n", src[i+1]) >= 0 {
				if src[i+1] != '\n' {
					b.WriteByte(src[i+1])
				}
				i += 2
				continue
			}
			b.WriteByte(c)
			i++
		case '$':
			j := lx.dollar(i, w)
			b.WriteString(src[i:j])
			i = j
		case '`':
			j := lx.skipBackquote(i+1, w)
			b.WriteString(src[i:j])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	lx.s.errorf(w.start, "syntax error: unterminated double quote")
	return lx.end, b.String()
}

func (lx *shLexer) skipBackquote(i int, w *shWord) int {
	src := lx.s.src
	start := i
	for i < lx.end {
		switch src[i] {
		case '\\':
			i += 2
			continue
		case '`':
			w.Static = false
			w.substs = append(w.substs, shSpan{start, i})
			return i + 1
		}
		i++
	}
	lx.s.errorf(start-1, "syntax error: unterminated backquote")
	return lx.end
}

// dollar reads an expansion starting at src[i] == '$' and returns the
// offset after it. A '$' that starts no expansion is literal.
func (lx *shLexer) dollar(i int, w *shWord) int {
	src := lx.s.src
	if i+1 >= lx.end {
		return i + 1
	}
	c := src[i+1]
	switch {
	case c == '(' && i+2 < lx.end && src[i+2] == '(':
		w.Static = false
		inner := lx.matchParens(i+3, 2)
		// Arithmetic can hold command substitutions; scan it as one.
		w.substs = append(w.substs, shSpan{i + 3, max(i+3, inner-2)})
		return inner
	case c == '(':
		w.Static = false
		end := lx.matchParens(i+2, 1)
		w.substs = append(w.substs, shSpan{i + 2, max(i+2, end-1)})
		return end
	case c == '{':
		w.Static = false
		j := i + 2
		depth := 1
		for j < lx.end && depth > 0 {
			switch src[j] {
			case '\\':
				j++
			case '{':
				depth++
			case '}':
				depth--
			case '\'':
				if k := strings.IndexByte(src[j+1:lx.end], '\''); k >= 0 {
					j += k + 1
				}
			case '"':
				j = lx.skipDouble(j+1, w) - 1
			case '`':
				j = lx.skipBackquote(j+1, w) - 1
			case '$':
				j = lx.dollar(j, w) - 1
			}
			j++
		}
		return min(j, lx.end)
	case c == '\'' || c == '"':
		// $'..' (bash ANSI-C) and $".." (locale): dash reads them
		// differently, so their value is unknown here.
		w.Static = false
		if c == '"' {
			return lx.skipDouble(i+2, w)
		}
		// $'..'.
		for j := i + 2; j < lx.end; j++ {
			if src[j] == '\\' {
				j++
				continue
			}
			if src[j] == '\'' {
				return j + 1
			}
		}
		return lx.end
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		w.Static = false
		j := i + 1
		for j < lx.end && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
			j++
		}
		return j
	case c >= '0' && c <= '9' || strings.IndexByte("@*#?$!-", c) >= 0:
		w.Static = false
		return i + 2
	}
	return i + 1
}

// word reads one word from start.
func (lx *shLexer) word(start int) shToken {
	src := lx.s.src
	w := shWord{start: start, Pos: lx.s.pos(start), Static: true}
	var b strings.Builder
	i := start
	first := true
	for i < lx.end {
		c := src[i]
		if (c == '<' || c == '>') && i+1 < lx.end && src[i+1] == '(' && first {
			w.Static = false
			end := lx.matchParens(i+2, 1)
			w.substs = append(w.substs, shSpan{i + 2, max(i+2, end-1)})
			b.WriteString(src[i:end])
			i = end
			first = false
			continue
		}
		if isMeta(c) {
			break
		}
		first = false
		switch c {
		case '\\':
			if i+1 >= lx.end {
				if lx.end == len(src) && lx.s.TrailingBackslash == nil {
					p := lx.s.pos(i)
					lx.s.TrailingBackslash = &p
				}
				b.WriteByte(c)
				i++
				continue
			}
			if n := continuation(src[i+1 : lx.end]); n > 0 {
				i += 1 + n
				lx.i = i
				lx.checkTrailing(i - 1 - n)
				continue
			}
			b.WriteByte(src[i+1])
			w.Quoted = true
			i += 2
		case '\'':
			w.Quoted = true
			j := strings.IndexByte(src[i+1:lx.end], '\'')
			if j < 0 {
				lx.s.errorf(i, "syntax error: unterminated single quote")
				b.WriteString(src[i+1 : lx.end])
				i = lx.end
				continue
			}
			b.WriteString(src[i+1 : i+1+j])
			i += j + 2
		case '"':
			w.Quoted = true
			var lit string
			i, lit = lx.double(i+1, &w)
			b.WriteString(lit)
		case '$':
			j := lx.dollar(i, &w)
			b.WriteString(src[i:j])
			i = j
		case '`':
			j := lx.skipBackquote(i+1, &w)
			b.WriteString(src[i:j])
			i = j
		case '*', '?', '[':
			// Pathname expansion changes the word only when files in the
			// working directory match it: read as written, and flagged
			// (iptables' own tests write -i eth* unquoted; [addr]:port is
			// how ip6tables writes NAT targets).
			if c != '[' {
				w.Glob = true
			}
			b.WriteByte(c)
			i++
		case '~':
			if i == start {
				w.Static = false
			}
			b.WriteByte(c)
			i++
		case '{':
			// Brace expansion (bash, not dash): {a,b} and {1..3}.
			if k := strings.IndexByte(src[i:lx.end], '}'); k > 0 {
				inner := src[i+1 : i+k]
				if strings.Contains(inner, ",") || strings.Contains(inner, "..") {
					w.Static = false
				}
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	lx.i = i
	w.end = i
	w.Lit = b.String()
	lx.cmdStart = false
	return shToken{kind: tkWord, word: w, start: start}
}

// reserved words of the shell grammar, recognised unquoted in command
// position.
var reserved = map[string]bool{
	"if": true, "then": true, "elif": true, "else": true, "fi": true,
	"for": true, "select": true, "while": true, "until": true, "do": true, "done": true,
	"case": true, "esac": true, "{": true, "}": true, "!": true, "function": true,
}

// parser states for headers that are not commands.
const (
	stCmd = iota
	stForName
	stForIn
	stForWords
	stCaseWord
	stCaseIn
	stCasePattern
	stFuncName
)

// parse reads the commands of a byte range, nested in ctx.
func (s *shScript) parse(start, end int, ctx *shCtx) {
	lx := &shLexer{s: s, i: start, end: end, cmdStart: true}
	var (
		cur     *shCmd
		list    []*shCmd
		ops     []string
		state   = stCmd
		negate  bool
		top     = ctx
		pending *shCtx // a function whose body has not started
	)
	push := func(kind string, off int) {
		c := &shCtx{Kind: kind, Pos: s.pos(off), Up: ctx}
		if pending != nil {
			c.closes = pending
			pending.opened = true
			pending = nil
		}
		ctx = c
	}
	pop := func(kinds string, off int, word string) {
		for c := ctx; c != top && c != nil; c = c.Up {
			if strings.Contains(" "+kinds+" ", " "+c.Kind+" ") {
				ctx = c.Up
				if c.closes != nil {
					ctx = c.closes.Up
				}
				return
			}
			if c.Kind == "function" {
				break
			}
		}
		s.errorf(off, "syntax error: unexpected %q", word)
	}
	finish := func() {
		if cur != nil {
			cur.Ctx = ctx
			if negate {
				cur.List = "!"
				negate = false
			}
			list = append(list, cur)
			cur = nil
		}
	}
	endList := func(op string) {
		finish()
		if op == "&" {
			ops = append(ops, "&")
		}
		if len(list) > 1 || len(ops) > 0 {
			joined := strings.Join(ops, " ")
			for _, c := range list {
				if c.List == "" {
					c.List = joined
				}
			}
		}
		for _, c := range list {
			if len(c.Words) > 0 || c.Arith {
				s.Cmds = append(s.Cmds, c)
			} else if len(c.Assigns) > 0 {
				s.Assigns = append(s.Assigns, c)
			}
			s.nested(c)
		}
		list, ops = nil, nil
	}
	for {
		t := lx.next()
		if t.kind == tkEOF {
			endList("")
			break
		}
		switch state {
		case stForName:
			if t.kind == tkWord || t.kind == tkArith {
				state = stForIn
				continue
			}
		case stForIn:
			if t.kind == tkWord && t.word.Lit == "in" {
				state = stForWords
				continue
			}
			if t.kind == tkWord && t.word.Lit == "do" {
				state = stCmd
				lx.cmdStart = true
				continue
			}
			if t.kind == tkOp && (t.op == ";" || t.op == "\n") {
				continue
			}
		case stForWords:
			if t.kind == tkWord {
				// The loop's words: their command substitutions run.
				s.substs(t.word, ctx)
				continue
			}
			if t.kind == tkOp && (t.op == ";" || t.op == "\n") {
				state = stForIn
				continue
			}
		case stCaseWord:
			if t.kind == tkWord {
				s.substs(t.word, ctx)
				state = stCaseIn
				continue
			}
		case stCaseIn:
			if t.kind == tkOp && t.op == "\n" {
				continue
			}
			if t.kind == tkWord && t.word.Lit == "in" {
				state = stCasePattern
				continue
			}
		case stCasePattern:
			switch {
			case t.kind == tkOp && (t.op == "\n" || t.op == "|" || t.op == "("):
				continue
			case t.kind == tkOp && t.op == ")":
				state = stCmd
				lx.cmdStart = true
				continue
			case t.kind == tkWord && t.word.Lit == "esac" && !t.word.Quoted:
				pop("case", t.start, "esac")
				state = stCmd
				continue
			case t.kind == tkWord:
				continue
			}
		case stFuncName:
			if t.kind == tkWord {
				pending = &shCtx{Kind: "function", Name: t.word.Lit, Pos: t.word.Pos, Up: ctx}
				s.Funcs[t.word.Lit] = pending
				ctx = pending
				state = stCmd
				lx.cmdStart = true
				continue
			}
		}
		if state != stCmd {
			s.errorf(t.start, "syntax error near %q", s.src[t.start:min(lx.i, len(s.src))])
			state = stCmd
		}
		switch t.kind {
		case tkArith:
			finish()
			cur = &shCmd{Pos: t.word.Pos, Arith: true, start: t.start, end: lx.i}
			s.scanArith(t.word.start+2, t.word.end-2, cur)
			continue
		case tkRedir:
			if cur == nil {
				cur = &shCmd{Pos: s.pos(t.start), start: t.start}
			}
			cur.Redirs = append(cur.Redirs, *t.redir)
			cur.end = lx.i
			continue
		case tkOp:
			switch t.op {
			case "&&", "||", "|", "|&":
				finish()
				ops = append(ops, t.op)
			case ";", "\n", "&":
				endList(t.op)
			case ";;", ";&", ";;&":
				endList("")
				state = stCasePattern
			case "(":
				if cur == nil && pending != nil && !pending.opened {
					// function NAME () body
					save := *lx
					if nt := lx.next(); nt.kind == tkOp && nt.op == ")" {
						lx.cmdStart = true
						continue
					}
					*lx = save
				}
				if cur != nil && len(cur.Words) == 1 && len(cur.Assigns) == 0 && len(cur.Redirs) == 0 {
					// name () compound: a function definition.
					name := cur.Words[0]
					cur = nil
					if nt := lx.next(); nt.kind != tkOp || nt.op != ")" {
						s.errorf(nt.start, "syntax error: expected ) after %s (", name.Lit)
					}
					pending = &shCtx{Kind: "function", Name: name.Lit, Pos: name.Pos, Up: ctx}
					s.Funcs[name.Lit] = pending
					ctx = pending
					lx.cmdStart = true
					continue
				}
				finish()
				push("subshell", t.start)
			case ")":
				endList("")
				pop("subshell", t.start, ")")
			}
			continue
		}
		// A word.
		w := t.word
		if cur == nil {
			if !w.Quoted && reserved[w.Lit] {
				finish()
				lx.cmdStart = true
				switch w.Lit {
				case "if", "while", "until":
					push(w.Lit, t.start)
				case "for", "select":
					push(w.Lit, t.start)
					state = stForName
				case "case":
					push("case", t.start)
					state = stCaseWord
				case "{":
					push("group", t.start)
				case "}":
					endList("")
					pop("group", t.start, "}")
				case "fi":
					endList("")
					pop("if", t.start, "fi")
				case "done":
					endList("")
					pop("for while until select", t.start, "done")
				case "esac":
					endList("")
					pop("case", t.start, "esac")
				case "!":
					negate = true
				case "function":
					state = stFuncName
				}
				continue
			}
		}
		if cur == nil {
			cur = &shCmd{Pos: w.Pos, start: t.start}
		}
		if len(cur.Words) == 0 && isAssignment(w) {
			cur.Assigns = append(cur.Assigns, w)
		} else {
			if len(cur.Words) == 0 {
				cur.Pos = w.Pos
				if cur.start > t.start || len(cur.Redirs) == 0 {
					cur.start = t.start
				}
			}
			cur.Words = append(cur.Words, w)
			if w.Lit == "[[" && !w.Quoted && len(cur.Words) == 1 {
				s.doubleBracket(lx, cur)
			}
		}
		cur.end = lx.i
	}
	if ctx != top {
		if ctx.Kind == "function" && !ctx.opened {
			s.errorf(end, "syntax error: function %s has no body", ctx.Name)
		} else {
			s.errorf(end, "syntax error: %s opened at line %d is not closed", ctx.Kind, ctx.Pos.Line)
		}
	}
}

// doubleBracket reads a [[ ... ]] test as words: && || < > ( ) inside are
// its operators, not the shell's.
func (s *shScript) doubleBracket(lx *shLexer, cur *shCmd) {
	for {
		save := lx.i
		t := lx.next()
		switch t.kind {
		case tkEOF:
			s.errorf(save, "syntax error: [[ is not closed")
			return
		case tkWord:
			cur.Words = append(cur.Words, t.word)
			if t.word.Lit == "]]" && !t.word.Quoted {
				cur.Arith = true
				cur.end = lx.i
				return
			}
		case tkOp:
			if t.op != "\n" {
				cur.Words = append(cur.Words, shWord{Pos: s.pos(t.start), Lit: t.op, Static: true, start: t.start, end: lx.i})
			}
		case tkRedir:
			cur.Words = append(cur.Words, t.redir.Target)
		}
	}
}

// scanArith records the command substitutions of an arithmetic command.
func (s *shScript) scanArith(start, end int, c *shCmd) {
	if end <= start {
		return
	}
	if strings.Contains(s.src[start:end], "$(") || strings.Contains(s.src[start:end], "`") {
		c.Words = append(c.Words, shWord{Pos: s.pos(start), start: start, end: end,
			substs: []shSpan{{start, end}}})
	}
}

// nested reads what a command runs besides itself: the command
// substitutions of its words, assignments and redirections.
func (s *shScript) nested(c *shCmd) {
	for _, w := range c.Assigns {
		s.substs(w, c.Ctx)
	}
	for _, w := range c.Words {
		s.substs(w, c.Ctx)
	}
	for _, r := range c.Redirs {
		s.substs(r.Target, c.Ctx)
	}
}

func (s *shScript) substs(w shWord, ctx *shCtx) {
	depth := 0
	for c := ctx; c != nil; c = c.Up {
		if c.Kind == "substitution" || c.Kind == "here-document" {
			depth++
		}
	}
	if depth >= maxNesting && len(w.substs) > 0 {
		s.errorf(w.start, "command substitutions nested deeper than %d", maxNesting)
		return
	}
	for _, sp := range w.substs {
		s.parse(sp.start, sp.end, &shCtx{Kind: "substitution", Pos: s.pos(sp.start), Up: ctx})
	}
}

// parseBody reads a heredoc body as a script (for sh <<EOF).
func (s *shScript) parseBody(r shRedir, ctx *shCtx) {
	s.parse(r.body.start, r.body.end, &shCtx{Kind: "here-document", Pos: s.pos(r.body.start), Up: ctx})
}

// isAssignment reports whether w is NAME=value (or NAME+=value, NAME[i]=v).
func isAssignment(w shWord) bool {
	raw := w.Lit
	i := 0
	for i < len(raw) && (raw[i] == '_' || raw[i] >= 'a' && raw[i] <= 'z' || raw[i] >= 'A' && raw[i] <= 'Z' || i > 0 && raw[i] >= '0' && raw[i] <= '9') {
		i++
	}
	if i == 0 || i >= len(raw) {
		return false
	}
	if raw[i] == '[' {
		j := strings.IndexByte(raw[i:], ']')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	if i < len(raw) && raw[i] == '+' {
		i++
	}
	return i < len(raw) && raw[i] == '='
}

// assignment splits NAME=value.
func assignment(w shWord) (name, value string) {
	name, value, _ = strings.Cut(w.Lit, "=")
	name = strings.TrimSuffix(name, "+")
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	return name, value
}

// ShellWord is a word of a script command, as the static reader sees it.
type ShellWord struct {
	// Lit is the word after quote removal; expansions are left as written.
	Lit string
	// Static: Lit is exactly what the command receives.
	Static bool
	// Quoted: some part was quoted (an expansion in quotes is one word).
	Quoted bool
}

// ShellCommand is one simple command of a script.
type ShellCommand struct {
	Pos   Pos
	Words []ShellWord
}

// ShellCommands lists the simple commands of a shell script, wherever they
// are (functions, loops, substitutions, here-documents are not read), in
// the order they are written. xt2nft --exec matches the commands a script
// ran against them when the shell could not report its line (dash).
func ShellCommands(name string, src []byte) []ShellCommand {
	s := readShell(name, string(src))
	out := make([]ShellCommand, 0, len(s.Cmds))
	for _, c := range s.Cmds {
		sc := ShellCommand{Pos: c.Pos}
		for _, w := range c.Words {
			sc.Words = append(sc.Words, ShellWord{Lit: w.Lit, Static: w.Static, Quoted: w.Quoted})
		}
		out = append(out, sc)
	}
	return out
}
