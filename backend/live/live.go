// Package live puts rulesets live: the one sequence of plan, apply,
// confirm and rollback that every command uses (xt2nft plan, apply,
// confirm, rollback, and migrate), over any backend.Backend.
//
// An apply goes like this, in one namespace:
//
//  1. Take the namespace's lock (lock.go): one run at a time per namespace,
//     whatever name it is given. A journal left by a run that died is
//     rolled back first (and reported).
//  2. Without --confirm and with one step: apply it (the backend makes it
//     atomic, and refuses it if the ruleset changed under its reads). Done.
//  3. Otherwise, snapshot what every step replaces (each backend proves
//     its snapshot restores, or refuses), write the journal (journal.go),
//     then apply the steps back to back, each conditioned on its snapshot
//     (a change by another tool in between is refused, not overwritten),
//     and run each step's Then. A guard process (guard.go), started before
//     the journal, watches the run: if the run dies, even by kill -9, the
//     guard rolls back.
//  4. Wait for `xt2nft confirm`, Enter, `xt2nft rollback`, the deadline or
//     a signal (SIGHUP, SIGINT, SIGTERM, SIGQUIT: all mean no).
//  5. Confirmed: remove the journal and run ApplyOptions.Kept, still
//     holding the lock. Otherwise restore every step, last first, and only
//     then say so; what another tool changed meanwhile is reported
//     (backend.Restored).
//
// ApplyWith and PlanWith build the steps holding the lock, after a run
// that died was rolled back: a migration reads the live state it replaces
// there, so that nothing can change it between the read and the lock.
//
// Messages go through a Log, which never blocks the run. Nothing here
// knows a backend's kind; cmd/xt2nft builds the steps.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
)

// Config says where a run works.
type Config struct {
	// Dir is the run directory (DefaultDir when empty).
	Dir string
	// NS is the namespace; its ID keys the lock, journal and socket.
	NS *netns.NS
	// NSName is the namespace's name as the user gave it ("" for the
	// current one), for messages.
	NSName string
	// Log receives the run's messages.
	Log *Log
	// Open returns the backend of a kind working in NS, to restore the
	// snapshots of a journal left by a run that died.
	Open func(kind string) (backend.Backend, error)
	// Guard starts the guard of a run (see StartGuard); nil runs without
	// one (a kill -9 is then rolled back by the next run only).
	Guard func(dir, token string) (stop func(), err error)
	// LockWait bounds the wait for another run's lock (30s when zero).
	LockWait time.Duration
}

// Step is one backend and the ruleset it puts live.
type Step struct {
	Backend backend.Backend
	Ruleset backend.Ruleset
	// Then, when set, runs right after the step is applied, before the
	// next step. What it changes must be undone by the restore of this
	// step or of one restored after it (a migration loads there, into the
	// nft sets the first step created, the recent-list events that the
	// legacy rules recorded while both were live). An error fails the
	// apply: every step is rolled back.
	Then func(ctx context.Context) error
}

// Build returns a run's steps; ApplyWith and PlanWith call it holding the
// namespace's lock. No steps means nothing to do.
type Build func(ctx context.Context) ([]Step, error)

// fixed is the Build of steps known in advance.
func fixed(steps []Step) Build {
	return func(context.Context) ([]Step, error) { return steps, nil }
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	backend.ApplyOptions
	// Confirm is how long to wait for a confirmation (0: none).
	Confirm time.Duration
	// TTY is a terminal on which Enter confirms (nil: none).
	TTY io.Reader
	// Command names the run in the lock and journal ("apply", "migrate").
	Command string
	// Kept, when set, runs holding the lock once the new ruleset is
	// confirmed and the journal is gone (a migration removes there what it
	// kept for a rollback, and writes --persist). Its error is returned
	// with an Outcome that says Confirmed.
	Kept func(ctx context.Context) error
}

// Outcome says how an Apply ended.
type Outcome struct {
	// Confirmed: the new ruleset went live and stays (without --confirm,
	// as soon as it is applied).
	Confirmed bool
	// RolledBack: it went live and was restored; Why says why.
	RolledBack bool
	Why        string
	// Restored is what each step's restore found, last step first.
	Restored []*backend.Restored
}

// ErrRollbackFailed is a rollback that did not complete: the journal is
// kept, and the guard or the next run tries again.
var ErrRollbackFailed = errors.New("ROLLBACK FAILED")

// ErrUnfinished is a journal left by a run that died, found by a command
// that does not roll back (plan).
var ErrUnfinished = errors.New("an unconfirmed ruleset is live")

// session is a run holding the namespace's lock.
type session struct {
	cfg  Config
	dir  *runDir
	id   uint64
	lock *lock
}

func open(cfg Config, command string) (*session, error) {
	return openWith(cfg, command, false)
}

// openWith is open; a patient run waits for any holder (see takeLock).
func openWith(cfg Config, command string, patient bool) (*session, error) {
	if cfg.LockWait == 0 {
		cfg.LockWait = 30 * time.Second
	}
	id, err := cfg.NS.ID()
	if err != nil {
		return nil, err
	}
	dir, err := openDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, dir: dir, id: id}
	l, err := takeLock(dir, id, holder{PID: os.Getpid(), Command: command, Since: time.Now()}, cfg.LockWait, patient)
	var be *BusyError
	if errors.As(err, &be) {
		be.Netns = s.netnsFlag()
	}
	if err != nil {
		return nil, err
	}
	s.lock = l
	if note := takeNote(dir, id); note != "" {
		cfg.Log.Printf("%s", note)
	}
	return s, nil
}

func (s *session) close() { s.lock.release() }

// netnsFlag is " --netns NAME" for commands shown to the user.
func (s *session) netnsFlag() string {
	if s.cfg.NSName == "" {
		return ""
	}
	return " --netns " + s.cfg.NSName
}

// Plan checks each step's ruleset and returns the unified diff from the
// live tables to the new ones ("" when nothing would change) and the
// backends' notes. It changes nothing, and refuses to compare against a
// ruleset that a dead apply --confirm left unconfirmed.
func Plan(ctx context.Context, cfg Config, steps []Step, opt backend.ApplyOptions) (string, []string, error) {
	return PlanWith(ctx, cfg, fixed(steps), opt)
}

// PlanWith is Plan of the steps build returns, built holding the lock.
func PlanWith(ctx context.Context, cfg Config, build Build, opt backend.ApplyOptions) (string, []string, error) {
	c, err := PlanChangesWith(ctx, cfg, build, opt)
	if err != nil {
		return "", nil, err
	}
	return c.Diff, c.Notes, nil
}

// describe says what run left the journal.
func (j *journal) describe() string {
	return fmt.Sprintf("`xt2nft %s` (pid %d, started %s) died before its ruleset was confirmed", j.Command, j.PID, j.Started.Format(time.DateTime))
}

// Apply puts the steps live (see the package documentation).
func Apply(ctx context.Context, cfg Config, steps []Step, opt ApplyOptions) (*Outcome, error) {
	return ApplyWith(ctx, cfg, fixed(steps), opt)
}

// ApplyWith is Apply of the steps build returns, built holding the lock
// after a run that died was rolled back; an error from build changes
// nothing.
func ApplyWith(ctx context.Context, cfg Config, build Build, opt ApplyOptions) (*Outcome, error) {
	if opt.Command == "" {
		opt.Command = "apply"
	}
	s, err := open(cfg, opt.Command)
	if err != nil {
		return nil, fmt.Errorf("%w; nothing was changed", err)
	}
	defer s.close()
	if err := s.recoverJournal("before this " + opt.Command); err != nil {
		return nil, err
	}
	steps, err := build(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w; nothing was changed", err)
	}
	if len(steps) == 0 {
		return &Outcome{Confirmed: true}, nil
	}
	if opt.Confirm == 0 && len(steps) == 1 && steps[0].Then == nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s before anything was applied; nothing was changed", cause(ctx))
		}
		res, err := steps[0].Backend.Apply(ctx, steps[0].Ruleset, nil, opt.ApplyOptions)
		if err != nil {
			return nil, fmt.Errorf("%w; nothing was changed", err)
		}
		cfg.Log.Printf("xt2nft %s: %s", opt.Command, res.Summary)
		return s.kept(ctx, opt)
	}
	return s.applyJournaled(ctx, steps, opt)
}

// kept runs opt.Kept once the ruleset is confirmed.
func (s *session) kept(ctx context.Context, opt ApplyOptions) (*Outcome, error) {
	out := &Outcome{Confirmed: true}
	if opt.Kept == nil {
		return out, nil
	}
	return out, opt.Kept(context.WithoutCancel(ctx))
}

// applyJournaled is steps 3 to 5 of an apply.
func (s *session) applyJournaled(ctx context.Context, steps []Step, opt ApplyOptions) (*Outcome, error) {
	log := s.cfg.Log
	j := &journal{Version: 1, Token: newToken(), PID: os.Getpid(), Command: opt.Command, NS: s.cfg.NSName, Started: time.Now(), State: "applying"}
	stopGuard := func() {}
	defer func() { stopGuard() }()
	// Every snapshot first, so that the steps then go live back to back
	// (a migration's legacy tables are emptied right after its nft tables
	// go live, not after the seconds a big snapshot takes).
	snaps := make([]backend.Snapshot, len(steps))
	opt.Progress.Start("saving the live tables for the rollback", 0, "")
	for k, st := range steps {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s before anything was applied; nothing was changed", cause(ctx))
		}
		snap, err := st.Backend.Snapshot(ctx, st.Ruleset)
		if err != nil {
			return nil, fmt.Errorf("%w; nothing was changed", err)
		}
		data, err := snap.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("%w; nothing was changed", err)
		}
		snaps[k] = snap
		j.Steps = append(j.Steps, step{Kind: st.Backend.Kind(), Snapshot: data})
	}
	if s.cfg.Guard != nil {
		// The guard first, then the journal: a run that dies in between
		// leaves the guard nothing to do (nothing is applied yet), and
		// after that there is always a guard to do it.
		stop, err := s.cfg.Guard(s.dir.path, j.Token)
		if err != nil {
			return nil, fmt.Errorf("starting the rollback guard: %w; nothing was changed", err)
		}
		stopGuard = stop
	}
	if err := writeJournal(s.dir, s.id, j); err != nil {
		return nil, s.undo(nil, j, err)
	}
	// Marks a backend is still taking are asked for before anything can
	// change what it applied: before a Then, and before the wait.
	pending := map[int]*backend.Result{}
	settle := func() error {
		if len(pending) == 0 {
			return nil
		}
		for k, res := range pending {
			j.Steps[k].Mark = res.Taken()
		}
		clear(pending)
		return writeJournal(s.dir, s.id, j)
	}
	for k, st := range steps {
		if ctx.Err() != nil {
			return nil, s.undo(steps[:k], j, fmt.Errorf("%s before step %d was applied", cause(ctx), k+1))
		}
		res, err := st.Backend.Apply(ctx, st.Ruleset, snaps[k], opt.ApplyOptions)
		if err != nil {
			return nil, s.undo(steps[:k], j, err)
		}
		j.Steps[k].Applied, j.Steps[k].Mark = true, res.Mark
		if res.Pending != nil {
			pending[k] = res
		}
		if err := writeJournal(s.dir, s.id, j); err != nil {
			return nil, s.undo(steps[:k+1], j, err)
		}
		log.Printf("xt2nft %s: %s", opt.Command, res.Summary)
		if st.Then != nil {
			if err := settle(); err != nil {
				return nil, s.undo(steps[:k+1], j, err)
			}
			if err := st.Then(ctx); err != nil {
				return nil, s.undo(steps[:k+1], j, err)
			}
		}
	}
	if err := settle(); err != nil {
		return nil, s.undo(steps, j, err)
	}
	if opt.Confirm == 0 {
		if err := s.finish(); err != nil {
			return nil, err
		}
		return s.kept(ctx, opt)
	}
	j.Until, j.State = time.Now().Add(opt.Confirm), "waiting"
	if err := writeJournal(s.dir, s.id, j); err != nil {
		return nil, s.undo(steps, j, err)
	}
	s.lock.waiting(j.Until)
	opt.Progress.Clear() // the wait has messages of its own
	if s.cfg.NSName != "" {
		log.Printf("xt2nft %s: confirm with `xt2nft confirm%s`", opt.Command, s.netnsFlag())
	}
	v, err := waitConfirm(ctx, s.dir.file(s.id, "sock"), opt.Confirm, opt.TTY, log)
	if err != nil {
		v.how = fmt.Sprintf("cannot wait for confirmation: %v", err)
	}
	if v.keep {
		if err := s.finish(); err != nil {
			return nil, err
		}
		log.Printf("confirmed %s; keeping the new ruleset", v.how)
		return s.kept(ctx, opt)
	}
	// No: restore first, and only then say so.
	out := &Outcome{RolledBack: true, Why: v.how}
	j.State = "rolling back"
	_ = writeJournal(s.dir, s.id, j)
	restored, rerr := s.restoreSteps(j)
	out.Restored = restored
	if rerr != nil {
		log.Printf("%s; restoring the previous ruleset", v.how)
		return out, rerr
	}
	log.Printf("%s; previous ruleset restored", v.how)
	s.report(restored)
	return out, nil
}

// finish ends a run whose ruleset stays: the journal goes.
func (s *session) finish() error { return removeJournal(s.dir, s.id) }

// undo restores the steps already applied after a failure, and returns the
// failure with what became of them.
func (s *session) undo(applied []Step, j *journal, cause error) error {
	if len(applied) == 0 {
		_ = removeJournal(s.dir, s.id)
		return fmt.Errorf("%w; nothing was changed", cause)
	}
	if _, err := s.restoreSteps(j); err != nil {
		return errors.Join(cause, err)
	}
	return fmt.Errorf("%w; the steps already applied were rolled back: nothing was changed", cause)
}

// restoreSteps restores the journal's steps, last first. On success the
// journal is removed; on failure it stays for the guard or the next run.
func (s *session) restoreSteps(j *journal) ([]*backend.Restored, error) {
	var out []*backend.Restored
	ctx := context.Background() // a rollback is not cut short by anything
	for k := len(j.Steps) - 1; k >= 0; k-- {
		st := &j.Steps[k]
		b, err := s.cfg.Open(st.Kind)
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrRollbackFailed, err)
		}
		data, err := st.snapshot(s.dir, s.id)
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrRollbackFailed, err)
		}
		snap, err := b.Unmarshal(data)
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrRollbackFailed, err)
		}
		res, err := b.Restore(ctx, snap, st.Mark)
		if err != nil {
			return out, fmt.Errorf("%w: %v (the journal %s is kept: the next xt2nft run in this namespace tries again)", ErrRollbackFailed, err, s.dir.file(s.id, "journal"))
		}
		out = append(out, res)
	}
	if err := removeJournal(s.dir, s.id); err != nil {
		return out, err
	}
	return out, nil
}

// report says what the restores found that they did not do themselves.
func (s *session) report(rs []*backend.Restored) {
	for _, r := range rs {
		for _, t := range r.Changed {
			s.cfg.Log.Printf("note: another program changed table %s after the apply; the rollback undid that change along with the apply", t)
		}
		for _, t := range r.Left {
			s.cfg.Log.Printf("note: table %s was replaced by another program after the apply and is not xt2nft's any more; it was left as it is", t)
		}
		if r.Elsewhere {
			s.cfg.Log.Printf("note: other tables changed after the apply; the rollback did not touch them")
		}
		if r.Unknown {
			s.cfg.Log.Printf("note: xt2nft cannot tell whether another program changed the restored tables after the apply (the run that applied them died before recording them)")
		}
		for _, n := range r.Notes {
			s.cfg.Log.Printf("note: %s", n)
		}
	}
}

// recoverJournal rolls back a journal left by a run that died.
func (s *session) recoverJournal(when string) error {
	j, err := readJournal(s.dir, s.id)
	if err != nil || j == nil {
		return err
	}
	s.removeStaleSocket()
	s.cfg.Log.Printf("xt2nft: %s; rolling it back %s", j.describe(), when)
	restored, err := s.restoreSteps(j)
	if err != nil {
		return err
	}
	s.cfg.Log.Printf("xt2nft: the ruleset from before that run is restored")
	s.report(restored)
	return nil
}

// removeStaleSocket removes the socket of a run that died: whoever holds
// the lock is the only one who may listen there.
func (s *session) removeStaleSocket() {
	path := s.dir.file(s.id, "sock")
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == os.ModeSocket {
		_ = os.Remove(path)
	}
}

// Confirm keeps the ruleset of the apply waiting in the namespace; if that
// apply died, its ruleset is live unconfirmed: Confirm keeps it too (the
// journal goes) and says so.
func Confirm(cfg Config) error {
	return answer(cfg, requestConfirm)
}

// Rollback has the apply waiting in the namespace restore the previous
// ruleset now; if that apply died, Rollback restores it itself.
func Rollback(cfg Config) error {
	return answer(cfg, requestRollback)
}

func answer(cfg Config, req string) error {
	id, err := cfg.NS.ID()
	if err != nil {
		return err
	}
	dir, err := openDir(cfg.Dir)
	if err != nil {
		return err
	}
	var s *session
	for deadline := time.Now().Add(3 * time.Second); ; {
		err = sendRequest(dir.file(id, "sock"), req)
		if !errors.Is(err, errNoWaiter) {
			return err
		}
		// Nobody listens. Either a waiter is about to (it holds the lock
		// and says it waits), or a run that died may have left its journal.
		cfg.LockWait = time.Second
		var lerr error
		s, lerr = open(cfg, req)
		var be *BusyError
		if errors.As(lerr, &be) && be.Waiting && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if lerr != nil {
			return lerr
		}
		break
	}
	defer s.close()
	j, jerr := readJournal(s.dir, s.id)
	if jerr != nil {
		return jerr
	}
	if j == nil {
		return err
	}
	if req == requestConfirm {
		s.removeStaleSocket()
		if err := removeJournal(s.dir, s.id); err != nil {
			return err
		}
		cfg.Log.Printf("xt2nft confirm: %s; its ruleset is live, and is now confirmed", j.describe())
		return nil
	}
	return s.recoverJournal("now")
}
