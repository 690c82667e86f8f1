package ipt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/internal/progress"
)

// Namespace is the iptables backend of one network namespace as
// backend.Backend: it puts Dumps live through iptables-restore, one
// variant (legacy or nft) for all of them.
//
// iptables has no generation to condition a write on, so Apply compares
// the live tables with its base snapshot just before loading (a change by
// another tool in the moment between is not seen), and Restore compares
// them with the Mark to say what another tool changed after the apply.
// Checks and plans load the dumps into a throwaway namespace, which dies
// with the process, kill -9 included.
type Namespace struct {
	NS      *netns.NS
	Variant Variant // "" detects it
	// Loaded is set by Apply to when it had loaded its last dump (for a
	// migration's timing: what follows is reporting).
	Loaded time.Time
}

var _ backend.Backend = (*Namespace)(nil)

// Dump is one iptables-save dump and its family (4 or 6).
type Dump struct {
	Name   string
	Src    []byte
	Family int
}

// Dumps is the iptables backend's ruleset: dumps loaded in order.
type Dumps []Dump

func familyName(f int) string {
	if f == 6 {
		return "ipv6"
	}
	return "ipv4"
}

// Replaces lists the tables the dumps declare.
func (d Dumps) Replaces() []backend.Table {
	var out []backend.Table
	for _, dump := range d {
		for _, t := range Tables(dump.Src) {
			out = append(out, backend.Table{Family: familyName(dump.Family), Name: t})
		}
	}
	return out
}

// Summary counts dumps and tables.
func (d Dumps) Summary() string {
	return progress.Of(len(d), "dump", "dumps") + ", " + progress.Of(len(d.Replaces()), "table", "tables")
}

// Kind is "iptables".
func (n *Namespace) Kind() string { return "iptables" }

func (n *Namespace) tools(family int, ns *netns.NS) *Backend {
	return &Backend{Family: family, Variant: n.Variant, NS: ns}
}

func dumps(rs backend.Ruleset) (Dumps, error) {
	d, ok := rs.(Dumps)
	if !ok {
		return nil, fmt.Errorf("iptables: %T: %w", rs, backend.ErrWrongRuleset)
	}
	return d, nil
}

// scratch runs f with the dumps loaded into a throwaway namespace.
func (n *Namespace) scratch(d Dumps, f func(ns *netns.NS) error) error {
	ns, err := netns.Throwaway()
	if err != nil {
		return err
	}
	defer ns.Close()
	for _, dump := range d {
		if _, err := n.tools(dump.Family, ns).Apply(dump.Name, dump.Src); err != nil {
			return &backend.RefusedError{Err: fmt.Errorf("%w (the kernel refuses the dump; apply would change nothing)", err)}
		}
	}
	if f == nil {
		return nil
	}
	return f(ns)
}

// Check loads the dumps into a throwaway namespace.
func (n *Namespace) Check(ctx context.Context, rs backend.Ruleset) error {
	d, err := dumps(rs)
	if err != nil {
		return err
	}
	return n.scratch(d, nil)
}

// Plan lists the tables the dumps touch, live and as a throwaway
// namespace holds them once the dumps are loaded there, as iptables-save
// prints them (counters and comments left out).
func (n *Namespace) Plan(ctx context.Context, rs backend.Ruleset, opt backend.ApplyOptions) (*backend.Plan, error) {
	d, err := dumps(rs)
	if err != nil {
		return nil, err
	}
	p := &backend.Plan{}
	var live, next strings.Builder
	opt.Progress.Start("iptables-restore loads "+rs.Summary()+" in a throwaway namespace", 0, "")
	for _, dump := range d {
		now, err := n.tools(dump.Family, n.NS).Save(Tables(dump.Src))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&live, "# %s (%s)\n%s", dump.Name, familyName(dump.Family), PlainSave(now))
		p.LiveTables = append(p.LiveTables, listedTables(dump.Family, PlainSave(now))...)
	}
	err = n.scratch(d, func(ns *netns.NS) error {
		for _, dump := range d {
			out, err := n.tools(dump.Family, ns).Save(Tables(dump.Src))
			if err != nil {
				return err
			}
			fmt.Fprintf(&next, "# %s (%s)\n%s", dump.Name, familyName(dump.Family), PlainSave(out))
			p.NewTables = append(p.NewTables, listedTables(dump.Family, PlainSave(out))...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.Live, p.New = live.String(), next.String()
	return p, nil
}

// PlainSave drops iptables-save's comments and counters: what plan
// compares.
func PlainSave(b []byte) string {
	var out strings.Builder
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasPrefix(l, ":") {
			if i := strings.LastIndex(l, " ["); i > 0 {
				l = l[:i]
			}
		}
		if strings.HasPrefix(l, "[") {
			if i := strings.Index(l, "] "); i > 0 {
				l = l[i+2:]
			}
		}
		out.WriteString(l + "\n")
	}
	return out.String()
}

// familySnapshot is one family's tables as they were.
type familySnapshot struct {
	Family  int
	Variant Variant
	Tables  []string          // the tables the dumps declare, in order
	Saved   map[string][]byte // iptables-save -c sections of those that existed
}

// snapshot is the Namespace's backend.Snapshot.
type snapshot struct {
	Families []familySnapshot
}

func (s *snapshot) Tables() []backend.Table {
	var out []backend.Table
	for _, f := range s.Families {
		for _, t := range f.Tables {
			out = append(out, backend.Table{Family: familyName(f.Family), Name: t})
		}
	}
	return out
}

func (s *snapshot) MarshalBinary() ([]byte, error) { return json.Marshal(s) }

// byFamily groups the dumps' tables by family, in order.
func byFamily(d Dumps) (fams []int, tables map[int][]string) {
	tables = map[int][]string{}
	for _, dump := range d {
		f := dump.Family
		if f == 0 {
			f = 4
		}
		if _, ok := tables[f]; !ok {
			fams = append(fams, f)
		}
		for _, t := range Tables(dump.Src) {
			if !contains(tables[f], t) {
				tables[f] = append(tables[f], t)
			}
		}
	}
	return fams, tables
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Snapshot saves the tables the dumps declare (iptables-save -c) and
// proves the saved form restores: loaded with iptables-restore --counters
// into a throwaway namespace, it must save back the same, counters
// included.
func (n *Namespace) Snapshot(ctx context.Context, rs backend.Ruleset) (backend.Snapshot, error) {
	d, err := dumps(rs)
	if err != nil {
		return nil, err
	}
	fams, tables := byFamily(d)
	s := &snapshot{}
	for _, f := range fams {
		t, err := n.tools(f, n.NS).resolve()
		if err != nil {
			return nil, err
		}
		snap, err := t.snapshot(tables[f])
		if err != nil {
			return nil, err
		}
		s.Families = append(s.Families, familySnapshot{Family: f, Variant: t.b.Variant, Tables: snap.tables, Saved: snap.saved})
	}
	if err := n.verify(s); err != nil {
		return nil, err
	}
	return s, nil
}

// verify restores s in a throwaway namespace and compares.
func (n *Namespace) verify(s *snapshot) error {
	ns, err := netns.Throwaway()
	if err != nil {
		return err
	}
	defer ns.Close()
	var secs [][]byte
	for _, f := range s.Families {
		for _, sec := range f.Saved {
			secs = append(secs, sec)
		}
	}
	if err := copyIPSets(n.NS, ns, secs...); err != nil {
		return err
	}
	for _, f := range s.Families {
		if len(f.Saved) == 0 {
			continue
		}
		t, err := (&Backend{Family: f.Family, Variant: f.Variant, NS: ns}).resolve()
		if err != nil {
			return err
		}
		if err := (&Snapshot{t: t, tables: f.Tables, saved: f.Saved}).Restore(); err != nil {
			return &backend.UnrestorableError{Table: backend.Table{Family: familyName(f.Family), Name: strings.Join(f.Tables, ",")},
				Reason: fmt.Sprintf("iptables-restore does not take its own save back: %v", err)}
		}
		back, err := t.snapshot(f.Tables)
		if err != nil {
			return err
		}
		for name, sec := range f.Saved {
			if stripComments(back.saved[name]) != stripComments(sec) {
				return &backend.UnrestorableError{Table: backend.Table{Family: familyName(f.Family), Name: name},
					Reason: "restored into a throwaway namespace, iptables-save lists it differently"}
			}
		}
	}
	return nil
}

// copyIPSets creates in the namespace to the ipsets of the namespace
// from, empty (ipset save, ipset restore of the create lines), when the
// tables given use ipsets: the kernel refuses a rule that names an ipset
// it does not have.
func copyIPSets(from, to *netns.NS, tables ...[]byte) error {
	uses := false
	for _, t := range tables {
		uses = uses || bytes.Contains(t, []byte("--match-set ")) || bytes.Contains(t, []byte("-j SET "))
	}
	if !uses {
		return nil
	}
	save, err := from.Command("ipset", "save").Output()
	if err != nil {
		return fmt.Errorf("the tables use ipsets, and ipset save failed: %w", err)
	}
	// The rules need the sets, not their members.
	var creates bytes.Buffer
	for _, l := range bytes.SplitAfter(save, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("create ")) {
			creates.Write(l)
		}
	}
	cmd := to.Command("ipset", "restore")
	cmd.Stdin = &creates
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("copying the ipsets into a throwaway namespace: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// stripComments drops iptables-save's comment lines (they carry dates).
func stripComments(b []byte) string {
	var out bytes.Buffer
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte("#")) {
			out.Write(l)
		}
	}
	return out.String()
}

func (n *Namespace) snapshot(s backend.Snapshot) (*snapshot, error) {
	sn, ok := s.(*snapshot)
	if !ok {
		return nil, fmt.Errorf("iptables: snapshot %T: %w", s, backend.ErrWrongRuleset)
	}
	return sn, nil
}

// current is what a family's tables hold now, without counters.
func (n *Namespace) current(f familySnapshot) (map[string]string, error) {
	t, err := (&Backend{Family: f.Family, Variant: f.Variant, NS: n.NS}).resolve()
	if err != nil {
		return nil, err
	}
	now, err := t.snapshot(f.Tables)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name, sec := range now.saved {
		out[name] = normalize(sec)
	}
	return out, nil
}

func normalized(saved map[string][]byte) map[string]string {
	out := map[string]string{}
	for name, sec := range saved {
		out[name] = normalize(sec)
	}
	return out
}

// mark is the tables as applied, without counters, by family.
type mark map[int]map[string]string

// Apply loads the dumps in order. A dump that fails part-way is undone
// by ipt's Backend.Apply; the dumps loaded before it are restored from
// their snapshots, so that on error nothing changed.
//
// With a base snapshot, each table is checked against the snapshot just
// before the dump that replaces it is loaded (its own iptables-save -t, so
// that a migration empties its first table milliseconds after the check,
// not after a save of every table), the dumps are loaded without a
// snapshot of their own (the base has every table they replace), and a
// failure restores the base.
func (n *Namespace) Apply(ctx context.Context, rs backend.Ruleset, base backend.Snapshot, opt backend.ApplyOptions) (*backend.Result, error) {
	d, err := dumps(rs)
	if err != nil {
		return nil, err
	}
	opt.Progress.Start("iptables-restore loads "+rs.Summary(), 0, "")
	if base != nil {
		s, err := n.snapshot(base)
		if err != nil {
			return nil, err
		}
		if err := n.loadOnBase(ctx, d, s); err != nil {
			return nil, err
		}
	} else {
		var done []*Snapshot
		for _, dump := range d {
			s, err := n.tools(dump.Family, n.NS).Apply(dump.Name, dump.Src)
			if err != nil {
				for i := len(done) - 1; i >= 0; i-- {
					if rerr := done[i].Restore(); rerr != nil {
						return nil, fmt.Errorf("%w; and undoing the dumps loaded before it failed: %v", err, rerr)
					}
				}
				return nil, err
			}
			done = append(done, s)
		}
	}
	n.Loaded = time.Now()
	res := &backend.Result{Summary: progress.Of(len(d), "dump", "dumps") + " loaded through iptables-restore"}
	var chains []string
	for _, dump := range d {
		for _, table := range Tables(dump.Src) {
			if list, err := n.tools(dump.Family, n.NS).Chains(table); err == nil {
				chains = append(chains, fmt.Sprintf("%s: table %s has %d chains", dump.Name, table, len(list)))
			}
		}
	}
	if len(chains) > 0 {
		res.Summary += "; " + strings.Join(chains, "; ")
	}
	if base != nil {
		// Read back at once, not while the caller goes on as nft does:
		// iptables has no generation to tell that another tool changed the
		// tables in between, which the mark would then take for ours.
		m := mark{}
		fams, tables := byFamily(d)
		for _, f := range fams {
			t, err := n.tools(f, n.NS).resolve()
			if err != nil {
				continue
			}
			if now, err := n.current(familySnapshot{Family: f, Variant: t.b.Variant, Tables: tables[f]}); err == nil {
				m[f] = now
			}
		}
		res.Mark, _ = json.Marshal(m)
	}
	return res, nil
}

// loadOnBase loads the dumps in order, each after checking that the
// tables it replaces are as s saved them; a failure puts back, from s,
// the tables loaded before it (and only those: a table another tool
// changed is left to it).
func (n *Namespace) loadOnBase(ctx context.Context, d Dumps, s *snapshot) error {
	byFam := map[int]*familySnapshot{}
	for i := range s.Families {
		byFam[s.Families[i].Family] = &s.Families[i]
	}
	type loaded struct {
		t      *tools
		f      *familySnapshot
		tables []string
	}
	var done []loaded
	undo := func(err error) error {
		for i := len(done) - 1; i >= 0; i-- {
			l := done[i]
			saved := map[string][]byte{}
			for _, name := range l.tables {
				if sec, ok := l.f.Saved[name]; ok {
					saved[name] = sec
				}
			}
			if rerr := (&Snapshot{t: l.t, tables: l.tables, saved: saved}).Restore(); rerr != nil {
				return fmt.Errorf("%w; and restoring the tables loaded before it failed: %v", err, rerr)
			}
		}
		return err
	}
	for _, dump := range d {
		f := byFam[max(dump.Family, 4)]
		if f == nil {
			return undo(fmt.Errorf("iptables: the snapshot has no %s tables for %s", familyName(dump.Family), dump.Name))
		}
		t, err := (&Backend{Family: f.Family, Variant: f.Variant, NS: n.NS}).resolve()
		if err != nil {
			return undo(err)
		}
		for _, name := range Tables(dump.Src) {
			was, had := f.Saved[name]
			var now []byte
			if had {
				// The table exists: -t lists it alone without creating
				// anything.
				now, err = t.run(nil, t.save, "-c", "-t", name)
			} else {
				// iptables-save -t would create a missing legacy table.
				var all []byte
				all, err = t.saveTables(nil)
				now = sections(all)[name]
			}
			if err != nil {
				return undo(err)
			}
			if normalize(now) != normalize(was) {
				return undo(&backend.ChangedError{Op: "apply", Detail: fmt.Sprintf("table %s %s changed after xt2nft saved it for the rollback", familyName(f.Family), name)})
			}
		}
		// Counted as loaded before loading: iptables-restore commits table
		// by table, so a dump that fails may have changed its first tables.
		done = append(done, loaded{t, f, Tables(dump.Src)})
		if err := t.restoreDump(dump.Name, dump.Src); err != nil {
			return undo(err)
		}
	}
	return nil
}

// Restore loads the snapshot's tables back (counters included); a table
// that did not exist is emptied, or deleted where the variant allows (see
// Snapshot.Restore). Tables another tool changed after the apply are
// restored too, and reported.
func (n *Namespace) Restore(ctx context.Context, snap backend.Snapshot, since backend.Mark) (*backend.Restored, error) {
	s, err := n.snapshot(snap)
	if err != nil {
		return nil, err
	}
	var m mark
	if since != nil {
		if err := json.Unmarshal(since, &m); err != nil {
			return nil, err
		}
	}
	res := &backend.Restored{Nothing: true}
	for _, f := range s.Families {
		now, err := n.current(f)
		if err != nil {
			return nil, err
		}
		was := normalized(f.Saved)
		same := true
		for _, t := range f.Tables {
			if now[t] != was[t] {
				same = false
			}
			if applied, ok := m[f.Family]; ok && applied[t] != now[t] && now[t] != was[t] {
				res.Changed = append(res.Changed, backend.Table{Family: familyName(f.Family), Name: t})
			}
		}
		if m == nil && !same {
			res.Unknown = true
		}
		if same {
			continue // as it was: nothing to undo
		}
		t, err := (&Backend{Family: f.Family, Variant: f.Variant, NS: n.NS}).resolve()
		if err != nil {
			return nil, err
		}
		if err := (&Snapshot{t: t, tables: f.Tables, saved: f.Saved}).Restore(); err != nil {
			return nil, err
		}
		res.Nothing = false
	}
	return res, nil
}

// Unmarshal decodes a snapshot from a journal.
func (n *Namespace) Unmarshal(data []byte) (backend.Snapshot, error) {
	s := &snapshot{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("iptables: reading a saved snapshot: %w", err)
	}
	return s, nil
}
