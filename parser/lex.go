package parser

import (
	"strconv"
	"strings"
)

// TokKind classifies a word of a rule line.
type TokKind int

const (
	// TokWord is an unquoted word that is not an option.
	TokWord TokKind = iota
	// TokQWord is a word that was (at least partly) quoted.
	TokQWord
	// TokOpt is an unquoted word starting with '-' (an option name).
	TokOpt
	// TokBang is an unquoted "!".
	TokBang
	// TokCounter is a "[packets:bytes]" prefix at the start of a line.
	TokCounter
)

// Token is one word of a line, split the way iptables-restore splits it.
type Token struct {
	Kind  TokKind
	Value string
	Col   int // 1-based byte column of the first character (or opening quote)
}

// splitRestore splits one iptables-restore line into words exactly as
// iptables' add_param_to_argv does: a double quote toggles quoting and a
// closing quote ends the word; a backslash escapes the next character only
// inside quotes; space, tab and newline separate words outside quotes.
// It reports whether a quote was left open.
func splitRestore(line string, toks []Token) ([]Token, bool) {
	var (
		buf     []byte // only for words with quotes
		inQuote bool
		escaped bool
		quoted  bool
		have    bool // a word is being built (even an empty quoted one)
		start   int
	)
	// A plain word is a substring of the line (no copy); a word with quotes
	// is assembled in buf.
	emit := func(end int) {
		v := line[start:end]
		if quoted {
			v = string(buf)
		}
		toks = append(toks, classify(v, quoted, start+1))
		buf = buf[:0]
		have, quoted = false, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if inQuote {
			switch {
			case escaped:
				buf = append(buf, c)
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inQuote = false
				emit(i) // a closing quote ends the word, as in iptables
			default:
				buf = append(buf, c)
			}
			continue
		}
		switch c {
		case '"':
			if !have {
				start = i
			} else if !quoted {
				buf = append(buf[:0], line[start:i]...)
			}
			inQuote, quoted, have = true, true, true
		case ' ', '\t', '\n', '\r':
			if have {
				emit(i)
			}
		default:
			if !have {
				start, have = i, true
			}
			if quoted {
				buf = append(buf, c)
			}
		}
	}
	if inQuote || have {
		// iptables adds an unterminated last word with quoted=0.
		v := line[start:]
		if quoted {
			v = string(buf)
		}
		toks = append(toks, classify(v, false, start+1))
	}
	return toks, inQuote
}

func classify(v string, quoted bool, col int) Token {
	switch {
	case quoted:
		return Token{Kind: TokQWord, Value: v, Col: col}
	case v == "!":
		return Token{Kind: TokBang, Value: v, Col: col}
	case len(v) > 1 && v[0] == '-' && !isNumber(v[1:]):
		return Token{Kind: TokOpt, Value: v, Col: col}
	}
	return Token{Kind: TokWord, Value: v, Col: col}
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isCounter reports whether w has the form [digits:digits].
func isCounter(w string) bool {
	if len(w) < 5 || w[0] != '[' || w[len(w)-1] != ']' {
		return false
	}
	p, b, ok := strings.Cut(w[1:len(w)-1], ":")
	return ok && isNumber(p) && isNumber(b)
}

// splitShell splits a shell command line into words: single quotes, double
// quotes (with backslash escapes for \" \\ \$ \`), backslash escapes outside
// quotes, and '#' comments at the start of a word. It returns ok=false when
// the line uses shell features we cannot evaluate (variables, command
// substitution, pipes, lists, redirections).
func splitShell(line string) (toks []Token, unsupported string) {
	var (
		buf   strings.Builder
		have  bool
		start int
		q     bool
	)
	emit := func() {
		if have {
			k := TokWord
			v := buf.String()
			// The shell removes quotes: iptables sees '!' and "--dport" as
			// plain words, so quoting does not change what a word is.
			switch {
			case v == "!":
				k = TokBang
			case len(v) > 1 && v[0] == '-' && !isNumber(v[1:]):
				k = TokOpt
			case q:
				k = TokQWord
			}
			toks = append(toks, Token{Kind: k, Value: v, Col: start + 1})
		}
		buf.Reset()
		have, q = false, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		begin := func() {
			if !have {
				start, have = i, true
			}
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			emit()
		case '#':
			if !have {
				return toks, ""
			}
			buf.WriteByte(c)
		case '\'':
			begin()
			q = true
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return toks, "unterminated single quote"
			}
			buf.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case '"':
			begin()
			q = true
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				switch line[i] {
				case '\\':
					if i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
						i++
					}
				case '$', '`':
					return toks, "shell expansion " + strconvQuote(wordAt(line, i))
				}
				buf.WriteByte(line[i])
			}
			if i >= len(line) {
				return toks, "unterminated double quote"
			}
		case '\\':
			begin()
			if i+1 < len(line) {
				i++
				buf.WriteByte(line[i])
			}
		case '$', '`':
			return toks, "shell expansion " + strconvQuote(wordAt(line, i))
		case ';', '|', '&', '<', '>', '(', ')':
			return toks, "shell operator " + string(c)
		default:
			begin()
			buf.WriteByte(c)
		}
	}
	emit()
	return toks, ""
}

// wordAt returns the run of non-blank characters starting at i.
func wordAt(s string, i int) string {
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '"' {
		j++
	}
	return s[i:j]
}

func strconvQuote(s string) string { return strconv.Quote(s) }
