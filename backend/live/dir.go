package live

import (
	"fmt"
	"path/filepath"

	"github.com/xt2nft/xt2nft/backend/runlock"
)

// DefaultDir holds the lock, journal and confirmation socket of each
// namespace.
const DefaultDir = runlock.DefaultDir

// runDir is the checked run directory. Everything in it is named by the
// namespace's ID: ns-ID.lock, ns-ID.journal, ns-ID.sock, ns-ID.note.
type runDir struct {
	path string
}

// openDir creates the run directory or checks the one there
// (runlock.PrivateDir: root's or the user's own, 0700, not a link).
func openDir(path string) (*runDir, error) {
	if path == "" {
		path = DefaultDir
	}
	if err := runlock.PrivateDir(path); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	return &runDir{path: path}, nil
}

// file is the path of one of a namespace's files.
func (d *runDir) file(id uint64, ext string) string {
	return filepath.Join(d.path, fmt.Sprintf("ns-%d.%s", id, ext))
}
