package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// confirmTestSock returns a socket path in a fresh temporary directory that
// fits in a unix socket address.
func confirmTestSock(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.sock")
	if len(p) > 100 {
		dir, err := os.MkdirTemp("/tmp", "xc")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		p = filepath.Join(dir, "c.sock")
	}
	return p
}

// waitForSocket waits until something accepts connections on sock.
func waitForSocket(t *testing.T, sock string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if fi, err := os.Lstat(sock); err == nil && fi.Mode().Type() == os.ModeSocket {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket at %s", sock)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different
// goroutines.
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

type waitResult struct {
	ok  bool
	how string
	err error
}

// testLog is a Log into a buffer.
func testLog() (*Log, *syncBuffer) {
	var b syncBuffer
	return NewLog(&b), &b
}

// wait runs waitConfirm and flattens its verdict.
func wait(ctx context.Context, sock string, timeout time.Duration, tty io.Reader, log *Log) waitResult {
	v, err := waitConfirm(ctx, sock, timeout, tty, log)
	return waitResult{v.keep, v.how, err}
}

// startWait runs waitConfirm in a goroutine and waits for its socket.
func startWait(t *testing.T, ctx context.Context, sock string, timeout time.Duration, tty io.Reader, log *Log) <-chan waitResult {
	t.Helper()
	ch := make(chan waitResult, 1)
	go func() { ch <- wait(ctx, sock, timeout, tty, log) }()
	waitForSocket(t, sock)
	return ch
}

// waitForOutput waits until the log has written s.
func waitForOutput(t *testing.T, b *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("output %q lacks %q", b.String(), s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sendConfirm(sock string) error { return sendRequest(sock, requestConfirm) }

func result(t *testing.T, ch <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("waitConfirm did not return")
		return waitResult{}
	}
}

func assertNoSocket(t *testing.T, sock string) {
	t.Helper()
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket %s still there (err=%v)", sock, err)
	}
}

func TestConfirmViaSocket(t *testing.T) {
	sock := confirmTestSock(t)
	log, out := testLog()
	ch := startWait(t, context.Background(), sock, time.Minute, nil, log)
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi.Mode(), err)
	}
	if err := sendConfirm(sock); err != nil {
		t.Fatalf("sendConfirm: %v", err)
	}
	r := result(t, ch)
	if !r.ok || r.err != nil || r.how != "by `xt2nft confirm`" {
		t.Fatalf("waitConfirm = %+v; want confirmed by xt2nft confirm", r)
	}
	log.Close(time.Second)
	want := "applied; run `xt2nft confirm` within 60s or the previous ruleset is restored\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	assertNoSocket(t, sock)
	if err := sendConfirm(sock); err == nil {
		t.Error("sendConfirm after the apply finished succeeded")
	}
}

// xt2nft rollback ends the wait with "restore now"; a confirm after it is
// refused, never answered "ok".
func TestConfirmRollbackRequest(t *testing.T) {
	sock := confirmTestSock(t)
	ch := startWait(t, context.Background(), sock, time.Minute, nil, nil)
	if err := sendRequest(sock, requestRollback); err != nil {
		t.Fatalf("rollback request: %v", err)
	}
	r := result(t, ch)
	if r.ok || r.err != nil || !strings.Contains(r.how, "xt2nft rollback") {
		t.Fatalf("waitConfirm = %+v; want a rollback", r)
	}
}

func TestConfirmTimeout(t *testing.T) {
	sock := confirmTestSock(t)
	start := time.Now()
	r := wait(context.Background(), sock, 200*time.Millisecond, nil, nil)
	if r.ok || r.err != nil || r.how != "no confirmation within 200ms" {
		t.Fatalf("waitConfirm = %+v; want a timeout", r)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}
	assertNoSocket(t, sock)
}

func TestConfirmFromTTY(t *testing.T) {
	sock := confirmTestSock(t)
	pr, pw := io.Pipe()
	defer pr.Close()
	log, out := testLog()
	ch := startWait(t, context.Background(), sock, time.Minute, pr, log)
	waitForOutput(t, out, "run `xt2nft confirm` (or press Enter) within 60s")
	go pw.Write([]byte("y\n"))
	r := result(t, ch)
	if !r.ok || r.err != nil || r.how != "from the terminal" {
		t.Fatalf("waitConfirm = %+v; want confirmed from the terminal", r)
	}
	assertNoSocket(t, sock)
}

// A terminal that closes (EOF) without a line confirms nothing.
func TestConfirmTTYClosed(t *testing.T) {
	sock := confirmTestSock(t)
	pr, pw := io.Pipe()
	pw.Close()
	if r := wait(context.Background(), sock, 200*time.Millisecond, pr, nil); r.ok || r.err != nil {
		t.Fatalf("waitConfirm = %+v; want a timeout", r)
	}
}

// An *os.File tty with deadlines (a pipe here) is not left with a goroutine
// reading it, nor with a deadline set.
func TestConfirmTTYFileReleased(t *testing.T) {
	sock := confirmTestSock(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if res := wait(context.Background(), sock, 100*time.Millisecond, r, nil); res.ok || res.err != nil {
		t.Fatalf("waitConfirm = %+v; want a timeout", res)
	}
	w.Write([]byte("later\n"))
	buf := make([]byte, 16)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "later\n" {
		t.Errorf("reading the tty afterwards: %q, %v", buf[:n], err)
	}
}

// A signal (a cancelled context) is a "no", and the verdict names it.
func TestConfirmContextCancelled(t *testing.T) {
	sock := confirmTestSock(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := startWait(t, ctx, sock, time.Minute, nil, nil)
	cancel(&SignalError{Signal: syscall.SIGHUP})
	r := result(t, ch)
	if r.ok || r.err != nil || r.how != "not confirmed (interrupted by hangup)" {
		t.Fatalf("waitConfirm = %+v; want a 'no' naming SIGHUP", r)
	}
	assertNoSocket(t, sock)
}

func TestConfirmStaleSocketReplaced(t *testing.T) {
	sock := confirmTestSock(t)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	waitForSocket(t, sock) // the file is left behind, nobody listens
	if err := sendConfirm(sock); err == nil || !strings.Contains(err.Error(), "no apply is waiting for confirmation (stale socket at "+sock+")") {
		t.Errorf("sendConfirm to a stale socket: %v", err)
	}
	ch := make(chan waitResult, 1)
	go func() { ch <- wait(context.Background(), sock, time.Minute, nil, nil) }()
	// Retry until the new listener is up.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := sendConfirm(sock)
		if err == nil {
			break
		}
		select {
		case r := <-ch:
			t.Fatalf("waitConfirm = %+v", r)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sendConfirm: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := result(t, ch); !r.ok || r.err != nil {
		t.Fatalf("waitConfirm = %+v; want confirmed", r)
	}
	assertNoSocket(t, sock)
}

func TestConfirmSecondWaiterRefused(t *testing.T) {
	sock := confirmTestSock(t)
	ch := startWait(t, context.Background(), sock, time.Minute, nil, nil)
	log, out2 := testLog()
	r2 := wait(context.Background(), sock, time.Minute, nil, log)
	if r2.ok || r2.err == nil || !strings.Contains(r2.err.Error(), "another apply is already waiting for confirmation on "+sock) {
		t.Fatalf("second waitConfirm = %+v; want an 'already waiting' error", r2)
	}
	log.Close(time.Second)
	if out2.String() != "" {
		t.Errorf("second waiter printed %q", out2.String())
	}
	// The first one still has its socket and can be confirmed.
	if err := sendConfirm(sock); err != nil {
		t.Fatalf("sendConfirm: %v", err)
	}
	if r := result(t, ch); !r.ok || r.err != nil {
		t.Fatalf("first waitConfirm = %+v; want confirmed", r)
	}
}

func TestConfirmNotASocket(t *testing.T) {
	sock := confirmTestSock(t)
	if err := os.WriteFile(sock, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := wait(context.Background(), sock, time.Minute, nil, nil)
	if r.ok || r.err == nil || !strings.Contains(r.err.Error(), "is not a socket") {
		t.Fatalf("waitConfirm = %+v; want a 'not a socket' error", r)
	}
	if b, _ := os.ReadFile(sock); string(b) != "keep me" {
		t.Errorf("file changed to %q", b)
	}
}

// Junk and half-open connections neither confirm nor disturb the wait.
func TestConfirmIgnoresOtherClients(t *testing.T) {
	sock := confirmTestSock(t)
	ch := startWait(t, context.Background(), sock, time.Minute, nil, nil)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("yes please\n"))
	reply, _ := io.ReadAll(c)
	c.Close()
	if !strings.HasPrefix(string(reply), "error: unknown request") {
		t.Errorf("reply to junk: %q", reply)
	}
	idle, err := net.Dial("unix", sock) // says nothing
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	select {
	case r := <-ch:
		t.Fatalf("waitConfirm returned %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	if err := sendConfirm(sock); err != nil {
		t.Fatal(err)
	}
	if r := result(t, ch); !r.ok || r.err != nil {
		t.Fatalf("waitConfirm = %+v; want confirmed", r)
	}
}

func TestSendConfirmNothingWaiting(t *testing.T) {
	sock := confirmTestSock(t)
	err := sendConfirm(sock)
	want := "no apply is waiting for confirmation (no socket at " + sock + ")"
	if err == nil || err.Error() != want || !errors.Is(err, errNoWaiter) {
		t.Errorf("sendConfirm = %v; want %q", err, want)
	}
	// Nor when the directory does not exist.
	sock = filepath.Join(filepath.Dir(sock), "nodir", "c.sock")
	if err := sendConfirm(sock); err == nil || !strings.Contains(err.Error(), "no socket at") {
		t.Errorf("sendConfirm = %v", err)
	}
}

func TestConfirmBadTimeout(t *testing.T) {
	if r := wait(context.Background(), confirmTestSock(t), 0, nil, nil); r.ok || r.err == nil {
		t.Errorf("waitConfirm with timeout 0 = %+v", r)
	}
}
