package live

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// An apply that may have to roll back (--confirm, or a migration of
// several steps) writes a journal before it changes anything: for each step
// the backend's kind, its snapshot and, once applied, its mark. The journal
// is what makes a rollback survive the process: the guard (guard.go) and
// any later run in the namespace find it and roll back a run that died,
// kill -9 included. It is removed when the run ends, confirmed or rolled
// back; one that is left is by definition unfinished (its writer no longer
// holds the lock).

// journal is the file ns-ID.journal.
type journal struct {
	Version int       `json:"version"`
	Token   string    `json:"token"` // this run's, for its guard
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	NS      string    `json:"netns"` // the name given, for messages
	Started time.Time `json:"started"`
	Until   time.Time `json:"until,omitempty"` // the confirmation deadline
	State   string    `json:"state"`           // applying, waiting, rolling back
	Steps   []step    `json:"steps"`
}

// step is one backend's part of a journal. Its snapshot, which can be
// big (megabytes for 20,000 rules), is a file of its own, written once:
// ns-ID.step-K, next to the journal, which is rewritten as the run goes.
type step struct {
	Kind     string `json:"kind"`
	Snapshot []byte `json:"-"`
	File     string `json:"file"`
	Mark     []byte `json:"mark,omitempty"` // set once the step is applied
	Applied  bool   `json:"applied"`
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeJournal replaces the journal atomically (a new file, synced,
// renamed over the old one, and the directory synced), after writing the
// snapshots it does not have in files yet.
func writeJournal(d *runDir, id uint64, j *journal) error {
	for k := range j.Steps {
		if st := &j.Steps[k]; st.File == "" {
			name := fmt.Sprintf("step-%d", k)
			if err := writeAtomic(d.file(id, name), st.Snapshot); err != nil {
				return err
			}
			st.File = name
		}
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return writeAtomic(d.file(id, "journal"), b)
}

// writeAtomic writes a file of the run directory atomically.
func writeAtomic(path string, b []byte) error {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("writing the journal: %w", &fs.PathError{Op: "open", Path: tmp, Err: err})
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, werr := f.Write(b)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing the journal: %w", werr)
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return nil
}

// readJournal returns the namespace's journal, nil when there is none
// (the snapshots are read when they are needed).
func readJournal(d *runDir, id uint64) (*journal, error) {
	path := d.file(id, "journal")
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", &fs.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	j := &journal{}
	if err := json.NewDecoder(f).Decode(j); err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w", path, err)
	}
	return j, nil
}

// snapshot is a step's snapshot, read from its file if need be.
func (st *step) snapshot(d *runDir, id uint64) ([]byte, error) {
	if st.Snapshot == nil {
		b, err := readFile(d.file(id, st.File))
		if err != nil {
			return nil, fmt.Errorf("reading the journal's snapshot: %w", err)
		}
		st.Snapshot = b
	}
	return st.Snapshot, nil
}

func readFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	return io.ReadAll(f)
}

// removeJournal removes the journal, then its snapshots.
func removeJournal(d *runDir, id uint64) error {
	if err := os.Remove(d.file(id, "journal")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	steps, _ := filepath.Glob(d.file(id, "step-*"))
	for _, f := range steps {
		os.Remove(f)
	}
	return nil
}

// A note is what a guard that rolled back a dead run leaves for the next
// run to show (the guard's own output may have gone with the terminal).
func writeNote(d *runDir, id uint64, text string) {
	fd, err := unix.Open(d.file(id, "note"), unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	_, _ = unix.Write(fd, []byte(text))
	unix.Close(fd)
}

func takeNote(d *runDir, id uint64) string {
	path := d.file(id, "note")
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	os.Remove(path)
	return string(b)
}
