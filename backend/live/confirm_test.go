package main

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
	err error
}

// startWait runs waitConfirm in a goroutine and waits for its socket.
func startWait(t *testing.T, ctx context.Context, sock string, timeout time.Duration, tty io.Reader, w io.Writer) <-chan waitResult {
	t.Helper()
	ch := make(chan waitResult, 1)
	go func() {
		ok, err := waitConfirm(ctx, sock, timeout, tty, w)
		ch <- waitResult{ok, err}
	}()
	waitForSocket(t, sock)
	return ch
}

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

func TestConfirmSocketPath(t *testing.T) {
	for _, tt := range []struct{ netns, want string }{
		{"", "/run/xt2nft/confirm.sock"},
		{"blue", "/run/xt2nft/confirm-blue.sock"},
		{"ns-1.test_2", "/run/xt2nft/confirm-ns-1.test_2.sock"},
	} {
		if got := confirmSocket(tt.netns); got != tt.want {
			t.Errorf("confirmSocket(%q) = %q, want %q", tt.netns, got, tt.want)
		}
	}
	seen := map[string]string{}
	for _, ns := range []string{"/proc/1/ns/net", "/proc/2/ns/net", "a/b", "a_b", "..", strings.Repeat("x", 300), strings.Repeat("x", 301), "ünï"} {
		p := confirmSocket(ns)
		if !strings.HasPrefix(p, "/run/xt2nft/confirm-") || !strings.HasSuffix(p, ".sock") ||
			strings.Contains(p[len("/run/xt2nft/"):], "/") || len(p) > 100 {
			t.Errorf("confirmSocket(%q) = %q", ns, p)
		}
		if other, dup := seen[p]; dup {
			t.Errorf("confirmSocket(%q) = confirmSocket(%q) = %q", ns, other, p)
		}
		seen[p] = ns
	}
}

func TestConfirmViaSocket(t *testing.T) {
	sock := confirmTestSock(t)
	var out syncBuffer
	ch := startWait(t, context.Background(), sock, time.Minute, nil, &out)
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi.Mode(), err)
	}
	errc := make(chan error, 1)
	go func() { errc <- sendConfirm(sock) }()
	if err := <-errc; err != nil {
		t.Fatalf("sendConfirm: %v", err)
	}
	r := result(t, ch)
	if !r.ok || r.err != nil {
		t.Fatalf("waitConfirm = %v, %v; want true, nil", r.ok, r.err)
	}
	want := "applied; run `xt2nft confirm` within 60s or the previous ruleset is restored\n" +
		"confirmed by `xt2nft confirm`; keeping the new ruleset\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	assertNoSocket(t, sock)
	if err := sendConfirm(sock); err == nil {
		t.Error("sendConfirm after the apply finished succeeded")
	}
}

func TestConfirmTimeout(t *testing.T) {
	sock := confirmTestSock(t)
	var out bytes.Buffer
	start := time.Now()
	ok, err := waitConfirm(context.Background(), sock, 200*time.Millisecond, nil, &out)
	if ok || err != nil {
		t.Fatalf("waitConfirm = %v, %v; want false, nil", ok, err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}
	want := "applied; run `xt2nft confirm` within 200ms or the previous ruleset is restored\n" +
		"no confirmation within 200ms; restoring the previous ruleset\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	assertNoSocket(t, sock)
}

func TestConfirmFromTTY(t *testing.T) {
	sock := confirmTestSock(t)
	pr, pw := io.Pipe()
	defer pr.Close()
	var out syncBuffer
	ch := startWait(t, context.Background(), sock, time.Minute, pr, &out)
	if !strings.Contains(out.String(), "run `xt2nft confirm` (or press Enter) within 60s") {
		t.Errorf("prompt: %q", out.String())
	}
	go pw.Write([]byte("y\n"))
	r := result(t, ch)
	if !r.ok || r.err != nil {
		t.Fatalf("waitConfirm = %v, %v; want true, nil", r.ok, r.err)
	}
	if !strings.HasSuffix(out.String(), "confirmed from the terminal; keeping the new ruleset\n") {
		t.Errorf("output: %q", out.String())
	}
	assertNoSocket(t, sock)
}

// A terminal that closes (EOF) without a line confirms nothing.
func TestConfirmTTYClosed(t *testing.T) {
	sock := confirmTestSock(t)
	pr, pw := io.Pipe()
	pw.Close()
	ok, err := waitConfirm(context.Background(), sock, 200*time.Millisecond, pr, io.Discard)
	if ok || err != nil {
		t.Fatalf("waitConfirm = %v, %v; want false, nil", ok, err)
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
	ok, err := waitConfirm(context.Background(), sock, 100*time.Millisecond, r, io.Discard)
	if ok || err != nil {
		t.Fatalf("waitConfirm = %v, %v; want false, nil", ok, err)
	}
	w.Write([]byte("later\n"))
	buf := make([]byte, 16)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "later\n" {
		t.Errorf("reading the tty afterwards: %q, %v", buf[:n], err)
	}
}

func TestConfirmContextCancelled(t *testing.T) {
	sock := confirmTestSock(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	ch := startWait(t, ctx, sock, time.Minute, nil, &out)
	cancel()
	r := result(t, ch)
	if r.ok || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("waitConfirm = %v, %v; want false, context.Canceled", r.ok, r.err)
	}
	if !strings.HasSuffix(out.String(), "not confirmed (context canceled); restoring the previous ruleset\n") {
		t.Errorf("output: %q", out.String())
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
	go func() {
		ok, err := waitConfirm(context.Background(), sock, time.Minute, nil, io.Discard)
		ch <- waitResult{ok, err}
	}()
	// Retry until the new listener is up.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := sendConfirm(sock)
		if err == nil {
			break
		}
		select {
		case r := <-ch:
			t.Fatalf("waitConfirm = %v, %v", r.ok, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sendConfirm: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := result(t, ch); !r.ok || r.err != nil {
		t.Fatalf("waitConfirm = %v, %v; want true, nil", r.ok, r.err)
	}
	assertNoSocket(t, sock)
}

func TestConfirmSecondWaiterRefused(t *testing.T) {
	sock := confirmTestSock(t)
	var out syncBuffer
	ch := startWait(t, context.Background(), sock, time.Minute, nil, &out)

	var out2 bytes.Buffer
	ok, err := waitConfirm(context.Background(), sock, time.Minute, nil, &out2)
	if ok || err == nil || !strings.Contains(err.Error(), "another apply is already waiting for confirmation on "+sock) {
		t.Fatalf("second waitConfirm = %v, %v; want an 'already waiting' error", ok, err)
	}
	if out2.Len() != 0 {
		t.Errorf("second waiter printed %q", out2.String())
	}
	// The first one still has its socket and can be confirmed.
	if err := sendConfirm(sock); err != nil {
		t.Fatalf("sendConfirm: %v", err)
	}
	if r := result(t, ch); !r.ok || r.err != nil {
		t.Fatalf("first waitConfirm = %v, %v; want true, nil", r.ok, r.err)
	}
}

func TestConfirmNotASocket(t *testing.T) {
	sock := confirmTestSock(t)
	if err := os.WriteFile(sock, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok, err := waitConfirm(context.Background(), sock, time.Minute, nil, io.Discard)
	if ok || err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Fatalf("waitConfirm = %v, %v; want a 'not a socket' error", ok, err)
	}
	if b, _ := os.ReadFile(sock); string(b) != "keep me" {
		t.Errorf("file changed to %q", b)
	}
}

func TestConfirmCreatesDirectory(t *testing.T) {
	sock := filepath.Join(filepath.Dir(confirmTestSock(t)), "run", "c.sock")
	ch := startWait(t, context.Background(), sock, time.Minute, nil, io.Discard)
	fi, err := os.Stat(filepath.Dir(sock))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	if err := sendConfirm(sock); err != nil {
		t.Fatal(err)
	}
	result(t, ch)
}

// Junk and half-open connections neither confirm nor disturb the wait.
func TestConfirmIgnoresOtherClients(t *testing.T) {
	sock := confirmTestSock(t)
	ch := startWait(t, context.Background(), sock, time.Minute, nil, io.Discard)
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
		t.Fatalf("waitConfirm returned %v, %v", r.ok, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := sendConfirm(sock); err != nil {
		t.Fatal(err)
	}
	if r := result(t, ch); !r.ok || r.err != nil {
		t.Fatalf("waitConfirm = %v, %v; want true, nil", r.ok, r.err)
	}
}

func TestSendConfirmNothingWaiting(t *testing.T) {
	sock := confirmTestSock(t)
	err := sendConfirm(sock)
	want := "no apply is waiting for confirmation (no socket at " + sock + ")"
	if err == nil || err.Error() != want {
		t.Errorf("sendConfirm = %v; want %q", err, want)
	}
	// Nor when the directory does not exist.
	sock = filepath.Join(filepath.Dir(sock), "nodir", "c.sock")
	if err := sendConfirm(sock); err == nil || !strings.Contains(err.Error(), "no socket at") {
		t.Errorf("sendConfirm = %v", err)
	}
}

func TestConfirmBadTimeout(t *testing.T) {
	if ok, err := waitConfirm(context.Background(), confirmTestSock(t), 0, nil, io.Discard); ok || err == nil {
		t.Errorf("waitConfirm with timeout 0 = %v, %v", ok, err)
	}
}
