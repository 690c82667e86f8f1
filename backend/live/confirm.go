package live

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// An apply waiting for confirmation listens on a unix socket, ns-ID.sock in
// the run directory. The protocol is one request line from the client and
// one reply line from the waiting apply: "confirm" keeps the new ruleset,
// "rollback" restores the previous one now; the reply is "ok" or
// "error: ...".
const (
	requestConfirm  = "confirm"
	requestRollback = "rollback"
	replyOK         = "ok\n"
)

// confirmIOTimeout bounds each exchange on the socket, so that a client that
// connects and says nothing cannot hold anything up.
const confirmIOTimeout = 5 * time.Second

// verdict is how a wait for confirmation ended.
type verdict struct {
	keep bool   // confirmed
	how  string // "by `xt2nft confirm`", "no confirmation within 20s", ...
}

// waitConfirm listens on sock and waits until: a client connects and sends
// "confirm" (reply "ok") -> keep; or "rollback" -> restore now; or, when
// tty != nil, a line is read from tty (Enter) -> keep; or the timeout
// expires; or ctx is cancelled (a signal) -> restore. It logs the prompt;
// what happened is for the caller to say once it has acted on it (after
// the rollback, not before: nothing may stand between the two).
//
// If another apply is already waiting on sock (something accepts
// connections on it) waitConfirm fails at once and leaves the socket
// alone; it also refuses to remove anything at sock that is not a socket.
// Only clients running as root or as our own user are listened to
// (SO_PEERCRED); the socket is created with mode 0600 (umask set before
// bind, so there is no moment with a wider mode and no chmod that could
// follow a link), in a directory only root may change (openDir).
//
// The decision is made exactly once: a "confirm" that arrives after the
// timeout is answered with an error, never "ok", so `xt2nft confirm` does
// not claim success for a ruleset that is being rolled back.
//
// Reading tty happens in a goroutine. If tty has a SetReadDeadline method
// that works (an *os.File on a terminal), the read is interrupted before
// waitConfirm returns and the deadline cleared; otherwise the goroutine stays
// blocked until tty yields a line or an error, and that line is consumed.
func waitConfirm(ctx context.Context, sock string, timeout time.Duration, tty io.Reader, log *Log) (verdict, error) {
	if timeout <= 0 {
		return verdict{}, fmt.Errorf("confirmation timeout must be positive, not %v", timeout)
	}
	if err := ctx.Err(); err != nil {
		return verdict{how: "not confirmed (" + cause(ctx) + ")"}, nil
	}
	ln, err := confirmListen(sock)
	if err != nil {
		return verdict{}, err
	}
	w := &waiter{decided: make(chan verdict, 1), conns: map[net.Conn]bool{}}
	w.wg.Add(1)
	go w.serve(ln)
	var ttyDone chan struct{}
	enter := ""
	if tty != nil {
		ttyDone = w.readTTY(tty)
		enter = " (or press Enter)"
	}
	log.Printf("applied; run `xt2nft confirm`%s within %s or the previous ruleset is restored", enter, confirmDuration(timeout))

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var v verdict
	select {
	case v = <-w.decided:
	case <-timer.C:
		v = w.giveUp(fmt.Sprintf("no confirmation within %s", confirmDuration(timeout)))
	case <-ctx.Done():
		v = w.giveUp("not confirmed (" + cause(ctx) + ")")
	}
	w.stop(ln)
	releaseTTY(tty, ttyDone)
	return v, nil
}

// waiter is one wait's state: the decision, taken once (0 undecided, 1
// confirmed, 2 restore), and the clients being served.
type waiter struct {
	state   atomic.Int32
	decided chan verdict
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]bool
	closed  bool
}

// giveUp decides "restore" for how, unless a confirmation came first.
func (w *waiter) giveUp(how string) verdict {
	if w.state.CompareAndSwap(0, 2) {
		return verdict{how: how}
	}
	return <-w.decided
}

// serve accepts clients until the listener closes.
func (w *waiter) serve(ln *net.UnixListener) {
	defer w.wg.Done()
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like
			continue
		}
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			c.Close()
			return
		}
		w.conns[c] = true
		w.wg.Add(1)
		w.mu.Unlock()
		go func() {
			defer w.wg.Done()
			w.handle(c)
		}()
	}
}

// handle answers one client's request.
func (w *waiter) handle(c *net.UnixConn) {
	defer func() {
		w.mu.Lock()
		delete(w.conns, c)
		w.mu.Unlock()
		c.Close()
	}()
	c.SetDeadline(time.Now().Add(confirmIOTimeout))
	if err := confirmPeerAllowed(c); err != nil {
		fmt.Fprintf(c, "error: %v\n", err)
		return
	}
	line, err := bufio.NewReader(io.LimitReader(c, 256)).ReadString('\n')
	if err != nil {
		return // a probe by a second apply, or a client that gave up
	}
	req := strings.TrimSuffix(line, "\n")
	want, other := int32(1), int32(2)
	v := verdict{keep: true, how: "by `xt2nft confirm`"}
	tooLate := "the previous ruleset is being restored"
	switch req {
	case requestConfirm:
	case requestRollback:
		want, other = 2, 1
		v = verdict{how: "rollback asked for by `xt2nft rollback`"}
		tooLate = "the new ruleset was confirmed"
	default:
		fmt.Fprintf(c, "error: unknown request %q\n", req)
		return
	}
	switch {
	case w.state.CompareAndSwap(0, want):
		io.WriteString(c, replyOK)
		w.decided <- v
	case w.state.Load() == want:
		io.WriteString(c, replyOK) // asked twice: already done
	case w.state.Load() == other:
		io.WriteString(c, "error: too late, "+tooLate+"\n")
	}
}

// readTTY confirms on a line read from tty; the channel closes when the
// read ends.
func (w *waiter) readTTY(tty io.Reader) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := bufio.NewReader(tty).ReadString('\n'); err != nil {
			return // closed or interrupted: no confirmation from there
		}
		if w.state.CompareAndSwap(0, 1) {
			w.decided <- verdict{keep: true, how: "from the terminal"}
		}
	}()
	return done
}

// stop stops listening (this removes the socket), drops the clients, and
// waits for the goroutines that serve them.
func (w *waiter) stop(ln *net.UnixListener) {
	ln.Close()
	w.mu.Lock()
	w.closed = true
	for c := range w.conns {
		c.Close()
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// releaseTTY interrupts a pending read of tty when it has deadlines (a
// terminal) and clears the deadline.
func releaseTTY(tty io.Reader, done chan struct{}) {
	if done == nil {
		return
	}
	if d, ok := tty.(interface{ SetReadDeadline(time.Time) error }); ok && d.SetReadDeadline(time.Now()) == nil {
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		d.SetReadDeadline(time.Time{})
	}
}

// cause says why ctx ended ("interrupted by hangup").
func cause(ctx context.Context) string {
	var se *SignalError
	if errors.As(context.Cause(ctx), &se) {
		return se.Error()
	}
	return ctx.Err().Error()
}

// confirmListen listens on sock, replacing a stale socket but not a live
// one.
func confirmListen(sock string) (*net.UnixListener, error) {
	busy := fmt.Errorf("another apply is already waiting for confirmation on %s; confirm it or let it time out first", sock)
	if fi, err := os.Lstat(sock); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("confirmation socket: %s exists and is not a socket; not removing it", sock)
		}
		c, err := net.DialTimeout("unix", sock, time.Second)
		switch {
		case err == nil:
			c.Close()
			return nil, busy
		case errors.Is(err, syscall.ECONNREFUSED):
			// Left behind by an apply that died: nobody listens.
			if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("removing stale confirmation socket: %w", err)
			}
		case errors.Is(err, fs.ErrNotExist):
			// Gone in the meantime.
		default:
			return nil, fmt.Errorf("checking for an apply waiting on %s: %w", sock, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("confirmation socket: %w", err)
	}
	// The socket file gets its mode from the umask when bind creates it.
	old := unix.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, busy
		}
		return nil, fmt.Errorf("confirmation socket: %w", err)
	}
	return ln, nil
}

// confirmPeerAllowed accepts clients running as root or as our user.
func confirmPeerAllowed(c *net.UnixConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var (
		cred *unix.Ucred
		cerr error
	)
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("reading peer credentials: %w", cerr)
	}
	if cred.Uid != 0 && int(cred.Uid) != os.Geteuid() {
		return fmt.Errorf("uid %d may not confirm", cred.Uid)
	}
	return nil
}

// confirmDuration prints 60s as "60s" rather than "1m0s".
func confirmDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// errNoWaiter is no apply listening on the socket.
var errNoWaiter = errors.New("no apply is waiting for confirmation")

// sendRequest connects to the socket, sends the request line and waits for
// "ok". An error that wraps errNoWaiter means nothing listens there.
func sendRequest(sock, req string) error {
	c, err := net.DialTimeout("unix", sock, confirmIOTimeout)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			return fmt.Errorf("%w (no socket at %s)", errNoWaiter, sock)
		case errors.Is(err, syscall.ECONNREFUSED):
			return fmt.Errorf("%w (stale socket at %s)", errNoWaiter, sock)
		case errors.Is(err, fs.ErrPermission):
			return fmt.Errorf("cannot reach the apply waiting on %s: permission denied (not root?)", sock)
		default:
			return fmt.Errorf("cannot reach the apply waiting on %s: %w", sock, err)
		}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(confirmIOTimeout))
	if _, err := io.WriteString(c, req+"\n"); err != nil {
		return fmt.Errorf("sending %s to %s: %w", req, sock, err)
	}
	reply, err := bufio.NewReader(io.LimitReader(c, 1024)).ReadString('\n')
	if err != nil {
		if reply == "" && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return errors.New("the waiting apply hung up without answering (it may have just timed out and restored the previous ruleset)")
		}
		return fmt.Errorf("reading the reply from %s: %w", sock, err)
	}
	if reply == replyOK {
		return nil
	}
	return fmt.Errorf("not done: %s", strings.TrimPrefix(strings.TrimSpace(reply), "error: "))
}
