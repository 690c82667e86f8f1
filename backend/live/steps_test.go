package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend"
)

// recorder is a Fake that records the calls a run makes, shared by
// several backends of one run.
type recorder struct {
	*backend.Fake
	name  string
	mu    *sync.Mutex
	calls *[]string
	notes []string // returned by Restore
}

func (r recorder) note(s string) {
	r.mu.Lock()
	*r.calls = append(*r.calls, s)
	r.mu.Unlock()
}

func (r recorder) Kind() string { return r.name }

func (r recorder) Snapshot(ctx context.Context, rs backend.Ruleset) (backend.Snapshot, error) {
	r.note("snapshot " + r.name)
	return r.Fake.Snapshot(ctx, rs)
}

func (r recorder) Apply(ctx context.Context, rs backend.Ruleset, base backend.Snapshot, opt backend.ApplyOptions) (*backend.Result, error) {
	r.note("apply " + r.name)
	return r.Fake.Apply(ctx, rs, base, opt)
}

func (r recorder) Restore(ctx context.Context, s backend.Snapshot, since backend.Mark) (*backend.Restored, error) {
	r.note("restore " + r.name)
	res, err := r.Fake.Restore(ctx, s, since)
	if res != nil {
		res.Notes = r.notes
	}
	return res, err
}

// twoSteps is a run of two backends, a and b, that record their calls.
func twoSteps(t *testing.T) (*fakeRun, []Step, *[]string, func() string) {
	r := newFakeRun(t)
	var mu sync.Mutex
	calls := &[]string{}
	a := recorder{Fake: r.f, name: "a", mu: &mu, calls: calls}
	b := recorder{Fake: backend.NewFake(), name: "b", mu: &mu, calls: calls, notes: []string{"list x was written back"}}
	r.cfg.Open = func(kind string) (backend.Backend, error) {
		switch kind {
		case "a":
			return a, nil
		case "b":
			return b, nil
		}
		return nil, fmt.Errorf("kind %q", kind)
	}
	steps := []Step{
		{Backend: a, Ruleset: backend.FakeRuleset{{Table: ours, Lines: []string{"new"}}},
			Then: func(context.Context) error { a.note("then a"); return nil }},
		{Backend: b, Ruleset: backend.FakeRuleset{{Table: second, Lines: []string{"new"}}}},
	}
	dump := func() string { return r.f.Dump() + b.Dump() }
	return r, steps, calls, dump
}

// Every step is snapshotted before the first is applied, so that the
// steps go live back to back; each Then runs right after its step; a
// rollback restores the last step first and reports its notes.
func TestStepsSnapshotFirstThenApplyThenRestoreReversed(t *testing.T) {
	r, steps, calls, dump := twoSteps(t)
	before := dump()
	o, err := Apply(context.Background(), r.cfg, steps, ApplyOptions{Confirm: 100 * time.Millisecond})
	if err != nil || !o.RolledBack {
		t.Fatalf("apply: %+v %v", o, err)
	}
	want := "snapshot a, snapshot b, apply a, then a, apply b, restore b, restore a"
	if got := strings.Join(*calls, ", "); got != want {
		t.Errorf("calls:\n got %s\nwant %s", got, want)
	}
	if dump() != before {
		t.Errorf("not restored:\n%s", dump())
	}
	r.cfg.Log.Close(time.Second)
	if !strings.Contains(r.out.String(), "note: list x was written back") {
		t.Errorf("the restore's notes were not reported:\n%s", r.out)
	}
}

// A Then that fails rolls every step back; one that succeeds without
// --confirm leaves the steps live and runs Kept, after the journal is
// gone.
func TestStepsThenFailsRollsBackAndKeptRuns(t *testing.T) {
	r, steps, calls, dump := twoSteps(t)
	before := dump()
	steps[1].Then = func(context.Context) error { return errors.New("catch-up failed") }
	_, err := Apply(context.Background(), r.cfg, steps, ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "catch-up failed") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("apply: %v", err)
	}
	if dump() != before {
		t.Errorf("not rolled back:\n%s", dump())
	}

	r, steps, calls, dump = twoSteps(t)
	steps[1].Then = nil
	var journalDuringKept bool
	kept := errors.New("persist failed")
	o, err := Apply(context.Background(), r.cfg, steps, ApplyOptions{Kept: func(context.Context) error {
		d, _ := openDir(r.cfg.Dir)
		j, _ := readJournal(d, mustID(t))
		journalDuringKept = j != nil
		return kept
	}})
	if !errors.Is(err, kept) || o == nil || !o.Confirmed {
		t.Fatalf("apply: %+v %v", o, err)
	}
	if journalDuringKept {
		t.Error("Kept ran while the journal was still there")
	}
	if !strings.Contains(dump(), "new") || strings.Contains(strings.Join(*calls, ","), "restore") {
		t.Errorf("calls %v\n%s", *calls, dump())
	}
}

// ApplyWith builds the steps holding the lock, after the journal of a
// run that died was rolled back: the build sees the state from before that
// run, and a second run cannot come in between.
func TestApplyWithBuildsAfterRecovery(t *testing.T) {
	r := newFakeRun(t)
	r.deadRun()
	var seen string
	var busy error
	build := func(ctx context.Context) ([]Step, error) {
		seen = r.f.Dump()
		cfg := r.cfg
		cfg.LockWait = 50 * time.Millisecond
		_, busy = Apply(ctx, cfg, r.steps("intruder"), ApplyOptions{})
		return r.steps("built"), nil
	}
	if _, err := ApplyWith(context.Background(), r.cfg, build, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(seen, "\told\n") || strings.Contains(seen, "unconfirmed") {
		t.Errorf("the build saw:\n%s", seen)
	}
	if !errors.Is(busy, ErrBusy) {
		t.Errorf("a run during the build: %v", busy)
	}
	if !strings.Contains(r.f.Dump(), "built") {
		t.Errorf("not applied:\n%s", r.f.Dump())
	}
	// A build that fails, or finds nothing to do, changes nothing.
	before := r.f.Dump()
	if _, err := ApplyWith(context.Background(), r.cfg, func(context.Context) ([]Step, error) { return nil, errors.New("untranslatable") }, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("failing build: %v", err)
	}
	if o, err := ApplyWith(context.Background(), r.cfg, func(context.Context) ([]Step, error) { return nil, nil }, ApplyOptions{}); err != nil || !o.Confirmed {
		t.Errorf("empty build: %+v %v", o, err)
	}
	if r.f.Dump() != before {
		t.Errorf("changed:\n%s", r.f.Dump())
	}
	// PlanWith refuses over a dead run before building anything.
	r.deadRun()
	built := false
	if _, _, err := PlanWith(context.Background(), r.cfg, func(context.Context) ([]Step, error) { built = true; return nil, nil }, backend.ApplyOptions{}); !errors.Is(err, ErrUnfinished) || built {
		t.Errorf("plan over a dead run: %v (built %v)", err, built)
	}
}

// pendingRecorder takes its Mark while the run goes on (Result.Pending).
type pendingRecorder struct{ recorder }

func (r pendingRecorder) Apply(ctx context.Context, rs backend.Ruleset, base backend.Snapshot, opt backend.ApplyOptions) (*backend.Result, error) {
	res, err := r.recorder.Apply(ctx, rs, base, opt)
	if err != nil {
		return nil, err
	}
	mark := res.Mark
	res.Mark, res.Pending = nil, func() backend.Mark { r.note("mark " + r.name); return mark }
	return res, nil
}

// A pending Mark is taken after the next step is applied (the steps go
// live back to back) but before any Then and before the wait, and it is in
// the journal the wait leaves.
func TestStepsPendingMark(t *testing.T) {
	r, steps, calls, _ := twoSteps(t)
	a := steps[0].Backend.(recorder)
	steps[0] = live0(pendingRecorder{a}, steps[0])
	steps[0].Then = nil
	steps[1].Then = func(context.Context) error { a.note("then b"); return nil }
	ch := r.apply(context.Background(), steps, time.Minute)
	r.waitForWait()
	d, _ := openDir(r.cfg.Dir)
	j, err := readJournal(d, mustID(t))
	if err != nil || j == nil || j.Steps[0].Mark == nil {
		t.Errorf("the journal of the wait has no mark for the first step: %+v %v", j, err)
	}
	if err := Confirm(r.cfg); err != nil {
		t.Fatal(err)
	}
	get(t, ch)
	if got, want := strings.Join(*calls, ", "), "snapshot a, snapshot b, apply a, apply b, mark a, then b"; got != want {
		t.Errorf("calls:\n got %s\nwant %s", got, want)
	}
}

func live0(b backend.Backend, st Step) Step { st.Backend = b; return st }
