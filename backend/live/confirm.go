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

	// state: 0 undecided, 1 confirmed, 2 restore (timeout, ctx, rollback).
	var state atomic.Int32
	decided := make(chan verdict, 1)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  = map[net.Conn]bool{}
		closed bool
	)
	handle := func(c *net.UnixConn) {
		defer func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
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
		switch strings.TrimSuffix(line, "\n") {
		case requestConfirm:
			if state.CompareAndSwap(0, 1) {
				io.WriteString(c, replyOK)
				decided <- verdict{keep: true, how: "by `xt2nft confirm`"}
			} else if state.Load() == 1 {
				io.WriteString(c, replyOK) // a second confirm: already done
			} else {
				io.WriteString(c, "error: too late, the previous ruleset is being restored\n")
			}
		case requestRollback:
			if state.CompareAndSwap(0, 2) {
				io.WriteString(c, replyOK)
				decided <- verdict{how: "rollback asked for by `xt2nft rollback`"}
			} else if state.Load() == 2 {
				io.WriteString(c, replyOK)
			} else {
				io.WriteString(c, "error: too late, the new ruleset was confirmed\n")
			}
		default:
			fmt.Fprintf(c, "error: unknown request %q\n", strings.TrimSuffix(line, "\n"))
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(10 * time.Millisecond) // EMFILE and the like
				continue
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			conns[c] = true
			wg.Add(1)
			mu.Unlock()
			go func() {
				defer wg.Done()
				handle(c)
			}()
		}
	}()

	var ttyDone chan struct{}
	if tty != nil {
		ttyDone = make(chan struct{})
		go func() {
			defer close(ttyDone)
			if _, err := bufio.NewReader(tty).ReadString('\n'); err != nil {
				return // closed or interrupted: no confirmation from there
			}
			if state.CompareAndSwap(0, 1) {
				decided <- verdict{keep: true, how: "from the terminal"}
			}
		}()
	}

	enter := ""
	if tty != nil {
		enter = " (or press Enter)"
	}
	log.Printf("applied; run `xt2nft confirm`%s within %s or the previous ruleset is restored", enter, confirmDuration(timeout))

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var v verdict
	select {
	case v = <-decided:
	case <-timer.C:
		if state.CompareAndSwap(0, 2) {
			v.how = fmt.Sprintf("no confirmation within %s", confirmDuration(timeout))
		} else {
			v = <-decided
		}
	case <-ctx.Done():
		if state.CompareAndSwap(0, 2) {
			v.how = "not confirmed (" + cause(ctx) + ")"
		} else {
			v = <-decided
		}
	}

	// Stop listening (this removes the socket), drop the clients, and wait
	// for the goroutines that use them.
	ln.Close()
	mu.Lock()
	closed = true
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	if ttyDone != nil {
		if d, isDL := tty.(interface{ SetReadDeadline(time.Time) error }); isDL {
			if d.SetReadDeadline(time.Now()) == nil {
				select {
				case <-ttyDone:
				case <-time.After(time.Second):
				}
				d.SetReadDeadline(time.Time{})
			}
		}
	}
	return v, nil
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
