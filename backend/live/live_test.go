package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
)

var (
	ours      = backend.Table{Family: "ip", Name: "xt2nft"}
	second    = backend.Table{Family: "ip6", Name: "xt2nft"}
	bystander = backend.Table{Family: "inet", Name: "bystander"}
)

// fakeRun is a Fake with a run directory and a Config around it.
type fakeRun struct {
	t   *testing.T
	f   *backend.Fake
	cfg Config
	out *syncBuffer
}

func newFakeRun(t *testing.T) *fakeRun {
	t.Helper()
	f := backend.NewFake()
	f.Set(bystander, "someone", "untouched")
	log, out := testLog()
	t.Cleanup(func() { log.Close(time.Second) })
	dir := confirmTestDir(t)
	return &fakeRun{t: t, f: f, out: out, cfg: Config{
		Dir: dir, NS: netns.Current(), NSName: "", Log: log,
		Open: func(kind string) (backend.Backend, error) {
			if kind != "fake" {
				return nil, fmt.Errorf("kind %q", kind)
			}
			return f, nil
		},
		LockWait: 200 * time.Millisecond,
	}}
}

// confirmTestDir is a fresh run directory whose socket paths fit in a
// unix socket address.
func confirmTestDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/tmp", "xl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir + "/run"
}

func (r *fakeRun) steps(lines ...string) []Step {
	return []Step{{Backend: r.f, Ruleset: backend.FakeRuleset{{Table: ours, Lines: lines}}}}
}

// apply runs Apply in the background.
func (r *fakeRun) apply(ctx context.Context, steps []Step, confirm time.Duration) <-chan applyResult {
	ch := make(chan applyResult, 1)
	go func() {
		o, err := Apply(ctx, r.cfg, steps, ApplyOptions{Confirm: confirm})
		ch <- applyResult{o, err}
	}()
	return ch
}

type applyResult struct {
	o   *Outcome
	err error
}

func (r *fakeRun) sock() string {
	id, _ := r.cfg.NS.ID()
	d, err := openDir(r.cfg.Dir)
	if err != nil {
		r.t.Fatal(err)
	}
	return d.file(id, "sock")
}

func (r *fakeRun) waitForWait() {
	r.t.Helper()
	waitForSocket(r.t, r.sock())
}

func get(t *testing.T, ch <-chan applyResult) applyResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Apply did not return")
		return applyResult{}
	}
}

func TestApplyWithoutConfirm(t *testing.T) {
	r := newFakeRun(t)
	o, err := Apply(context.Background(), r.cfg, r.steps("rule 1"), ApplyOptions{})
	if err != nil || !o.Confirmed {
		t.Fatalf("apply: %+v, %v", o, err)
	}
	if !strings.Contains(r.f.Dump(), "table ip xt2nft (xt2nft)\n\trule 1\n") {
		t.Errorf("not applied:\n%s", r.f.Dump())
	}
}

// A failure part-way (the second table refused after the first was
// changed) leaves the Fake as it was, with or without --confirm.
func TestApplyFailureMidApplyChangesNothing(t *testing.T) {
	for _, confirm := range []time.Duration{0, time.Minute} {
		r := newFakeRun(t)
		before := r.f.Dump()
		steps := []Step{{Backend: r.f, Ruleset: backend.FakeRuleset{{Table: ours, Lines: []string{"fine"}}, {Table: second, Lines: []string{"!refuse"}}}}}
		_, err := Apply(context.Background(), r.cfg, steps, ApplyOptions{Confirm: confirm})
		if !errors.Is(err, backend.ErrRefused) || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("confirm %v: %v", confirm, err)
		}
		if r.f.Dump() != before {
			t.Errorf("confirm %v: changed:\n%s", confirm, r.f.Dump())
		}
	}
}

// A second step that fails is undone with the first: nothing changed.
func TestApplySecondStepFailureUndoesFirst(t *testing.T) {
	r := newFakeRun(t)
	other := backend.NewFake()
	other.Set(bystander, "legacy", "-A INPUT -j ACCEPT")
	r.cfg.Open = func(kind string) (backend.Backend, error) {
		return map[string]backend.Backend{"fake": r.f, "other": kindFake{other}}[kind], nil
	}
	before := r.f.Dump()
	steps := []Step{
		{Backend: r.f, Ruleset: backend.FakeRuleset{{Table: ours, Lines: []string{"new"}}}},
		{Backend: kindFake{other}, Ruleset: backend.FakeRuleset{{Table: bystander, Lines: []string{"!refuse"}}}},
	}
	_, err := Apply(context.Background(), r.cfg, steps, ApplyOptions{ApplyOptions: backend.ApplyOptions{ReplaceForeign: true}})
	if err == nil || !strings.Contains(err.Error(), "rolled back: nothing was changed") {
		t.Fatalf("apply: %v", err)
	}
	if r.f.Dump() != before {
		t.Errorf("first step not undone:\n%s", r.f.Dump())
	}
}

// kindFake is a Fake of another kind, for runs of several backends.
type kindFake struct{ *backend.Fake }

func (kindFake) Kind() string { return "other" }

func TestRollbackWithoutConfirmation(t *testing.T) {
	r := newFakeRun(t)
	r.f.Set(ours, backend.FakeOwner, "old")
	before := r.f.Dump()
	o, err := Apply(context.Background(), r.cfg, r.steps("new"), ApplyOptions{Confirm: 100 * time.Millisecond})
	if err != nil || !o.RolledBack || o.Why != "no confirmation within 100ms" {
		t.Fatalf("apply: %+v, %v", o, err)
	}
	if r.f.Dump() != before {
		t.Errorf("not restored:\n%s\nwant:\n%s", r.f.Dump(), before)
	}
	r.cfg.Log.Close(time.Second)
	if !strings.Contains(r.out.String(), "no confirmation within 100ms; previous ruleset restored") {
		t.Errorf("output:\n%s", r.out)
	}
	if j, _ := readJournal(&runDir{path: r.cfg.Dir}, mustID(t)); j != nil {
		t.Error("journal left behind")
	}
}

func mustID(t *testing.T) uint64 {
	id, err := netns.Current().ID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestConfirmKeeps(t *testing.T) {
	r := newFakeRun(t)
	ch := r.apply(context.Background(), r.steps("new"), time.Minute)
	r.waitForWait()
	if err := Confirm(r.cfg); err != nil {
		t.Fatal(err)
	}
	res := get(t, ch)
	if res.err != nil || !res.o.Confirmed {
		t.Fatalf("apply: %+v %v", res.o, res.err)
	}
	if !strings.Contains(r.f.Dump(), "\tnew\n") {
		t.Errorf("confirmed ruleset not live:\n%s", r.f.Dump())
	}
}

func TestRollbackCommandRestores(t *testing.T) {
	r := newFakeRun(t)
	before := r.f.Dump()
	ch := r.apply(context.Background(), r.steps("new"), time.Minute)
	r.waitForWait()
	if err := Rollback(r.cfg); err != nil {
		t.Fatal(err)
	}
	if res := get(t, ch); res.err != nil || !res.o.RolledBack {
		t.Fatalf("apply: %+v %v", res.o, res.err)
	}
	if r.f.Dump() != before {
		t.Errorf("not restored:\n%s", r.f.Dump())
	}
}

// Every stop signal is a "no": the ruleset is restored, and only then is
// the signal reported.
func TestSignalRollsBack(t *testing.T) {
	for _, sig := range StopSignals {
		r := newFakeRun(t)
		before := r.f.Dump()
		ctx, cancel := context.WithCancelCause(context.Background())
		ch := r.apply(ctx, r.steps("new"), time.Minute)
		r.waitForWait()
		cancel(&SignalError{Signal: sig})
		res := get(t, ch)
		if res.err != nil || !res.o.RolledBack || !strings.Contains(res.o.Why, sig.String()) {
			t.Errorf("%v: %+v %v", sig, res.o, res.err)
		}
		if r.f.Dump() != before {
			t.Errorf("%v: not restored:\n%s", sig, r.f.Dump())
		}
	}
}

// A signal before anything is applied stops the apply.
func TestSignalBeforeApply(t *testing.T) {
	r := newFakeRun(t)
	before := r.f.Dump()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&SignalError{Signal: syscall.SIGINT})
	for _, confirm := range []time.Duration{0, time.Minute} {
		_, err := Apply(ctx, r.cfg, r.steps("new"), ApplyOptions{Confirm: confirm})
		if err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("confirm %v: %v", confirm, err)
		}
	}
	if r.f.Dump() != before {
		t.Errorf("changed:\n%s", r.f.Dump())
	}
}

// A change by another tool between the snapshot and the commit is refused
// (a later rollback would silently undo it otherwise).
func TestChangeBetweenSnapshotAndCommit(t *testing.T) {
	r := newFakeRun(t)
	var once sync.Once
	r.f.BeforeCommit = func() { once.Do(func() { r.f.Set(bystander, "someone", "changed meanwhile") }) }
	_, err := Apply(context.Background(), r.cfg, r.steps("new"), ApplyOptions{Confirm: time.Minute})
	if !errors.Is(err, backend.ErrChanged) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("apply: %v", err)
	}
	if strings.Contains(r.f.Dump(), "table ip xt2nft") {
		t.Errorf("applied anyway:\n%s", r.f.Dump())
	}
}

// What another tool does during the wait is reported by the rollback:
// a change to our table is undone (and said), another tool's new table of
// the same name is left alone, a change elsewhere is untouched.
func TestForeignChangesDuringWait(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *backend.Fake)
		note   string
		keeps  string
	}{
		{"our table edited", func(f *backend.Fake) { f.Set(ours, backend.FakeOwner, "new", "someone's rule") },
			"another program changed table ip xt2nft after the apply; the rollback undid", ""},
		{"our table replaced by another tool's", func(f *backend.Fake) { f.Set(ours, "firewalld", "theirs") },
			"table ip xt2nft was replaced by another program after the apply", "table ip xt2nft (firewalld)\n\ttheirs\n"},
		{"another table changed", func(f *backend.Fake) { f.Set(bystander, "someone", "changed") },
			"other tables changed after the apply; the rollback did not touch them", "table inet bystander (someone)\n\tchanged\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRun(t)
			r.f.Set(ours, backend.FakeOwner, "old")
			ch := r.apply(context.Background(), r.steps("new"), time.Minute)
			r.waitForWait()
			tc.change(r.f)
			if err := Rollback(r.cfg); err != nil {
				t.Fatal(err)
			}
			if res := get(t, ch); res.err != nil || !res.o.RolledBack {
				t.Fatalf("apply: %+v %v", res.o, res.err)
			}
			r.cfg.Log.Close(time.Second)
			if !strings.Contains(r.out.String(), tc.note) {
				t.Errorf("output lacks %q:\n%s", tc.note, r.out)
			}
			if tc.keeps != "" && !strings.Contains(r.f.Dump(), tc.keeps) {
				t.Errorf("lost %q:\n%s", tc.keeps, r.f.Dump())
			}
			if tc.keeps == "" && !strings.Contains(r.f.Dump(), "table ip xt2nft (xt2nft)\n\told\n") {
				t.Errorf("not restored:\n%s", r.f.Dump())
			}
		})
	}
}

// A snapshot that cannot be proven to restore stops the apply.
func TestUnrestorableRefuses(t *testing.T) {
	r := newFakeRun(t)
	r.f.FailSnapshot = &backend.UnrestorableError{Table: ours, Reason: "test"}
	before := r.f.Dump()
	_, err := Apply(context.Background(), r.cfg, r.steps("new"), ApplyOptions{Confirm: time.Minute})
	if !errors.Is(err, backend.ErrUnrestorable) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("apply: %v", err)
	}
	if r.f.Dump() != before {
		t.Errorf("changed:\n%s", r.f.Dump())
	}
}

// While an apply waits for confirmation, every other run in the namespace
// is refused at once (not after the wait), saying who waits.
func TestLockSerialises(t *testing.T) {
	r := newFakeRun(t)
	ch := r.apply(context.Background(), r.steps("first"), time.Minute)
	r.waitForWait()
	start := time.Now()
	_, err := Apply(context.Background(), r.cfg, r.steps("second"), ApplyOptions{Confirm: time.Minute})
	var be *BusyError
	if !errors.As(err, &be) || !be.Waiting || be.Holder.PID != os.Getpid() || !strings.Contains(err.Error(), "waiting for confirmation") {
		t.Errorf("second apply: %v", err)
	}
	if _, _, err := Plan(context.Background(), r.cfg, r.steps("second"), backend.ApplyOptions{}); !errors.Is(err, ErrBusy) {
		t.Errorf("plan: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refused after %v", d)
	}
	if strings.Contains(r.f.Dump(), "second") {
		t.Error("the second apply went live")
	}
	if err := Confirm(r.cfg); err != nil {
		t.Fatal(err)
	}
	if res := get(t, ch); !res.o.Confirmed {
		t.Fatalf("first apply: %+v %v", res.o, res.err)
	}
	// Now free: a plain apply waits for nobody.
	if _, err := Apply(context.Background(), r.cfg, r.steps("third"), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// deadRun leaves what an apply --confirm killed during its wait leaves:
// its journal and its ruleset live.
func (r *fakeRun) deadRun() (before string) {
	r.t.Helper()
	ctx := context.Background()
	r.f.Set(ours, backend.FakeOwner, "old")
	before = r.f.Dump()
	rs := backend.FakeRuleset{{Table: ours, Lines: []string{"unconfirmed"}}}
	snap, err := r.f.Snapshot(ctx, rs)
	if err != nil {
		r.t.Fatal(err)
	}
	data, _ := snap.MarshalBinary()
	res, err := r.f.Apply(ctx, rs, snap, backend.ApplyOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	d, err := openDir(r.cfg.Dir)
	if err != nil {
		r.t.Fatal(err)
	}
	j := &journal{Version: 1, Token: "dead", PID: 999999, Command: "apply", Started: time.Now(), State: "waiting",
		Steps: []step{{Kind: "fake", Snapshot: data, Mark: res.Mark, Applied: true}}}
	if err := writeJournal(d, mustID(r.t), j); err != nil {
		r.t.Fatal(err)
	}
	return before
}

func TestDeadRunRolledBackByNextApply(t *testing.T) {
	r := newFakeRun(t)
	r.deadRun()
	if _, _, err := Plan(context.Background(), r.cfg, r.steps("x"), backend.ApplyOptions{}); !errors.Is(err, ErrUnfinished) || !strings.Contains(err.Error(), "xt2nft rollback") {
		t.Errorf("plan over a dead apply: %v", err)
	}
	var seen string
	r.f.BeforeCommit = func() { seen = r.f.Dump() }
	if _, err := Apply(context.Background(), r.cfg, r.steps("next"), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(seen, "\told\n") {
		t.Errorf("the dead run's ruleset was not rolled back first:\n%s", seen)
	}
	r.cfg.Log.Close(time.Second)
	if !strings.Contains(r.out.String(), "died before its ruleset was confirmed; rolling it back") {
		t.Errorf("output:\n%s", r.out)
	}
}

func TestDeadRunConfirmAndRollback(t *testing.T) {
	r := newFakeRun(t)
	r.deadRun()
	if err := Confirm(r.cfg); err != nil {
		t.Fatalf("confirm of a dead run: %v", err)
	}
	if !strings.Contains(r.f.Dump(), "unconfirmed") {
		t.Error("confirm did not keep the ruleset")
	}
	if err := Confirm(r.cfg); !errors.Is(err, errNoWaiter) {
		t.Errorf("second confirm: %v", err)
	}
	r = newFakeRun(t)
	before := r.deadRun()
	if err := Rollback(r.cfg); err != nil {
		t.Fatalf("rollback of a dead run: %v", err)
	}
	if r.f.Dump() != before {
		t.Errorf("not restored:\n%s", r.f.Dump())
	}
}

// The guard rolls back the journal it watches once the pipe closes, and
// leaves a note for the next run; a journal of another run it leaves
// alone.
func TestGuard(t *testing.T) {
	r := newFakeRun(t)
	before := r.deadRun()
	for _, token := range []string{"someone else", "dead"} {
		pr, pw, _ := os.Pipe()
		pw.Close() // the run is gone
		if err := RunGuard(r.cfg, token, pr); err != nil {
			t.Fatal(err)
		}
		if restored := r.f.Dump() == before; restored != (token == "dead") {
			t.Errorf("token %q: restored %v:\n%s", token, restored, r.f.Dump())
		}
	}
	d, _ := openDir(r.cfg.Dir)
	if note := takeNote(d, mustID(t)); !strings.Contains(note, "its guard") {
		t.Errorf("note: %q", note)
	}
}

// A log whose writer blocks forever, or fails, does not hold up the wait
// or the rollback.
func TestLogNeverBlocksTheRollback(t *testing.T) {
	for name, w := range map[string]*blockingWriter{"blocks": {block: make(chan struct{})}, "fails": {}} {
		r := newFakeRun(t)
		r.cfg.Log = NewLog(w)
		before := r.f.Dump()
		done := make(chan applyResult, 1)
		go func() {
			o, err := Apply(context.Background(), r.cfg, r.steps("new"), ApplyOptions{Confirm: 100 * time.Millisecond})
			done <- applyResult{o, err}
		}()
		res := get(t, done)
		if res.err != nil || !res.o.RolledBack || r.f.Dump() != before {
			t.Errorf("%s: %+v %v\n%s", name, res.o, res.err, r.f.Dump())
		}
		if w.block != nil {
			close(w.block)
		}
	}
}

type blockingWriter struct{ block chan struct{} }

func (w *blockingWriter) Write(p []byte) (int, error) {
	if w.block == nil {
		return 0, syscall.EPIPE
	}
	<-w.block
	return len(p), nil
}

// A lock whose file still names a waiter that died (its content is stale
// until the new holder writes itself) makes a run wait, not give up; and
// the guard waits even for a live waiter, since a rollback must not give
// up.
func TestLockStaleWaiterAndPatientGuard(t *testing.T) {
	d, err := openDir(confirmTestDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pid     int
		patient bool
	}{{999999999, false}, {os.Getpid(), true}} {
		other, err := takeLock(d, 7, holder{PID: tc.pid, Command: "apply", Since: time.Now(), Until: time.Now().Add(time.Hour)}, time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(200 * time.Millisecond)
			other.release()
		}()
		l, err := takeLock(d, 7, holder{PID: os.Getpid(), Command: "test"}, 5*time.Second, tc.patient)
		if err != nil {
			t.Errorf("pid %d, patient %v: %v", tc.pid, tc.patient, err)
			continue
		}
		l.release()
	}
}
