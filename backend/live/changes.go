package live

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/internal/seqdiff"
)

// Changes is a plan as data: what apply would add, remove and change,
// table by table, chain by chain and rule by rule, with the unified diff
// the text plan prints.
type Changes struct {
	Tables  []TableChange `json:"tables"`
	Totals  Totals        `json:"totals"`
	Carried []string      `json:"sets_carried"`
	Notes   []string      `json:"notes"`
	Diff    string        `json:"diff"`
}

// Totals count the rule and chain changes of a plan.
type Totals struct {
	TablesAdded   int `json:"tables_added"`
	TablesChanged int `json:"tables_changed"`
	ChainsAdded   int `json:"chains_added"`
	ChainsRemoved int `json:"chains_removed"`
	ChainsChanged int `json:"chains_changed"`
	RulesAdded    int `json:"rules_added"`
	RulesRemoved  int `json:"rules_removed"`
	RulesChanged  int `json:"rules_changed"`
}

// Empty says whether the plan changes nothing.
func (c *Changes) Empty() bool { return c.Diff == "" }

// Kinds of change.
const (
	Added     = "added"
	Removed   = "removed"
	Changed   = "changed"
	Unchanged = "unchanged"
)

// TableChange is one table the plan replaces. Chains and Blocks list only
// what changes.
type TableChange struct {
	Family string        `json:"family"`
	Name   string        `json:"name"`
	Change string        `json:"change"`
	Head   *LinesChange  `json:"head,omitempty"`
	Chains []ChainChange `json:"chains,omitempty"`
	Blocks []BlockChange `json:"blocks,omitempty"`
}

// LinesChange is a table's or chain's own lines before and after.
type LinesChange struct {
	Was []string `json:"was"`
	Now []string `json:"now"`
}

// ChainChange is a chain added, removed or changed (its head, its rules).
type ChainChange struct {
	Name   string       `json:"name"`
	Change string       `json:"change"`
	Head   *LinesChange `json:"head,omitempty"`
	Rules  []RuleChange `json:"rules,omitempty"`
}

// RuleChange is a rule added (Position in the new chain), removed
// (Position in the live chain) or changed (a live rule replaced by Rule
// at Position, Was the live one). Origin names the source rule where the
// backend can tell. Positions count from 1.
type RuleChange struct {
	Change   string `json:"change"`
	Position int    `json:"position"`
	Rule     string `json:"rule"`
	Was      string `json:"was,omitempty"`
	Origin   string `json:"origin,omitempty"`
}

// BlockChange is a set, map or named object added, removed or changed.
type BlockChange struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Change string `json:"change"`
}

// PlanChanges is Plan with its result as data.
func PlanChanges(ctx context.Context, cfg Config, steps []Step, opt backend.ApplyOptions) (*Changes, error) {
	return PlanChangesWith(ctx, cfg, fixed(steps), opt)
}

// PlanChangesWith is PlanChanges of the steps build returns, built holding
// the lock (after the check for a dead run: what is planned is read from
// what is live).
func PlanChangesWith(ctx context.Context, cfg Config, build Build, opt backend.ApplyOptions) (*Changes, error) {
	s, err := open(cfg, "plan")
	if err != nil {
		return nil, err
	}
	defer s.close()
	if j, err := readJournal(s.dir, s.id); err != nil {
		return nil, err
	} else if j != nil {
		return nil, fmt.Errorf("%w: %s; `xt2nft rollback%s` puts the previous one back, `xt2nft confirm%s` keeps it",
			ErrUnfinished, j.describe(), s.netnsFlag(), s.netnsFlag())
	}
	steps, err := build(ctx)
	if err != nil {
		return nil, err
	}
	out := &Changes{Tables: []TableChange{}, Carried: []string{}, Notes: []string{}}
	var d strings.Builder
	for _, st := range steps {
		p, err := st.Backend.Plan(ctx, st.Ruleset, opt)
		if err != nil {
			return nil, err
		}
		out.Notes = append(out.Notes, p.Notes...)
		out.Carried = append(out.Carried, p.Carried...)
		d.Write(diff.Diff("live", []byte(p.Live), "new", []byte(p.New)))
		out.Tables = append(out.Tables, compareTables(p.LiveTables, p.NewTables)...)
	}
	out.Diff = d.String()
	out.Totals = total(out.Tables)
	return out, nil
}

// compareTables pairs the live and new tables by family and name.
func compareTables(live, next []backend.ListedTable) []TableChange {
	var out []TableChange
	byKey := map[backend.Table]*backend.ListedTable{}
	for i := range live {
		byKey[live[i].Table] = &live[i]
	}
	for i := range next {
		n := &next[i]
		l := byKey[n.Table]
		delete(byKey, n.Table)
		out = append(out, compareTable(l, n))
	}
	for i := range live { // listed live, gone in the new listing
		if l := byKey[live[i].Table]; l != nil {
			tc := TableChange{Family: l.Family, Name: l.Name, Change: Removed}
			out = append(out, tc)
		}
	}
	return out
}

func compareTable(l, n *backend.ListedTable) TableChange {
	tc := TableChange{Family: n.Family, Name: n.Name, Change: Unchanged}
	if l == nil {
		l = &backend.ListedTable{}
		tc.Change = Added
	}
	if !slices.Equal(l.Head, n.Head) && tc.Change != Added {
		tc.Head = &LinesChange{Was: nonNil(l.Head), Now: nonNil(n.Head)}
	}
	for i := range n.Chains {
		nc := &n.Chains[i]
		if cc, ok := compareChain(l.Chain(nc.Name), nc); ok {
			tc.Chains = append(tc.Chains, cc)
		}
	}
	for _, lc := range l.Chains {
		if n.Chain(lc.Name) == nil {
			cc := ChainChange{Name: lc.Name, Change: Removed}
			for k, r := range lc.Rules {
				cc.Rules = append(cc.Rules, RuleChange{Change: Removed, Position: k + 1, Rule: r})
			}
			tc.Chains = append(tc.Chains, cc)
		}
	}
	for _, nb := range n.Blocks {
		switch lb := l.Block(nb.Kind, nb.Name); {
		case lb == nil:
			tc.Blocks = append(tc.Blocks, BlockChange{Kind: nb.Kind, Name: nb.Name, Change: Added})
		case !slices.Equal(lb.Lines, nb.Lines):
			tc.Blocks = append(tc.Blocks, BlockChange{Kind: nb.Kind, Name: nb.Name, Change: Changed})
		}
	}
	for _, lb := range l.Blocks {
		if n.Block(lb.Kind, lb.Name) == nil {
			tc.Blocks = append(tc.Blocks, BlockChange{Kind: lb.Kind, Name: lb.Name, Change: Removed})
		}
	}
	if tc.Change == Unchanged && (tc.Head != nil || len(tc.Chains) > 0 || len(tc.Blocks) > 0) {
		tc.Change = Changed
	}
	return tc
}

// compareChain compares a chain with its live self (l nil: added); ok
// false when nothing changes.
func compareChain(l, n *backend.ListedChain) (ChainChange, bool) {
	cc := ChainChange{Name: n.Name, Change: Changed}
	if l == nil {
		l = &backend.ListedChain{}
		cc.Change = Added
	} else if !slices.Equal(l.Head, n.Head) {
		cc.Head = &LinesChange{Was: nonNil(l.Head), Now: nonNil(n.Head)}
	}
	origin := func(j int) string {
		if j < len(n.Origins) {
			return n.Origins[j]
		}
		return ""
	}
	for _, h := range seqdiff.Hunks(l.Rules, n.Rules) {
		// In a hunk, removals and additions pair up as changes in order;
		// the rest are removed or added.
		k := 0
		for ; k < len(h.Del) && k < len(h.Ins); k++ {
			cc.Rules = append(cc.Rules, RuleChange{Change: Changed, Position: h.Ins[k] + 1, Rule: n.Rules[h.Ins[k]], Was: l.Rules[h.Del[k]], Origin: origin(h.Ins[k])})
		}
		for _, i := range h.Del[k:] {
			cc.Rules = append(cc.Rules, RuleChange{Change: Removed, Position: i + 1, Rule: l.Rules[i]})
		}
		for _, j := range h.Ins[k:] {
			cc.Rules = append(cc.Rules, RuleChange{Change: Added, Position: j + 1, Rule: n.Rules[j], Origin: origin(j)})
		}
	}
	return cc, cc.Change == Added || cc.Head != nil || len(cc.Rules) > 0
}

func total(ts []TableChange) Totals {
	var t Totals
	for _, tc := range ts {
		switch tc.Change {
		case Added:
			t.TablesAdded++
		case Changed:
			t.TablesChanged++
		}
		for _, cc := range tc.Chains {
			switch cc.Change {
			case Added:
				t.ChainsAdded++
			case Removed:
				t.ChainsRemoved++
			default:
				t.ChainsChanged++
			}
			for _, r := range cc.Rules {
				switch r.Change {
				case Added:
					t.RulesAdded++
				case Removed:
					t.RulesRemoved++
				case Changed:
					t.RulesChanged++
				}
			}
		}
	}
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
