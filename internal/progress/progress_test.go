package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the Meter's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if strings.Contains(b.String(), want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %q in %q", want, b.String())
}

func TestMeterDrawsCountsAndClears(t *testing.T) {
	var b syncBuffer
	m := Force(&b, "recentctl export", time.Millisecond, 0)
	m.Start("reading the set", 200000, "entries")
	m.Add(50000)
	waitFor(t, &b, "\r\x1b[Krecentctl export: reading the set 50,000/200,000 entries (25%)")
	// A message clears the line and stands on its own.
	if _, err := m.Write([]byte("recentctl: a message\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &b, "\r\x1b[Krecentctl: a message\n")
	m.Start("writing", 0, "lines")
	m.Set(7)
	waitFor(t, &b, "recentctl export: writing 7 lines ")
	m.Clear() // the line goes before Close
	for i := 0; i < 200 && !strings.HasSuffix(b.String(), "s\r\x1b[K"); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if s := b.String(); !strings.HasSuffix(s, "s\r\x1b[K") {
		t.Fatalf("Clear left the line: %q", s)
	}
	m.Close()
	if s := b.String(); !strings.HasSuffix(s, "\r\x1b[K") {
		t.Errorf("the line is not cleared at the end: %q", s)
	}
	m.Close() // twice is harmless
}

func TestMeterQuietForShortRuns(t *testing.T) {
	var b syncBuffer
	m := Force(&b, "x", time.Millisecond, time.Hour)
	m.Start("work", 10, "rules")
	m.Add(10)
	time.Sleep(20 * time.Millisecond)
	m.Close()
	if b.String() != "" {
		t.Errorf("a short run drew %q", b.String())
	}
}

func TestNilMeter(t *testing.T) {
	var m *Meter
	m.Start("x", 1, "y")
	m.Add(1)
	m.Set(1)
	m.Close()
	var b bytes.Buffer
	if m.Out(&b) != &b {
		t.Error("a nil Meter's Out is not the writer itself")
	}
	if New(&b, "x") != nil {
		t.Error("a Meter on a buffer, which is not a terminal")
	}
}

// blocked is a terminal that never takes a write.
type blocked struct{ c chan struct{} }

func (b blocked) Write(p []byte) (int, error) { <-b.c; return len(p), nil }

func TestMeterNeverBlocksTheWork(t *testing.T) {
	b := blocked{make(chan struct{})}
	defer close(b.c)
	m := Force(b, "x", time.Millisecond, 0)
	m.Start("work", 10, "rules")
	time.Sleep(10 * time.Millisecond) // the goroutine is stuck writing now
	done := make(chan struct{})
	go func() {
		for i := 0; i < 1000; i++ {
			m.Add(1)
		}
		m.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("counting and closing waited for a blocked terminal")
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 200000: "200,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
