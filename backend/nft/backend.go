package nft

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/internal/progress"
)

// Backend is the netlink backend working in one namespace: it implements
// backend.Backend for a *Program.
type Backend struct {
	NS *netns.NS
}

// New returns the netlink backend for ns (nil: the current namespace).
func New(ns *netns.NS) *Backend { return &Backend{NS: ns} }

var _ backend.Backend = (*Backend)(nil)

// Kind is "nft".
func (b *Backend) Kind() string { return "nft" }

// Replaces lists the program's tables, in order (backend.Ruleset).
func (p *Program) Replaces() []backend.Table {
	out := make([]backend.Table, len(p.Tables))
	for i, t := range p.Tables {
		out[i] = backend.Table{Family: familyName(byte(t.Table.Family)), Name: t.Table.Name}
	}
	return out
}

// Summary counts the program's tables, rules and sets.
func (p *Program) Summary() string {
	rules, sets := 0, 0
	for _, t := range p.Tables {
		rules += len(t.Rules)
		sets += len(t.Sets)
	}
	return progress.Of(len(p.Tables), "table", "tables") + ", " + progress.Of(rules, "rule", "rules") + ", " + progress.Of(sets, "set", "sets")
}

func (p *Program) refs() []tableRef {
	out := make([]tableRef, len(p.Tables))
	for i, t := range p.Tables {
		out[i] = tableRef{byte(t.Table.Family), t.Table.Name}
	}
	return append(out, p.retiredRefs()...) // what apply may delete (retire.go)
}

func program(rs backend.Ruleset) (*Program, error) {
	p, ok := rs.(*Program)
	if !ok {
		return nil, fmt.Errorf("nft: %T: %w", rs, backend.ErrWrongRuleset)
	}
	return p, nil
}

// Check has the kernel validate the program in a throwaway namespace.
func (b *Backend) Check(ctx context.Context, rs backend.Ruleset) error {
	p, err := program(rs)
	if err != nil {
		return err
	}
	return Check(p)
}

// Plan lists the live tables the program replaces and, from a throwaway
// namespace the program was applied to, the new ones, both as
// `nft -s -t list table` prints them (set contents and counters left out).
func (b *Backend) Plan(ctx context.Context, rs backend.Ruleset, opt backend.ApplyOptions) (*backend.Plan, error) {
	p, err := program(rs)
	if err != nil {
		return nil, err
	}
	plan := &backend.Plan{}
	opt.Progress.Start("listing the live tables", 0, "")
	c, err := dial(b.NS)
	if err != nil {
		return nil, err
	}
	if !opt.ReplaceForeign {
		if ferr := checkForeign(c, p); ferr != nil {
			plan.Notes = append(plan.Notes, ferr.Error())
		}
	}
	retired, err := liveRetired(c, p)
	c.Close()
	if err != nil {
		return nil, err
	}
	if len(retired) > 0 {
		plan.Notes = append(plan.Notes, "apply switches layouts: "+retiredNote(retired))
	}
	own := p.refs()[:len(p.Tables)]
	if plan.Live, err = listing(b.NS, append(own, retired...), true); err != nil {
		return nil, err
	}
	scratch, err := netns.Throwaway()
	if err != nil {
		return nil, err
	}
	defer scratch.Close()
	opt.Progress.Start(fmt.Sprintf("the kernel checks %s in a throwaway namespace", p.Summary()), 0, "")
	if _, err := Apply(scratch, p, ApplyOptions{ResetSets: true}); err != nil {
		return nil, err
	}
	opt.Progress.Start("listing the new tables", 0, "")
	if plan.New, err = listing(scratch, own, true); err != nil {
		return nil, err
	}
	if plan.LiveTables, err = parseListing(plan.Live); err != nil {
		return nil, err
	}
	if plan.NewTables, err = parseListing(plan.New); err != nil {
		return nil, err
	}
	attachOrigins(plan.NewTables, p)
	if !opt.ResetSets {
		if plan.Carried, err = carriedSets(b.NS, p); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// Snapshot saves the program's tables as they are, proven to restore (see
// snapshot.go).
func (b *Backend) Snapshot(ctx context.Context, rs backend.Ruleset) (backend.Snapshot, error) {
	p, err := program(rs)
	if err != nil {
		return nil, err
	}
	return takeSnapshot(b.NS, p.refs())
}

// Apply sends the program as one batch. With a base snapshot the batch is
// conditioned on the snapshot's generation: any transaction since is a
// *backend.ChangedError, and nothing changes. The result's Mark holds the
// generation after the commit and the digests of the tables as applied.
func (b *Backend) Apply(ctx context.Context, rs backend.Ruleset, base backend.Snapshot, opt backend.ApplyOptions) (*backend.Result, error) {
	p, err := program(rs)
	if err != nil {
		return nil, err
	}
	var res *ApplyResult
	opt.Progress.Start(fmt.Sprintf("sending %s in one batch", p.Summary()), 0, "")
	if base == nil {
		res, err = applyRetry(b.NS, p, opt, true)
	} else {
		s, ok := base.(*snapshot)
		if !ok {
			return nil, fmt.Errorf("nft: snapshot %T: %w", base, backend.ErrWrongRuleset)
		}
		res, err = apply(b.NS, p, opt, s.Gen, true)
		if ce, ok := err.(*backend.ChangedError); ok {
			ce.Detail = "another program committed a change to the ruleset after xt2nft saved it for the rollback"
		}
	}
	if err != nil {
		return nil, err
	}
	out := &backend.Result{Summary: fmt.Sprintf("%s and %s live in %s (one netlink batch)",
		progress.Of(res.Rules, "rule", "rules"), progress.Of(res.Sets, "set", "sets"), progress.Of(len(p.Tables), "table", "tables"))}
	if c := res.Changed; res.InPlace > 0 {
		out.Summary += fmt.Sprintf("; edited in place: %s added, %s deleted, %s kept", progress.Of(c.RulesAdded, "rule", "rules"), progress.Of(c.RulesDeleted, "rule", "rules"), progress.Of(c.RulesKept, "rule", "rules"))
	}
	if len(res.Retired) > 0 {
		out.Summary += "; " + retiredNote(res.Retired)
	}
	if res.InPlaceRefused != nil {
		out.Summary += fmt.Sprintf("; swapped whole (the kernel refused the in-place edit: %v)", res.InPlaceRefused)
	}
	if res.CarriedElem > 0 {
		out.Summary += fmt.Sprintf("; %s carried over in %s", progress.Of(res.CarriedElem, "address", "addresses"), progress.Of(res.CarriedSets, "set", "sets"))
	}
	if res.LateElem > 0 {
		out.Summary += fmt.Sprintf("; %d elements loaded at the end of the batch", res.LateElem)
	}
	if base != nil {
		// Read back while the caller goes on: a migration empties the
		// legacy tables meanwhile, instead of a second later (reading
		// 20,000 rules back takes that long).
		ch := make(chan backend.Mark, 1)
		go func() { ch <- takeMark(b.NS, p.refs(), res.Gen) }()
		out.Pending = func() backend.Mark { return <-ch }
	}
	return out, nil
}

// Restore puts a snapshot back in one batch (see restore).
func (b *Backend) Restore(ctx context.Context, s backend.Snapshot, since backend.Mark) (*backend.Restored, error) {
	snap, ok := s.(*snapshot)
	if !ok {
		return nil, fmt.Errorf("nft: snapshot %T: %w", s, backend.ErrWrongRuleset)
	}
	return restore(b.NS, snap, since)
}

// Unmarshal decodes a snapshot from a journal.
func (b *Backend) Unmarshal(data []byte) (backend.Snapshot, error) {
	s := &snapshot{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("nft: reading a saved snapshot: %w", err)
	}
	return s, nil
}
