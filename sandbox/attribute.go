package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// origin is where a saved rule (or chain) came from.
type origin struct {
	pos parser.Pos // the script line (no column)
	rec *Record
	// input is the iptables-restore input line the rule came from (0: an
	// iptables command).
	input int
}

// attribution maps saved lines and log records to script lines.
type attribution struct {
	res  *Result
	byID map[int64]*Record
	// cmds are the script's commands for matching argvs (scripts whose
	// shell does not report lines); loaded on first use.
	cmds   []parser.ShellCommand
	loaded bool
	cache  map[*Record]parser.Pos
	files  map[string][]string // the lines of the files records name (forwardsArgs)
	nth    map[*Record]int     // how many records of the same argv the log has before it
}

func newAttribution(res *Result) *attribution {
	a := &attribution{res: res, byID: map[int64]*Record{}, cache: map[*Record]parser.Pos{}, files: map[string][]string{}, nth: map[*Record]int{}}
	seen := map[string]int{}
	for i := range res.Log {
		r := &res.Log[i]
		a.byID[r.ID] = r
		if r.Line == 0 && !r.End {
			key := strings.Join(r.Argv, "\x00")
			a.nth[r] = seen[key]
			seen[key]++
		}
	}
	return a
}

// where is the script line of a record: the one bash reported, else the
// one static matching finds. ok is false when neither knows.
func (a *attribution) where(r *Record) (parser.Pos, bool) {
	if p, ok := a.cache[r]; ok {
		return p, p.Line > 0
	}
	var p parser.Pos
	if r.Line > 0 && r.File != "" {
		p = parser.Pos{File: a.display(r.File), Line: r.Line}
		if r.CallerLine > 0 && r.CallerFile != "" && a.forwardsArgs(r.File, r.Line) {
			// A wrapper (iptables() { command iptables -w "$@"; }): the
			// rule's words are its caller's.
			p = parser.Pos{File: a.display(r.CallerFile), Line: r.CallerLine}
		}
	} else {
		lines := a.match(r.Argv)
		// Commands alike on several lines (a shell without LINENO): the
		// n-th record of them is taken for the n-th line, which is right
		// for a script without loops over them.
		if n := a.nth[r]; n < len(lines) {
			p = parser.Pos{File: a.res.Script, Line: lines[n]}
		}
	}
	a.cache[r] = p
	return p, p.Line > 0
}

// forwardsArgs says whether line n of file passes its function's
// arguments on ("$@", $*): the line of a wrapper, whose caller gave the
// words.
func (a *attribution) forwardsArgs(file string, n int) bool {
	lines, ok := a.files[file]
	if !ok {
		if src, err := os.ReadFile(file); err == nil {
			lines = strings.Split(string(src), "\n")
		}
		a.files[file] = lines
	}
	if n < 1 || n > len(lines) {
		return false
	}
	l := lines[n-1]
	return strings.Contains(l, "$@") || strings.Contains(l, "${@}") || strings.Contains(l, "$*") || strings.Contains(l, "${*}")
}

// display names a file as the user named the script: bash reports the
// path the script was run by, which is the one given.
func (a *attribution) display(file string) string {
	if file == a.res.Script {
		return file
	}
	if abs, err := filepath.Abs(file); err == nil {
		if s, err := filepath.Abs(a.res.Script); err == nil && s == abs {
			return a.res.Script
		}
	}
	return file
}

// match finds the script lines of the commands that may have run argv:
// their words, in order, must produce argv (a $VAR or $(..) word stands for
// any words, a word with an expansion inside for one), ending it; the
// command word may name the program by another path. The matches with the
// most literal words win: one line, or the lines of a tie, in order.
func (a *attribution) match(argv []string) []int {
	if !a.loaded {
		a.loaded = true
		if src, err := os.ReadFile(a.res.Script); err == nil {
			a.cmds = parser.ShellCommands(a.res.Script, src)
		}
	}
	if len(argv) == 0 {
		return nil
	}
	have := map[string]bool{}
	for _, w := range argv[1:] {
		have[w] = true
	}
	best := -1
	var lines []int
	for _, c := range a.cmds {
		// Quick rejection: every literal word after the first must occur.
		ok := true
		for i, w := range c.Words {
			if i > 0 && w.Static && !have[w.Lit] && filepath.Base(w.Lit) != filepath.Base(argv[0]) {
				if !prefixWord(w.Lit) {
					ok = false
					break
				}
			}
		}
		if !ok {
			continue
		}
		score := -1
		for k := range c.Words {
			if s := matchWords(c.Words[k:], argv); s > score {
				score = s
			}
		}
		switch {
		case score < 0:
		case score > best:
			best, lines = score, []int{c.Pos.Line}
		case score == best && !slices.Contains(lines, c.Pos.Line):
			lines = append(lines, c.Pos.Line)
		}
	}
	slices.Sort(lines)
	return lines
}

// prefixWord: words that may stand before the program (sudo, env).
func prefixWord(w string) bool {
	switch filepath.Base(w) {
	case "sudo", "doas", "env", "command", "exec", "nice", "nohup", "time", "timeout", "xargs":
		return true
	}
	return false
}

// matchWords returns how many literal words of ws match argv wholly, or
// -1 when ws cannot produce argv.
func matchWords(ws []parser.ShellWord, argv []string) int {
	// best[i][j]: the score of matching ws[i:] against argv[j:].
	n, m := len(ws), len(argv)
	best := make([][]int, n+1)
	for i := range best {
		best[i] = make([]int, m+1)
		for j := range best[i] {
			best[i][j] = -1
		}
	}
	best[n][m] = 0
	for i := n - 1; i >= 0; i-- {
		w := ws[i]
		for j := m; j >= 0; j-- {
			b := -1
			switch {
			case w.Static:
				if j < m && (w.Lit == argv[j] || j == 0 && filepath.Base(w.Lit) == filepath.Base(argv[j])) {
					if s := best[i+1][j+1]; s >= 0 {
						b = s + 1
					}
				}
			case !w.Quoted && isWholeExpansion(w.Lit):
				// Unquoted $X: split into any number of words.
				for k := j; k <= m; k++ {
					if s := best[i+1][k]; s > b {
						b = s
					}
				}
			default:
				if j < m {
					b = best[i+1][j+1]
				}
			}
			best[i][j] = b
		}
	}
	return best[0][0]
}

// isWholeExpansion: the word is one $NAME, ${...}, $(...) or `...`.
func isWholeExpansion(lit string) bool {
	switch {
	case strings.HasPrefix(lit, "${") && strings.HasSuffix(lit, "}"),
		strings.HasPrefix(lit, "$(") && strings.HasSuffix(lit, ")"),
		strings.HasPrefix(lit, "`") && strings.HasSuffix(lit, "`"):
		return true
	case strings.HasPrefix(lit, "$") && len(lit) > 1:
		for _, c := range lit[1:] {
			if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
		return true
	}
	return false
}

// savedLine is one line of a saved ruleset, read.
type savedLine struct {
	text   string // without the counters of a rule
	origin *origin
}

// readSaved strips the shims' tags from a saved ruleset and attributes
// each rule and chain line. It returns the text to translate (same line
// numbers) and, per line, what it is and where it came from.
func (a *attribution) readSaved(text string, fam int) (string, []savedLine) {
	lines := strings.Split(text, "\n")
	out := make([]savedLine, len(lines))
	table := ""
	for i, l := range lines {
		out[i].text = l
		switch {
		case strings.HasPrefix(l, "*"):
			table = strings.TrimSpace(l[1:])
		case strings.HasPrefix(l, "["):
			end := strings.IndexByte(l, ']')
			if end < 0 {
				continue
			}
			p, b, _ := strings.Cut(l[1:end], ":")
			rule := strings.TrimLeft(l[end+1:], " ")
			out[i].text = rule
			pk, err1 := strconv.ParseInt(p, 10, 64)
			by, err2 := strconv.ParseInt(b, 10, 64)
			if err1 != nil || err2 != nil {
				continue
			}
			out[i].origin = a.ruleOrigin(pk, by, fam)
		case strings.HasPrefix(l, ":"):
			// Chain line: the policy's -P, or the chain's -N.
			f := strings.Fields(l[1:])
			if len(f) >= 2 {
				out[i].origin = a.chainOrigin(fam, table, f[0], f[1] != "-")
				// The policy counters are the sandbox's own traffic (none).
				out[i].text = ":" + f[0] + " " + f[1] + " [0:0]"
			}
		}
	}
	return strings.Join(linesOf(out), "\n"), out
}

func linesOf(ls []savedLine) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.text
	}
	return out
}

// ruleOrigin decodes a rule's counters: [ID:ID] from an iptables command,
// [ID:ID+n] from line n of an iptables-restore input. Anything else (the
// script's own -c, or counters traffic changed) has no origin.
func (a *attribution) ruleOrigin(pk, by int64, fam int) *origin {
	r := a.byID[pk]
	if r == nil || !r.Tagged || famOf(r.Tool) != fam {
		return nil
	}
	o := &origin{rec: r}
	if spec := shims[r.Tool]; spec.kind == shimRestore || spec.kind == shimApply {
		o.input = int(by - pk)
		if o.input <= 0 {
			return nil
		}
	} else if by != pk {
		return nil
	}
	if p, ok := a.where(r); ok {
		o.pos = p
	}
	return o
}

// famOf is the family of an iptables-family shim name.
func famOf(tool string) int {
	if s, ok := shims[tool]; ok && s.fam != 0 {
		return s.fam
	}
	return 0
}

// chainOrigin finds the command that set a built-in chain's policy (the
// last successful -P) or created a user chain (the first successful -N, or
// the -E that renamed a chain to it).
func (a *attribution) chainOrigin(fam int, table, chain string, builtin bool) *origin {
	var found *Record
	for i := range a.res.Log {
		r := &a.res.Log[i]
		if r.Action != "iptables" || famOf(r.Tool) != fam || r.Exit != 0 || shims[r.Tool].kind != shimIptables {
			continue
		}
		op, t, c, _ := iptArgs(r.Argv[1:])
		if t != table {
			continue
		}
		switch {
		case builtin && op == 'P' && c == chain:
			found = r
		case !builtin && op == 'N' && c == chain && found == nil:
			found = r
		case !builtin && op == 'E' && renamedTo(r.Argv[1:]) == chain:
			found = r
		}
	}
	if found == nil {
		return nil
	}
	o := &origin{rec: found}
	if p, ok := a.where(found); ok {
		o.pos = p
	} else {
		return nil
	}
	return o
}

// renamedTo is the new name of an -E OLD NEW command.
func renamedTo(args []string) string {
	for i, a := range args {
		if (a == "-E" || a == "--rename-chain") && i+2 < len(args) {
			return args[i+2]
		}
	}
	return ""
}
