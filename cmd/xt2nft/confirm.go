package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// confirmDir holds the sockets on which `xt2nft apply --confirm` waits.
const confirmDir = "/run/xt2nft"

// The protocol on the socket is one request line from the client and one
// reply line from the waiting apply.
const (
	confirmRequest = "confirm\n"
	confirmOK      = "ok\n"
)

// confirmIOTimeout bounds each exchange on the socket, so that a client that
// connects and says nothing cannot hold anything up.
const confirmIOTimeout = 5 * time.Second

// confirmSocket returns the path of the unix socket for a namespace ("" =
// current): /run/xt2nft/confirm.sock or /run/xt2nft/confirm-NETNS.sock.
//
// A name made of anything but letters, digits, '.', '_' and '-' (a path such
// as /proc/PID/ns/net, say), or a long one, is replaced by a sanitized prefix
// and a hash of the whole name, so that distinct namespaces get distinct
// sockets and the path stays well within the 108-byte limit of unix socket
// addresses.
func confirmSocket(netns string) string {
	if netns == "" {
		return confirmDir + "/confirm.sock"
	}
	safe := true
	for _, r := range netns {
		if !confirmSafeRune(r) {
			safe = false
			break
		}
	}
	if safe && len(netns) <= 48 && netns[0] != '.' {
		return confirmDir + "/confirm-" + netns + ".sock"
	}
	var prefix []rune
	for _, r := range strings.Trim(netns, "/.") {
		if len(prefix) == 24 {
			break
		}
		if !confirmSafeRune(r) {
			r = '_'
		}
		prefix = append(prefix, r)
	}
	h := fnv.New64a()
	h.Write([]byte(netns))
	return fmt.Sprintf("%s/confirm-%s-%016x.sock", confirmDir, string(prefix), h.Sum64())
}

func confirmSafeRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// waitConfirm listens on the socket path (creating its directory 0700,
// removing a stale socket, removing it when done), and waits until: a client
// connects and sends the line "confirm\n" (reply "ok\n") -> true; or, when
// tty != nil, a line is read from tty (any keypress + Enter) -> true; or the
// timeout expires -> false; or ctx is cancelled -> false with ctx.Err(). It
// prints a prompt to w: "applied; run `xt2nft confirm` (or press Enter)
// within 60s or the previous ruleset is restored" and a final line saying
// what happened.
//
// If another apply is already waiting on sock (the socket exists and
// something accepts connections on it) waitConfirm fails at once and leaves
// the socket alone; it also refuses to remove anything at sock that is not a
// socket. Only clients running as root or as our own user are listened to
// (SO_PEERCRED), and the socket is made 0600.
//
// The decision is made exactly once: a "confirm" that arrives after the
// timeout is answered with an error, never "ok", so `xt2nft confirm` does not
// claim success for a ruleset that is being rolled back.
//
// Reading tty happens in a goroutine. If tty has a SetReadDeadline method
// that works (an *os.File on a terminal), the read is interrupted before
// waitConfirm returns and the deadline cleared; otherwise the goroutine stays
// blocked until tty yields a line or an error, and that line is consumed.
func waitConfirm(ctx context.Context, sock string, timeout time.Duration, tty io.Reader, w io.Writer) (bool, error) {
	if timeout <= 0 {
		return false, fmt.Errorf("confirmation timeout must be positive, not %v", timeout)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ln, err := confirmListen(sock)
	if err != nil {
		return false, err
	}

	// state: 0 undecided, 1 confirmed, 2 gave up (timeout or ctx).
	var state atomic.Int32
	confirmed := make(chan string, 1) // who confirmed
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
			// A probe by a second apply, or a client that gave up.
			return
		}
		if line != confirmRequest {
			fmt.Fprintf(c, "error: unknown request %q\n", strings.TrimSuffix(line, "\n"))
			return
		}
		if state.CompareAndSwap(0, 1) {
			io.WriteString(c, confirmOK)
			confirmed <- "by `xt2nft confirm`"
			return
		}
		if state.Load() == 1 {
			io.WriteString(c, confirmOK) // a second confirm: already done
			return
		}
		io.WriteString(c, "error: too late, the previous ruleset is being restored\n")
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
				confirmed <- "from the terminal"
			}
		}()
	}

	enter := ""
	if tty != nil {
		enter = " (or press Enter)"
	}
	fmt.Fprintf(w, "applied; run `xt2nft confirm`%s within %s or the previous ruleset is restored\n", enter, confirmDuration(timeout))

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var (
		ok   bool
		how  string
		werr error
	)
	select {
	case how = <-confirmed:
		ok = true
	case <-timer.C:
		if state.CompareAndSwap(0, 2) {
			how = fmt.Sprintf("no confirmation within %s", confirmDuration(timeout))
		} else {
			how, ok = <-confirmed, true
		}
	case <-ctx.Done():
		if state.CompareAndSwap(0, 2) {
			werr = ctx.Err()
			how = fmt.Sprintf("not confirmed (%v)", werr)
		} else {
			how, ok = <-confirmed, true
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

	if ok {
		fmt.Fprintf(w, "confirmed %s; keeping the new ruleset\n", how)
	} else {
		fmt.Fprintf(w, "%s; restoring the previous ruleset\n", how)
	}
	return ok, werr
}

// confirmListen creates the directory of sock and listens on it, replacing a
// stale socket but not a live one.
func confirmListen(sock string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return nil, fmt.Errorf("confirmation socket: %w", err)
	}
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
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, busy
		}
		return nil, fmt.Errorf("confirmation socket: %w", err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
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

// sendConfirm connects to the socket, sends "confirm\n", waits for "ok\n";
// clear error when nothing is waiting ("no apply is waiting for confirmation
// (no socket at PATH)").
func sendConfirm(sock string) error {
	c, err := net.DialTimeout("unix", sock, confirmIOTimeout)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			return fmt.Errorf("no apply is waiting for confirmation (no socket at %s)", sock)
		case errors.Is(err, syscall.ECONNREFUSED):
			return fmt.Errorf("no apply is waiting for confirmation (stale socket at %s)", sock)
		case errors.Is(err, fs.ErrPermission):
			return fmt.Errorf("cannot reach the apply waiting on %s: permission denied (not root?)", sock)
		default:
			return fmt.Errorf("cannot reach the apply waiting on %s: %w", sock, err)
		}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(confirmIOTimeout))
	if _, err := io.WriteString(c, confirmRequest); err != nil {
		return fmt.Errorf("sending confirmation to %s: %w", sock, err)
	}
	reply, err := bufio.NewReader(io.LimitReader(c, 1024)).ReadString('\n')
	if err != nil {
		if reply == "" && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return errors.New("the waiting apply hung up without confirming (it may have just timed out and restored the previous ruleset)")
		}
		return fmt.Errorf("reading the reply from %s: %w", sock, err)
	}
	if reply == confirmOK {
		return nil
	}
	return fmt.Errorf("not confirmed: %s", strings.TrimPrefix(strings.TrimSpace(reply), "error: "))
}
