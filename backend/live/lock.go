package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/runlock"
)

// Every run that reads or changes a namespace's ruleset (plan, apply,
// migrate, confirm and rollback of a run that died, the guard) holds the
// namespace's lock: flock(2) on ns-ID.lock in the run directory, keyed by
// the namespace's cookie (netns.NS.ID), not its name, so that two names of
// one namespace share it. A lock dies with its holder, kill -9 included.
// The holder writes who it is into the file, so that a run that finds the
// lock taken can say by whom; an apply waiting for confirmation holds it
// for the whole wait, and a second run then fails at once (waiting for a
// person to answer would make no sense) instead of waiting.

// holder is what the lock's holder writes into it.
type holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// Until is set while an apply waits for confirmation: the deadline.
	Until time.Time `json:"until,omitempty"`
}

// ErrBusy is the lock held by another run that waits for confirmation,
// or one that did not let go in time.
var ErrBusy = errors.New("another xt2nft run holds this namespace")

// BusyError says which run holds the lock.
type BusyError struct {
	Holder  holder
	Waiting bool   // the holder waits for confirmation
	Netns   string // " --netns NAME", for the commands it suggests
}

func (e *BusyError) Error() string {
	h := e.Holder
	if e.Waiting {
		return fmt.Sprintf("%s: pid %d (%s) is waiting for confirmation until %s; confirm it (xt2nft confirm%s) or roll it back (xt2nft rollback%s) first",
			ErrBusy, h.PID, h.Command, h.Until.Format(time.TimeOnly), e.Netns, e.Netns)
	}
	if h.PID == 0 {
		return ErrBusy.Error()
	}
	return fmt.Sprintf("%s: pid %d (%s, since %s) did not finish in time", ErrBusy, h.PID, h.Command, h.Since.Format(time.TimeOnly))
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// lock is a held namespace lock.
type lock struct {
	fd   int
	path string
	me   holder
}

// takeLock takes the namespace's lock, waiting up to wait for a holder
// that is not waiting for confirmation (patient: for any holder; the guard
// waits so, since a rollback must not give up).
func takeLock(d *runDir, id uint64, me holder, wait time.Duration, patient bool) (*lock, error) {
	path := d.file(id, "lock")
	deadline := time.Now().Add(wait)
	for {
		fd, err := runlock.Acquire(path, false)
		if err == nil {
			l := &lock{fd: fd, path: path, me: me}
			l.write()
			return l, nil
		}
		if !errors.Is(err, runlock.ErrHeld) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		h := readHolder(path)
		// What the file says may be stale for a moment (a new holder has
		// not written itself yet, and the last one died): only a holder
		// that is alive and says it waits makes us give up at once.
		if !patient && !h.Until.IsZero() && alive(h.PID) {
			return nil, &BusyError{Holder: h, Waiting: true}
		}
		if time.Now().After(deadline) {
			return nil, &BusyError{Holder: h}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether a process pid exists.
func alive(pid int) bool {
	return pid > 0 && unix.Kill(pid, 0) != unix.ESRCH
}

// readHolder reads who holds the lock at path.
func readHolder(path string) holder {
	var h holder
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return h
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, _ := unix.Pread(fd, buf, 0)
	if n > 0 {
		_ = json.Unmarshal(buf[:n], &h)
	}
	return h
}

// write records the holder in the lock file.
func (l *lock) write() {
	b, _ := json.Marshal(l.me)
	_ = unix.Ftruncate(l.fd, 0)
	_, _ = unix.Pwrite(l.fd, b, 0)
}

// waiting records that the holder waits for confirmation until t.
func (l *lock) waiting(until time.Time) {
	l.me.Until = until
	l.write()
}

// release unlinks the lock file and lets go of it (the unlink first, while
// it is held, so that a waiter that opened it sees it is stale).
func (l *lock) release() {
	if l == nil {
		return
	}
	_ = os.Remove(l.path)
	_ = unix.Close(l.fd)
}
