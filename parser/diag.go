package parser

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in an input file. Line and Col are 1-based; Col 0 means
// "no column" and is omitted when printed.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as NAME:LINE:COL (or NAME:LINE without a column).
func (p Pos) String() string {
	if p.Col == 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Before reports whether p sorts before q (file, then line, then column).
func (p Pos) Before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Severity says how bad a diagnostic is.
type Severity int

const (
	// SevWarning is an approximation or a skipped line; output is still produced.
	SevWarning Severity = iota
	// SevError stops the translation.
	SevError
	// SevNote is a report line (xt2nft --report), not a problem.
	SevNote
)

// Diagnostic is one positioned message.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
}

func (d Diagnostic) String() string {
	switch d.Severity {
	case SevWarning:
		return d.Pos.String() + ": warning: " + d.Msg
	case SevNote:
		return d.Pos.String() + ": note: " + d.Msg
	}
	return d.Pos.String() + ": " + d.Msg
}

// Error is a single positioned error.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf builds a positioned error.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList is a list of positioned errors; it implements error.
type ErrorList []*Error

// maxListed caps how many errors Error() prints.
const maxListed = 20

// Sort orders the list by position (stable).
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Pos.Before(l[j].Pos) })
}

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i == maxListed {
			fmt.Fprintf(&b, "...and %d more errors", len(l)-maxListed)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns nil for an empty list, else the list itself.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}
