package live

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DefaultDir holds the lock, journal and confirmation socket of each
// namespace.
const DefaultDir = "/run/xt2nft"

// runDir is the checked run directory. Everything in it is named by the
// namespace's ID: ns-ID.lock, ns-ID.journal, ns-ID.sock, ns-ID.note.
type runDir struct {
	path string
}

// openDir creates the run directory (0700) or checks the one there: a
// directory, not a symbolic link, owned by root (or by the user running
// xt2nft), with no permissions for group or others. Another user who owns
// it, or may write to it, could replace the socket (and answer `xt2nft
// confirm` in place of the waiting apply) or the journal, or hold the
// paths so that every apply fails; such a directory is refused, not
// repaired. The checks are made on the opened directory (fstat), so a
// directory swapped in between cannot pass them.
func openDir(path string) (*runDir, error) {
	if path == "" {
		path = DefaultDir
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	if err := unix.Mkdir(path, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("creating the run directory %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("run directory %s: %w (it must be a directory, not a link)", path, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("run directory %s: %w", path, err)
	}
	if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("run directory %s is owned by uid %d, not root: another user could answer for xt2nft there; refusing to use it (remove it, and xt2nft creates it again)", path, st.Uid)
	}
	if st.Mode&0o077 != 0 {
		return nil, fmt.Errorf("run directory %s has mode %04o: others may change what is in it; refusing to use it (chmod 700 it, or remove it)", path, st.Mode&0o7777)
	}
	return &runDir{path: path}, nil
}

// file is the path of one of a namespace's files.
func (d *runDir) file(id uint64, ext string) string {
	return filepath.Join(d.path, fmt.Sprintf("ns-%d.%s", id, ext))
}
