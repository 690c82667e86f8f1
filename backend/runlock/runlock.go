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

// PrivateDir creates dir (mode 0700) if it is absent and returns an error
// unless it is a directory (not a symbolic link) owned by this process's
// effective user that no other user may enter.
func PrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("%s is not a directory (a symbolic link?); refusing to use it", dir)
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%s belongs to uid %d, not to this process's uid %d; refusing to use it (remove it, or chown it)", dir, st.Uid, os.Geteuid())
	case st.Mode&0o077 != 0:
		return fmt.Errorf("%s has mode %04o: other users may enter it; refusing to use it (chmod 0700 it)", dir, st.Mode&0o7777)
	}
	return nil
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
	for {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening lock %s: %w", path, err)
		}
		for {
			err = unix.Flock(fd, unix.LOCK_EX)
			if err != syscall.EINTR {
				break
			}
		}
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		var held, named unix.Stat_t
		if unix.Fstat(fd, &held) == nil && unix.Lstat(path, &named) == nil && held.Dev == named.Dev && held.Ino == named.Ino {
			return func() {
				unix.Unlink(path)
				unix.Close(fd)
			}, nil
		}
		unix.Close(fd) // released and removed meanwhile: try again
	}
}
