// Package runlock serialises xt2nft's processes on shared kernel state with
// advisory locks (flock) on files in a private run-time directory,
// /run/xt2nft. A lock is held as long as its file is open, so a process
// that dies, however it dies, releases it.
//
// The directory is trusted only if this process's user owns it and nobody
// else may enter it (mode 0700 or stricter); otherwise another user could
// swap or hold the lock files. It is created so when absent.
package runlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// DefaultDir is the directory of the lock files.
const DefaultDir = "/run/xt2nft"

// PrivateDir creates dir (mode 0700, and its parents) if it is absent and
// returns an error unless it is a directory, not a symbolic link, owned by
// root or by this process's effective user, with no permissions for group
// or others. Another user who owns it, or may write to it, could replace
// what is in it (a lock, the confirmation socket, a journal) or hold the
// paths so that every run fails; such a directory is refused, not
// repaired. The checks are made on the opened directory (fstat), so a
// directory swapped in between cannot pass them.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(dir), err)
	}
	if err := unix.Mkdir(dir, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w (it must be a directory, not a link); refusing to use it", dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	switch {
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%s is owned by uid %d, not root: another user could act for xt2nft there; refusing to use it (remove it, and xt2nft creates it again)", dir, st.Uid)
	case st.Mode&0o077 != 0:
		return fmt.Errorf("%s has mode %04o: others may change what is in it; refusing to use it (chmod 700 it, or remove it)", dir, st.Mode&0o7777)
	}
	return nil
}

// ErrHeld is Acquire's answer when another process holds the lock and the
// caller would not wait.
var ErrHeld = errors.New("held by another process")

// Acquire takes the exclusive flock of the file at path (created 0600, never
// through a symbolic link), waiting for its holder if wait, else failing
// with ErrHeld. A holder removes the file when it lets go (see Lock), so a
// lock taken on a file that is no longer the one at path is stale: Acquire
// tries again. It returns the open descriptor, which holds the lock.
func Acquire(path string, wait bool) (int, error) {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return -1, fmt.Errorf("opening lock %s: %w", path, err)
		}
		for {
			err = unix.Flock(fd, how)
			if err != syscall.EINTR {
				break
			}
		}
		if errors.Is(err, unix.EWOULDBLOCK) {
			unix.Close(fd)
			return -1, ErrHeld
		}
		if err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("locking %s: %w", path, err)
		}
		var held, named unix.Stat_t
		if unix.Fstat(fd, &held) == nil && unix.Lstat(path, &named) == nil && held.Dev == named.Dev && held.Ino == named.Ino {
			return fd, nil
		}
		unix.Close(fd) // released and removed meanwhile: try again
	}
}

// Lock takes the exclusive lock dir/name, waiting while another process
// holds it, and returns the function that releases it. name must be a plain
// file name. The file is removed on release, so locks leave nothing
// behind: a waiter that then gets the lock of the removed file sees that
// the name no longer leads to it, and tries again.
func Lock(dir, name string) (unlock func(), err error) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return nil, fmt.Errorf("bad lock name %q", name)
	}
	if err := PrivateDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	fd, err := Acquire(path, true)
	if err != nil {
		return nil, err
	}
	return func() {
		unix.Unlink(path)
		unix.Close(fd)
	}, nil
}
