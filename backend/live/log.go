package live

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Log carries a run's messages to the user without ever standing between
// the run and its rollback: a message is queued and written by a goroutine
// of its own, so that a stderr that blocks (a paused pager, a full pipe
// nobody reads) or fails (EPIPE after `| head`, a terminal that went away
// with the ssh session) delays or loses messages, never the run. Write
// errors end the writing; the run goes on.
type Log struct {
	mu     sync.Mutex
	queue  [][]byte
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

// NewLog starts a Log writing to w.
func NewLog(w io.Writer) *Log {
	l := &Log{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go l.run(w)
	return l
}

func (l *Log) run(w io.Writer) {
	defer close(l.done)
	failed := false
	for {
		l.mu.Lock()
		q, closed := l.queue, l.closed
		l.queue = nil
		l.mu.Unlock()
		for _, m := range q {
			if !failed {
				if _, err := w.Write(m); err != nil {
					failed = true
				}
			}
		}
		if closed && len(q) == 0 {
			return
		}
		if len(q) == 0 {
			<-l.wake
		}
	}
}

// Printf queues a message (a newline is added when it has none).
func (l *Log) Printf(format string, args ...any) {
	if l == nil {
		return
	}
	m := fmt.Sprintf(format, args...)
	if m == "" || m[len(m)-1] != '\n' {
		m += "\n"
	}
	l.mu.Lock()
	l.queue = append(l.queue, []byte(m))
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Write queues p as it is (a Log is an io.Writer for diagnostics).
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.queue = append(l.queue, append([]byte(nil), p...))
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// Close waits up to timeout for the queued messages to be written.
func (l *Log) Close(timeout time.Duration) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	select {
	case <-l.done:
	case <-time.After(timeout):
	}
}
