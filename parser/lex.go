package parser

import "strings"

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
	// Line is the token's line when it is not the command's first line (a
	// script command continued with "\"); 0 means the command's line.
	Line int
	// Quoted marks an option word with a quoted value (--comment="a b").
	Quoted bool
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
		plain   int // how many bytes of a quoted word came before its first quote
	)
	// A plain word is a substring of the line (no copy); a word with quotes
	// is assembled in buf.
	emit := func(end int) {
		v := line[start:end]
		if quoted {
			v = string(buf)
		}
		t := classify(v, quoted, start+1)
		if quoted && optionWithValue(v, plain) {
			t.Kind, t.Quoted = TokOpt, true // --comment="a b": the option, its value quoted
		}
		toks = append(toks, t)
		buf = buf[:0]
		have, quoted = false, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !inQuote && !have && c != '"' {
			// Between words: a plain word (most words) is taken whole, as
			// the loop below would take it; one that runs into a quote is
			// left to the loop.
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				continue
			}
			j := i + 1
			for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\n' && line[j] != '\r' && line[j] != '"' {
				j++
			}
			if j == len(line) || line[j] != '"' {
				toks = append(toks, classify(line[i:j], false, i+1))
				i = j // the separator, if any, is skipped
				continue
			}
		}
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
				start, plain = i, 0
			} else if !quoted {
				buf = append(buf[:0], line[start:i]...)
				plain = i - start
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

// optionWithValue says whether a word whose first plain bytes are
// v[:plain] is a long option with its value (--name=VALUE) and the
// quotes only in the value: getopt takes it for the option.
func optionWithValue(v string, plain int) bool {
	i := strings.IndexByte(v, '=')
	if i < 3 || i >= plain || !strings.HasPrefix(v, "--") {
		return false
	}
	for _, c := range v[2:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
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
