package backend

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/xt2nft/xt2nft/internal/progress"
)

// Fake is a Backend that keeps its ruleset in memory, for tests of what
// drives a backend (package live, the commands) without root or a kernel.
// It behaves as the real backends promise to: Apply and Restore work on a
// copy and swap it in only when all of it succeeded; every successful
// change advances a generation, which Apply checks against its base
// snapshot as the kernel does; tables carry an owner, so that another
// tool's tables are refused and left alone; Dump lists everything sorted,
// so that two states compare as text.
type Fake struct {
	mu     sync.Mutex
	tables map[Table]*fakeTable
	gen    uint32
	// FailSnapshot, when set, is what Snapshot returns (an
	// *UnrestorableError, say).
	FailSnapshot error
	// BeforeCommit, when set, runs inside Apply and Restore after their
	// checks and before their changes take effect, with the Fake unlocked:
	// a test changes the Fake there to play another tool racing the commit.
	BeforeCommit func()
}

// FakeOwner is the owner of the tables the Fake's Apply creates, as the
// netlink backend marks its own.
const FakeOwner = "xt2nft"

type fakeTable struct {
	Owner string
	Lines []string
}

// FakeRuleset is what the Fake applies: each table with its lines. A line
// "!refuse" is refused by the Fake's kernel, so that a test can make an
// apply fail part-way (after the tables before it were changed in the copy).
type FakeRuleset []FakeTable

// FakeTable is one table of a FakeRuleset.
type FakeTable struct {
	Table
	Lines []string
}

// Replaces lists the tables in order.
func (r FakeRuleset) Replaces() []Table {
	out := make([]Table, len(r))
	for i, t := range r {
		out[i] = t.Table
	}
	return out
}

// Summary counts tables and lines.
func (r FakeRuleset) Summary() string {
	n := 0
	for _, t := range r {
		n += len(t.Lines)
	}
	return progress.Of(len(r), "table", "tables") + ", " + progress.Of(n, "line", "lines")
}

// NewFake returns an empty Fake at generation 1.
func NewFake() *Fake { return &Fake{tables: map[Table]*fakeTable{}, gen: 1} }

var _ Backend = (*Fake)(nil)

// Kind is "fake".
func (f *Fake) Kind() string { return "fake" }

// Set creates or replaces a table as another tool (owner) would; it
// advances the generation.
func (f *Fake) Set(t Table, owner string, lines ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tables[t] = &fakeTable{Owner: owner, Lines: slices.Clone(lines)}
	f.gen++
}

// Delete deletes a table as another tool would.
func (f *Fake) Delete(t Table) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tables, t)
	f.gen++
}

// Gen is the current generation.
func (f *Fake) Gen() uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// Dump lists every table, sorted by family and name, with its owner and
// lines.
func (f *Fake) Dump() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return dumpTables(f.tables, nil)
}

func dumpTables(tables map[Table]*fakeTable, only []Table) string {
	keys := only
	if keys == nil {
		keys = slices.Collect(maps.Keys(tables))
	}
	slices.SortFunc(keys, func(a, b Table) int { return strings.Compare(a.String(), b.String()) })
	var b strings.Builder
	for _, k := range keys {
		t := tables[k]
		if t == nil {
			continue
		}
		fmt.Fprintf(&b, "table %s (%s)\n", k, t.Owner)
		for _, l := range t.Lines {
			fmt.Fprintf(&b, "\t%s\n", l)
		}
	}
	return b.String()
}

func fakeRuleset(rs Ruleset) (FakeRuleset, error) {
	r, ok := rs.(FakeRuleset)
	if !ok {
		return nil, fmt.Errorf("fake: %T: %w", rs, ErrWrongRuleset)
	}
	return r, nil
}

// Check refuses a ruleset with a "!refuse" line.
func (f *Fake) Check(ctx context.Context, rs Ruleset) error {
	r, err := fakeRuleset(rs)
	if err != nil {
		return err
	}
	_, err = r.applyTo(map[Table]*fakeTable{})
	return err
}

func (r FakeRuleset) applyTo(tables map[Table]*fakeTable) (map[Table]*fakeTable, error) {
	for _, t := range r {
		for i, l := range t.Lines {
			if l == "!refuse" {
				return nil, &RefusedError{Err: fmt.Errorf("table %s line %d: refused", t.Table, i+1)}
			}
		}
		tables[t.Table] = &fakeTable{Owner: FakeOwner, Lines: slices.Clone(t.Lines)}
	}
	return tables, nil
}

// Plan lists the live tables the ruleset replaces and the new ones.
func (f *Fake) Plan(ctx context.Context, rs Ruleset, opt ApplyOptions) (*Plan, error) {
	r, err := fakeRuleset(rs)
	if err != nil {
		return nil, err
	}
	next, err := r.applyTo(map[Table]*fakeTable{})
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &Plan{Live: dumpTables(f.tables, r.Replaces()), New: dumpTables(next, r.Replaces())}
	if err := f.foreign(r, opt); err != nil {
		p.Notes = append(p.Notes, err.Error())
	}
	return p, nil
}

func (f *Fake) foreign(r FakeRuleset, opt ApplyOptions) error {
	if opt.ReplaceForeign {
		return nil
	}
	var foreign []Table
	for _, t := range r {
		if cur := f.tables[t.Table]; cur != nil && cur.Owner != FakeOwner {
			foreign = append(foreign, t.Table)
		}
	}
	if len(foreign) > 0 {
		return &ForeignError{Tables: foreign}
	}
	return nil
}

// fakeSnapshot is the Fake's Snapshot.
type fakeSnapshot struct {
	Gen   uint32
	Saved []Table
	State map[string]*fakeTable // by Table.String(); absent tables missing
}

func (s *fakeSnapshot) Tables() []Table                { return s.Saved }
func (s *fakeSnapshot) MarshalBinary() ([]byte, error) { return json.Marshal(s) }

// Snapshot copies the ruleset's tables.
func (f *Fake) Snapshot(ctx context.Context, rs Ruleset) (Snapshot, error) {
	r, err := fakeRuleset(rs)
	if err != nil {
		return nil, err
	}
	if f.FailSnapshot != nil {
		return nil, f.FailSnapshot
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &fakeSnapshot{Gen: f.gen, Saved: r.Replaces(), State: map[string]*fakeTable{}}
	for _, t := range s.Saved {
		if cur := f.tables[t]; cur != nil {
			s.State[t.String()] = &fakeTable{Owner: cur.Owner, Lines: slices.Clone(cur.Lines)}
		}
	}
	return s, nil
}

type fakeMark struct {
	Gen     uint32
	Digests map[string][]byte
}

func fakeState(t *fakeTable) TableState {
	if t == nil {
		return TableState{}
	}
	return TableState{Present: true, Ours: t.Owner == FakeOwner, Digest: digest(t)}
}

func digest(t *fakeTable) []byte {
	if t == nil {
		return nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s", t.Owner, strings.Join(t.Lines, "\n"))
	return h.Sum(nil)
}

// Apply replaces the ruleset's tables, on a copy swapped in on success.
func (f *Fake) Apply(ctx context.Context, rs Ruleset, base Snapshot, opt ApplyOptions) (*Result, error) {
	r, err := fakeRuleset(rs)
	if err != nil {
		return nil, err
	}
	var s *fakeSnapshot
	if base != nil {
		if s, err = f.snapshot(base); err != nil {
			return nil, err
		}
	}
	check := func() error {
		if s != nil && s.Gen != f.gen {
			return &ChangedError{Op: "apply", Detail: "another tool changed the fake ruleset after the snapshot"}
		}
		return f.foreign(r, opt)
	}
	f.mu.Lock()
	err = check()
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if f.BeforeCommit != nil {
		f.BeforeCommit()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := check(); err != nil { // the kernel checks at the commit
		return nil, err
	}
	next, err := r.applyTo(maps.Clone(f.tables))
	if err != nil {
		return nil, err
	}
	f.tables = next
	f.gen++
	res := &Result{Summary: r.Summary() + " live"}
	if base != nil {
		m := fakeMark{Gen: f.gen, Digests: map[string][]byte{}}
		for _, t := range r {
			m.Digests[t.Table.String()] = digest(f.tables[t.Table])
		}
		res.Mark, _ = json.Marshal(m)
	}
	return res, nil
}

func (f *Fake) snapshot(s Snapshot) (*fakeSnapshot, error) {
	fs, ok := s.(*fakeSnapshot)
	if !ok {
		return nil, fmt.Errorf("fake: snapshot %T: %w", s, ErrWrongRuleset)
	}
	return fs, nil
}

// Restore puts the snapshot's tables back, by the rules of
// Backend.Restore: the Fake's owner plays xt2nft's mark.
func (f *Fake) Restore(ctx context.Context, snap Snapshot, since Mark) (*Restored, error) {
	s, err := f.snapshot(snap)
	if err != nil {
		return nil, err
	}
	var m *fakeMark
	if since != nil {
		m = &fakeMark{}
		if err := json.Unmarshal(since, m); err != nil {
			return nil, err
		}
	}
	if f.BeforeCommit != nil {
		f.BeforeCommit()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := &Restored{}
	if f.gen == s.Gen {
		res.Nothing = true
		return res, nil
	}
	next := maps.Clone(f.tables)
	for _, t := range s.Saved {
		cur, was := f.tables[t], s.State[t.String()]
		fate := Put
		if m == nil || f.gen != m.Gen {
			var applied []byte
			if m != nil {
				applied = m.Digests[t.String()]
			}
			fate = Decide(fakeState(was), fakeState(cur), applied, m != nil)
		}
		res.Note(t, fate)
		if fate == Keep || fate == Leave {
			continue
		}
		if was == nil {
			delete(next, t)
		} else {
			next[t] = &fakeTable{Owner: was.Owner, Lines: slices.Clone(was.Lines)}
		}
	}
	res.Elsewhere = m != nil && f.gen != m.Gen && len(res.Changed) == 0 && len(res.Left) == 0 && !res.Unknown
	if maps.EqualFunc(next, f.tables, func(a, b *fakeTable) bool { return a == b }) {
		res.Nothing = len(res.Left) == 0
		return res, nil
	}
	f.tables = next
	f.gen++
	return res, nil
}

// Unmarshal decodes a snapshot saved by MarshalBinary.
func (f *Fake) Unmarshal(data []byte) (Snapshot, error) {
	s := &fakeSnapshot{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	return s, nil
}
