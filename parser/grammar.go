package parser

import (
	"fmt"
	"io"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar describes only the shape of a rule line: an optional
// [packets:bytes] prefix, then options, each optionally preceded by "!" and
// followed by its words. Which options exist, how many words each takes and
// whether it can be negated is data (modules.go), checked in the bind pass.

type gLine struct {
	Counter *gCounter `parser:"@@?"`
	Items   []*gItem  `parser:"@@*"`
}

type gCounter struct {
	Pos   lexer.Position
	Value string `parser:"@Counter"`
}

type gItem struct {
	Pos  lexer.Position
	Bang bool     `parser:"@Bang?"`
	Opt  string   `parser:"@Opt"`
	Args []*gWord `parser:"@@*"`
}

// gWord is a word after an option. A "!" directly followed by a word is the
// old postfix negation (`--dport ! 22`); a "!" followed by an option belongs
// to the next item.
type gWord struct {
	Pos   lexer.Position
	Bang  bool    `parser:"  @Bang (?= Word | QWord)"`
	Word  *string `parser:"| @Word"`
	QWord *string `parser:"| @QWord"`
}

var tokenSymbols = map[string]lexer.TokenType{
	"EOF":     lexer.EOF,
	"Word":    lexer.TokenType(-2 - TokWord),
	"QWord":   lexer.TokenType(-2 - TokQWord),
	"Opt":     lexer.TokenType(-2 - TokOpt),
	"Bang":    lexer.TokenType(-2 - TokBang),
	"Counter": lexer.TokenType(-2 - TokCounter),
}

// lexDef is the lexer.Definition participle is built with. Lines are
// tokenized by splitRestore/splitShell and handed over with ParseFromLexer,
// so Lex is never called on input text.
type lexDef struct{}

func (lexDef) Symbols() map[string]lexer.TokenType { return tokenSymbols }
func (lexDef) Lex(string, io.Reader) (lexer.Lexer, error) {
	return nil, fmt.Errorf("programming error: lexDef.Lex is not used")
}

var lineParser = participle.MustBuild[gLine](
	participle.Lexer(lexDef{}),
	participle.UseLookahead(2),
)

// sliceLexer feeds pre-split tokens to participle.
type sliceLexer struct {
	toks []lexer.Token
	i    int
	eof  lexer.Token
}

func (s *sliceLexer) Next() (lexer.Token, error) {
	if s.i >= len(s.toks) {
		return s.eof, nil
	}
	t := s.toks[s.i]
	s.i++
	return t, nil
}

// shape is the grammar's verdict on one line, as token indices: which token
// is the counter prefix, and for each item its "!" (or -1), its option and
// its words (with postfix "!" marked). It depends only on the sequence of
// token kinds, so it is computed once per distinct kind sequence and cached:
// participle is a backtracking parser and costs ~35µs per line, while real
// and generated rulesets repeat a few hundred shapes over and over.
type shape struct {
	counter int // -1 when absent
	items   []shapeItem
	words   int // the words of all items
}

type shapeItem struct {
	bang  int // -1 when absent
	opt   int
	words []shapeWord
}

type shapeWord struct {
	tok      int
	postBang bool // this word is a "!" that negates the option (old syntax)
}

var shapeCache sync.Map // string(kinds) -> *shape

// parseShape runs the grammar over one line's tokens.
func parseShape(file string, line int, toks []Token) (*shape, error) {
	key := make([]byte, len(toks))
	for i, t := range toks {
		key[i] = byte('a' + t.Kind)
	}
	if sh, ok := shapeCache.Load(string(key)); ok {
		return sh.(*shape), nil
	}
	lt := make([]lexer.Token, len(toks))
	endCol := 1
	for i, t := range toks {
		// The token's index is carried in Offset so the tree can be mapped
		// back to token indices independently of values and columns.
		lt[i] = lexer.Token{
			Type:  lexer.TokenType(-2 - t.Kind),
			Value: t.Value,
			Pos:   lexer.Position{Filename: file, Line: line, Column: t.Col, Offset: i},
		}
		endCol = t.Col + len(t.Value) + 1
	}
	sl := &sliceLexer{toks: lt, eof: lexer.Token{Type: lexer.EOF, Pos: lexer.Position{Filename: file, Line: line, Column: endCol, Offset: len(toks)}}}
	pl, err := lexer.Upgrade(sl)
	if err != nil {
		return nil, err
	}
	g, err := lineParser.ParseFromLexer(pl)
	if err != nil {
		return nil, err
	}
	sh := &shape{counter: -1}
	if g.Counter != nil {
		sh.counter = g.Counter.Pos.Offset
	}
	for _, it := range g.Items {
		si := shapeItem{bang: -1, opt: it.Pos.Offset}
		if it.Bang {
			si.bang = it.Pos.Offset
			si.opt = it.Pos.Offset + 1
		}
		for _, w := range it.Args {
			si.words = append(si.words, shapeWord{tok: w.Pos.Offset, postBang: w.Bang})
		}
		sh.words += len(si.words)
		sh.items = append(sh.items, si)
	}
	shapeCache.Store(string(key), sh)
	return sh, nil
}
