// Package progress draws a progress line on a terminal: what a long run is
// doing, how far it is and for how long, redrawn in place a few times a
// second, and nothing at all when the output is not a terminal (scripts and
// CI logs stay clean).
//
// A Meter never stands between the work and its end: the work only stores
// counts (atomically), a goroutine of the Meter's own draws them, and a
// terminal that blocks or went away delays or loses the line, never the
// work. Messages go through the Meter (it is an io.Writer) so that each is
// written on a line of its own, not over the progress line.
package progress

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Meter is a progress line. A nil *Meter is valid and draws nothing.
type Meter struct {
	prefix string
	mu     sync.Mutex // serialises writes to out
	out    io.Writer
	shown  bool // the line is on the screen
	cur    atomic.Pointer[task]
	stop   chan struct{}
	done   chan struct{}
	every  time.Duration
	after  time.Duration // nothing is drawn for runs shorter than this
	began  time.Time
	now    func() time.Time
}

type task struct {
	what  string
	unit  string
	total int64
	n     atomic.Int64
	began time.Time
}

// New gives a Meter drawing on w when w is a terminal, nil otherwise.
// Lines start with prefix ("recentctl export"). The line appears once a
// run is half a second old; XT2NFT_PROGRESS_AFTER (a duration, "0s")
// changes that, for tests on machines fast enough to finish sooner.
func New(w io.Writer, prefix string) *Meter {
	f, ok := w.(*os.File)
	if !ok || !IsTerminal(f) || os.Getenv("TERM") == "dumb" {
		return nil
	}
	after := 500 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("XT2NFT_PROGRESS_AFTER")); err == nil && d >= 0 {
		after = d
	}
	return Force(w, prefix, 200*time.Millisecond, after)
}

// Force gives a Meter drawing on w whatever w is, every interval once the
// run is older than after (for tests).
func Force(w io.Writer, prefix string, every, after time.Duration) *Meter {
	m := &Meter{prefix: prefix, out: w, stop: make(chan struct{}), done: make(chan struct{}),
		every: every, after: after, now: time.Now}
	m.began = m.now()
	go m.run()
	return m
}

// IsTerminal says whether f is a terminal.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Out is the writer messages should go to: the Meter on a terminal, w
// itself otherwise.
func (m *Meter) Out(w io.Writer) io.Writer {
	if m == nil {
		return w
	}
	return m
}

// Start begins a step: what it does ("reading the set"), its total in unit
// ("entries"; total 0: unknown, the line counts without a percentage).
func (m *Meter) Start(what string, total int64, unit string) {
	if m == nil {
		return
	}
	m.cur.Store(&task{what: what, total: total, unit: unit, began: m.now()})
}

// Clear ends the current step: the line goes until the next Start.
func (m *Meter) Clear() {
	if m == nil {
		return
	}
	m.cur.Store(nil)
}

// Add counts n more units done in the current step.
func (m *Meter) Add(n int64) {
	if m == nil {
		return
	}
	if t := m.cur.Load(); t != nil {
		t.n.Add(n)
	}
}

// Set says n units of the current step are done.
func (m *Meter) Set(n int64) {
	if m == nil {
		return
	}
	if t := m.cur.Load(); t != nil {
		t.n.Store(n)
	}
}

// Write writes a message on lines of its own: the progress line is
// cleared first and drawn again on the next tick.
func (m *Meter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shown {
		if _, err := io.WriteString(m.out, "\r\x1b[K"); err != nil {
			return 0, err
		}
		m.shown = false
	}
	return m.out.Write(p)
}

// To is a writer to w (standard output, say, on the same terminal) that
// clears the progress line before each write, as Write does for messages.
func (m *Meter) To(w io.Writer) io.Writer {
	if m == nil {
		return w
	}
	return writerFunc(func(p []byte) (int, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.shown {
			if _, err := io.WriteString(m.out, "\r\x1b[K"); err == nil {
				m.shown = false
			}
		}
		return w.Write(p)
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Close stops drawing and clears the line. It waits for the drawing
// goroutine at most a moment (a blocked terminal is left behind).
func (m *Meter) Close() {
	if m == nil {
		return
	}
	select {
	case <-m.stop:
		return
	default:
	}
	close(m.stop)
	select {
	case <-m.done:
	case <-time.After(100 * time.Millisecond):
	}
}

func (m *Meter) run() {
	defer close(m.done)
	tick := time.NewTicker(m.every)
	defer tick.Stop()
	for {
		select {
		case <-m.stop:
			m.mu.Lock()
			if m.shown {
				io.WriteString(m.out, "\r\x1b[K")
				m.shown = false
			}
			m.mu.Unlock()
			return
		case <-tick.C:
			if m.now().Sub(m.began) < m.after {
				continue
			}
			t := m.cur.Load()
			if t == nil {
				m.mu.Lock()
				if m.shown {
					if _, err := io.WriteString(m.out, "\r\x1b[K"); err == nil {
						m.shown = false
					}
				}
				m.mu.Unlock()
				continue
			}
			line := "\r\x1b[K" + m.line(t)
			m.mu.Lock()
			if _, err := io.WriteString(m.out, line); err == nil {
				m.shown = true
			}
			m.mu.Unlock()
		}
	}
}

// line is the progress line of t: "prefix: what 12,000/200,000 entries
// (6%) 1.2s".
func (m *Meter) line(t *task) string {
	s := m.prefix + ": " + t.what
	n := t.n.Load()
	switch {
	case t.total > 0:
		pct := n * 100 / t.total
		s += fmt.Sprintf(" %s/%s %s (%d%%)", Count(n), Count(t.total), t.unit, pct)
	case n > 0:
		s += fmt.Sprintf(" %s %s", Count(n), t.unit)
	}
	return s + fmt.Sprintf(" %.1fs", m.now().Sub(t.began).Seconds())
}

// Of writes n things, singular or plural: Of(1, "table", "tables") is
// "1 table", Of(20000, "rule", "rules") "20,000 rules".
func Of(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(int64(n)) + " " + many
}

// Count writes n with thousands separators (200,000).
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
