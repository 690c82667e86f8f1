package live

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/xt2nft/xt2nft/backend/netns"
)

// SIGKILL cannot be caught, so an apply that may have to roll back is
// watched by a guard: a child process, started once the journal is written
// and before anything is applied, in a session of its own (so that the
// signals of a terminal that hangs up do not reach it), that ignores the
// stop signals and blocks reading a pipe whose only writer is the apply.
// When the apply ends, however it ends, the pipe reaches end of file; the
// guard then takes the namespace's lock (which the apply held until it
// ended) and, if the apply's journal is still there, rolls it back, as the
// next xt2nft run in the namespace would, and leaves a note for that run.
// A guard killed as well (kill -9 of both) leaves that to the next run.

// StartGuard returns a Config.Guard that runs exe (argv0 as its name)
// with args plus --dir DIR --token TOKEN; the guard gets the pipe as file
// descriptor 3 and, for a namespace other than the current one, the
// namespace as file descriptor 4 (it must call RunGuard).
func StartGuard(ns *netns.NS, exe, argv0 string, args ...string) func(dir, token string) (func(), error) {
	return func(dir, token string) (func(), error) {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(exe, append(args, "--dir", dir, "--token", token)...)
		cmd.Args[0] = argv0
		cmd.ExtraFiles = []*os.File{r}
		if f := ns.File(); f != nil {
			cmd.ExtraFiles = append(cmd.ExtraFiles, f)
		}
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
		r.Close()
		go cmd.Wait() // reap it whenever it ends
		return func() { w.Close() }, nil
	}
}

// RunGuard is the guard's work (see StartGuard): wait for the apply to
// end, then roll back its journal if it is still there.
func RunGuard(cfg Config, token string, pipe *os.File) error {
	signal.Ignore(append(StopSignals, syscall.SIGPIPE)...)
	_, _ = io.Copy(io.Discard, pipe) // returns when the apply is gone
	if cfg.LockWait == 0 {
		cfg.LockWait = 10 * time.Minute
	}
	id, err := cfg.NS.ID()
	if err != nil {
		return err
	}
	dir, err := openDir(cfg.Dir)
	if err != nil {
		return err
	}
	j, err := readJournal(dir, id)
	if err != nil || j == nil || j.Token != token {
		return err // the apply finished: nothing to do
	}
	s, err := openWith(cfg, "guard", true)
	if err != nil {
		return err
	}
	defer s.close()
	if j, err = readJournal(dir, id); err != nil || j == nil || j.Token != token {
		return err // rolled back by a run that came first
	}
	s.removeStaleSocket()
	var out strings.Builder
	restored, err := s.restoreSteps(j)
	if err != nil {
		fmt.Fprintf(&out, "xt2nft: %s; its guard could not roll it back: %v", j.describe(), err)
		cfg.Log.Printf("%s", out.String())
		writeNote(dir, id, out.String())
		return err
	}
	fmt.Fprintf(&out, "xt2nft: %s; its guard (pid %d) restored the ruleset from before it at %s", j.describe(), os.Getpid(), time.Now().Format(time.DateTime))
	for _, r := range restored {
		for _, t := range r.Changed {
			fmt.Fprintf(&out, "\nnote: another program had changed table %s after the apply; the rollback undid that change too", t)
		}
		for _, t := range r.Left {
			fmt.Fprintf(&out, "\nnote: table %s had been replaced by another program; it was left as it is", t)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&out, "\nnote: %s", n)
		}
	}
	cfg.Log.Printf("%s", out.String())
	writeNote(dir, id, out.String())
	return nil
}
