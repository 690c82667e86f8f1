package optimize

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/xt2nft/xt2nft/internal/par"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Options control Run.
type Options struct {
	// Counters says the rules' counters carry iptables' values
	// (--counters): a rule whose counter is not zero is left alone.
	Counters bool
	// Report asks for a note at every rule the optimizer changed.
	Report bool
}

// Result says what Run did.
type Result struct {
	Folds []*Fold
	// Shared are the anonymous sets replaced by named ones.
	Shared []*Shared
	// Moved are the rules moved up beside a rule of their class (the
	// pair: the moved rule, the rule it now follows) in runs too short
	// to fold at the ruleset's size.
	Moved [][2]parser.Pos
	// Expanded are the rules whose anonymous set became a rule per
	// element (tables with very many anonymous sets).
	Expanded []*Expanded
	// Splits are the runs of rules dispatched by address.
	Splits []*Split
	// Notes are the --report notes, at the rules' positions.
	Notes []parser.Diagnostic
}

// Folded is the number of iptables rules that are now part of a fold.
func (r *Result) Folded() int {
	n := 0
	for _, f := range r.Folds {
		n += len(f.Origins)
	}
	return n
}

// Run optimizes rs in place.
func Run(rs *translate.Ruleset, opt Options) *Result {
	res := &Result{}
	for _, t := range rs.Tables {
		a := newAnalyzer(t, opt)
		for _, c := range append([]*translate.Chain(nil), t.Chains...) {
			if sp := a.split(t, c); sp != nil {
				res.Splits = append(res.Splits, sp)
			}
		}
		// Chains fold apart, on the machine's processors, the biggest
		// first, each describing its rules as it goes (see describe).
		a.prepare(t)
		groups := make([][]*group, len(t.Chains))
		bySize := make([]int, len(t.Chains))
		for i := range bySize {
			bySize[i] = i
		}
		sort.SliceStable(bySize, func(i, j int) bool { return len(t.Chains[bySize[i]].Rules) > len(t.Chains[bySize[j]].Rules) })
		par.Each(len(bySize), func(k int) {
			i := bySize[k]
			groups[i] = a.foldChain(t.Chains[i])
		})
		k := minFold(groups, len(t.Sets))
		for i, c := range t.Chains {
			var rules []*translate.Rule
			for _, g := range groups[i] {
				var r *translate.Rule
				var f *Fold
				if len(g.members) >= k {
					r, f = a.emit(t, c, g)
				}
				if r == nil {
					for j, m := range g.members {
						rules = append(rules, m.r)
						if j > 0 {
							res.Moved = append(res.Moved, [2]parser.Pos{m.r.Origin, g.members[0].r.Origin})
						}
					}
					continue
				}
				rules = append(rules, r)
				if f != nil {
					res.Folds = append(res.Folds, f)
				}
			}
			c.Rules = rules
		}
		res.Shared = append(res.Shared, a.share(t)...)
		res.Expanded = append(res.Expanded, a.expand(t)...)
	}
	translate.GuardMerges(rs) // folds and expansions make new rules
	if opt.Report {
		res.Notes = res.notes()
	}
	return res
}

// setCost is the kernel's cost of the n-th set of a table, in rules: each
// new set and each rule that refers to one walks the table's list of sets
// (by name; 8,000 sets cost 3 s to create, 2,000 sets 0.3 s, where a
// rule costs about 20 µs: measured on kernel 6.18).
const setCost = 3e-3

// minFold is the smallest fold worth a set in a table with these groups:
// the one that minimises rules + setCost*sets². Small rulesets fold every
// pair; a big one only folds runs long enough to pay for their set.
func minFold(groups [][]*group, sets int) int {
	bySize := map[int]int{}
	max := 2
	for _, gs := range groups {
		for _, g := range gs {
			bySize[len(g.members)]++
			if len(g.members) > max {
				max = len(g.members)
			}
		}
	}
	best, bestCost := 2, -1.0
	for k := 2; k <= max; k++ {
		rules, n := 0, sets
		for size, count := range bySize {
			if size >= k {
				rules += count
				n += count
			} else {
				rules += size * count
			}
		}
		c := float64(rules) + setCost*float64(n)*float64(n)
		if bestCost < 0 || c < bestCost {
			best, bestCost = k, c
		}
		if k > 64 {
			break
		}
	}
	return best
}

// Hook is Run as translate.Options.Optimize calls it: the optimizer of
// xt2nft --optimize.
func Hook(rs *translate.Ruleset, topt translate.Options) []parser.Diagnostic {
	return Run(rs, Options{Counters: topt.Counters, Report: topt.Report}).Notes
}

func (r *Result) notes() []parser.Diagnostic {
	var out []parser.Diagnostic
	note := func(pos parser.Pos, format string, a ...any) {
		if pos.File != "" {
			out = append(out, parser.Diagnostic{Pos: pos, Severity: parser.SevNote, Msg: fmt.Sprintf(format, a...)})
		}
	}
	for _, f := range r.Folds {
		var lines []string
		for _, o := range f.Origins[1:] {
			lines = append(lines, relPos(o, f.Origins[0]))
		}
		if f.Kind == "rule" {
			note(f.Origins[0], "optimize: this rule decides every packet of %s (same action, later, in chain %s): they are folded into it and count nothing, as in iptables",
				strings.Join(lines, ", "), f.Chain)
			for _, o := range f.Origins[1:] {
				note(o, "optimize: never matches (the rule of %s decides its packets first); folded into it", relPos(f.Origins[0], o))
			}
			continue
		}
		note(f.Origins[0], "optimize: %d rules folded into one rule with %s @%s in chain %s (each rule's counter is its elements' counter): this one and %s",
			len(f.Origins), f.Kind, f.Set, f.Chain, strings.Join(lines, ", "))
		for _, o := range f.Origins[1:] {
			note(o, "optimize: folded into the rule of %s (%s @%s)", relPos(f.Origins[0], o), f.Kind, f.Set)
		}
	}
	for _, m := range r.Moved {
		note(m[0], "optimize: moved up beside the rule of %s (no packet matches both it and the rules it passed; too few such rules to be worth a set in a ruleset this size)", relPos(m[1], m[0]))
	}
	for _, sp := range r.Splits {
		note(sp.Origins[0], "optimize: this rule and the %d after it in chain %s all compare %s: one lookup of it dispatches to %d chains holding only the rules that can match each address (%d rules there; a rule in several counts the sum)",
			len(sp.Origins)-1, sp.Chain, sp.Key, sp.Chains, sp.Copies)
	}
	for _, e := range r.Expanded {
		note(e.Origin, "optimize: anonymous set expanded into %d rules, one per element (a packet matches at most one; the rule's counter is their sum)", e.Rules)
	}
	for _, s := range r.Shared {
		var lines []string
		for _, o := range s.Origins[1:] {
			lines = append(lines, relPos(o, s.Origins[0]))
		}
		note(s.Origins[0], "optimize: anonymous set %s named @%s, shared by this rule and %s", s.Text, s.Set, strings.Join(lines, ", "))
	}
	return out
}

// relPos writes p as "line N" when it is in the file of ref.
func relPos(p, ref parser.Pos) string {
	if p.File == ref.File {
		return "line " + strconv.Itoa(p.Line)
	}
	return p.String()
}

// analyzer holds what the optimizer knows about one table.
type analyzer struct {
	opt    Options
	fam    translate.Family
	chains map[string]*translate.Chain
	chainW map[string]writes
	names  map[string]bool // set names taken
	seq    map[string]int
	// keys are the keys described, by what they load (keyOf); a
	// sync.Map, as chains folding at once look them up far more often
	// than they add one.
	keys    sync.Map
	consIDs map[string]int
	l4proto *key // meta l4proto, the key a transport field implies
	t       *translate.Table
	sets    map[string]*translate.Set
	heights map[string]int
	depths  map[string]int
	// everyPacket: chains a filter or route base chain reaches
	everyPacket map[string]bool
	mu          sync.Mutex // consIDs, and keys as they are added
}

func newAnalyzer(t *translate.Table, opt Options) *analyzer {
	a := &analyzer{opt: opt, fam: t.Family, chains: map[string]*translate.Chain{}, chainW: map[string]writes{},
		names: map[string]bool{}, seq: map[string]int{}, consIDs: map[string]int{},
		t: t, sets: map[string]*translate.Set{}, heights: map[string]int{}}
	for _, c := range t.Chains {
		a.chains[c.Name] = c
	}
	for _, s := range t.Sets {
		a.names[s.Name] = true
		a.sets[s.Name] = s
	}
	a.l4proto = a.keyOf(&translate.Meta{Key: desc.MetaL4proto})
	return a
}
