package main

import (
	"encoding/json"
	"io"
	"strings"
	"sync"

	"github.com/xt2nft/xt2nft/backend/live"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/verify/report"
)

// planJSON is plan --json: the plan as one JSON document on standard
// output, whether it succeeded or not.
type planJSON struct {
	messages lines
	warnings []parser.Diagnostic
	written  bool
	verify   *report.Report // plan --verify's verdict
}

// planDoc is the document.
type planDoc struct {
	ExitStatus int    `json:"exit_status"`
	Meaning    string `json:"exit_meaning"`
	Ruleset    string `json:"ruleset,omitempty"`
	*live.Changes
	Warnings []diagJSON `json:"warnings"`
	// Verify is plan --verify's report (xt2nft verify --json's document).
	Verify *report.Report `json:"verify,omitempty"`
	// Messages are what the run wrote on standard error, for a plan that
	// failed.
	Messages []string `json:"messages,omitempty"`
}

// diagJSON is a warning with its position.
type diagJSON struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

var planMeanings = map[int]string{
	planNoChanges: "no changes: the live ruleset already is the new one",
	planChanges:   "changes: apply would change the live ruleset as listed",
	exitError:     "error: nothing was planned (messages say why), or verify found a difference (verify says where); apply would change nothing",
}

func (pj *planJSON) write(w io.Writer, code int, summary string, c *live.Changes) error {
	doc := planDoc{ExitStatus: code, Meaning: planMeanings[code], Ruleset: summary, Changes: c, Warnings: pj.diags(), Verify: pj.verify}
	pj.written = true
	return encodeJSON(w, doc)
}

// failed writes the document of a plan that failed.
func (pj *planJSON) failed(w io.Writer, code int) {
	if code == exitOK {
		code = exitError
	}
	pj.written = true
	_ = encodeJSON(w, planDoc{ExitStatus: code, Meaning: planMeanings[exitError], Warnings: pj.diags(), Messages: pj.messages.list()})
}

func (pj *planJSON) diags() []diagJSON {
	out := []diagJSON{}
	for _, d := range pj.warnings {
		sev := "warning"
		if d.Severity == parser.SevNote {
			sev = "note"
		}
		out = append(out, diagJSON{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Severity: sev, Message: d.Msg})
	}
	return out
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// lines collects what is written to it, line by line (safe for the log's
// goroutine).
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimRight(l.b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
