//go:build linux

package verify

// Variants. A rule no probe reached in the ruleset as it is (no packet can
// reach it, or every probe made for it was taken by another rule) is
// probed again in a variant of the ruleset made so that packets can get to
// it: the rules that ended its probes' way are removed (the earlier rules
// of its chain that end the way of every packet they match, and the rules
// that took its first probe), and its chain, when it is a user chain no
// packet enters, is entered from the top of every built-in chain of its
// table that may jump to it (the ones the kernel accepts the jump from, as
// the parser's checks say). The variant is translated as the original is
// and verified the same way in labs of its own, with probes made for those
// rules only. A rule reached there counts as reached in a variant, apart
// from the rules reached in the ruleset itself; a difference there is a
// difference in that rule's translation, reported with what the variant
// changed.
//
// Why verify them: a rule that no packet reaches today comes alive with
// the next edit of the rules before it, and after the migration that edit
// is made to the translation.

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify/report"
)

// variantRounds bounds the variants made one after another: each is made
// for the rules the one before did not reach (a chain entered first may
// end every packet before the next one's entry).
const variantRounds = 3

// variant is one variant of the inputs.
type variant struct {
	inputs []Input
	// orig maps a variant rule's FILE:LINE to the original rule it is a
	// copy of.
	orig map[string]*rule
	// changes says, for each rule the variant is made for, what it
	// changed.
	changes map[*rule]string
	// fresh are the pending rules it changes something for that no
	// variant before did: the only ones worth probing in it.
	fresh map[*rule]bool
}

// tableRef names an iptables table.
type tableRef struct {
	fam  parser.Family
	name string
}

// variants probes, in variants, the rules no probe reached.
func (v *verifier) variants(rep *report.Report) {
	v.inVariant = map[*rule]string{}
	pending := map[*rule]bool{}
	for _, r := range v.model.rules {
		if !v.reached[r] && r.entry != nil {
			pending[r] = true
		}
	}
	removed := map[*rule]bool{}
	why := map[*rule][]string{}
	before := map[*rule]string{} // what the variants before changed for each rule
	// unprobed are the rules the variant before made no probe for: the
	// next, for fewer rules, leaves their probes other addresses.
	unprobed := map[*rule]bool{}
	first := v.first
	for round := 0; round < variantRounds && len(pending) > 0; round++ {
		vr, err := v.makeVariant(pending, removed, why, first)
		if err != nil {
			v.note(fmt.Sprintf("no variant could be made for the %d rule(s) no probe reached: %v", len(pending), firstLine(err.Error())))
			return
		}
		if vr == nil {
			return
		}
		vr.fresh = map[*rule]bool{}
		for r := range pending {
			ch := vr.changes[r]
			if ch == "" && round == 0 {
				// Nothing changed for it, but the variant makes probes for
				// far fewer rules, which leaves the lab's addresses to its
				// own (a rule whose probe the others' addresses ruled out).
				ch = "a variant of the ruleset with probes for the rules no probe reached only"
				vr.changes[r] = ch
			}
			if ch != "" && (ch != before[r] || unprobed[r]) {
				vr.fresh[r] = true
				before[r] = ch
			}
		}
		if len(vr.fresh) == 0 {
			return
		}
		sub := &verifier{opt: v.opt, warns: map[string]string{}, variantRun: true}
		sub.opt.Parser.Script = false
		sub.focus = func(r *rule) bool { o := vr.orig[r.location()]; return o != nil && vr.fresh[o] }
		if v.opt.Mutate != nil {
			// The mutation sees the positions of the original rules, as
			// in the original's translation.
			sub.opt.Mutate = func(rs *translate.Ruleset) { vr.asOriginal(sub.model, rs, v.opt.Mutate) }
		}
		if err := sub.prepare(vr.inputs); err != nil {
			v.note(fmt.Sprintf("the variant for the %d rule(s) no probe reached does not translate: %v", len(pending), firstLine(err.Error())))
			return
		}
		srep := &report.Report{}
		if err := sub.run(srep); err != nil {
			v.note(fmt.Sprintf("the variant for the %d rule(s) no probe reached could not be verified: %v", len(pending), firstLine(err.Error())))
			return
		}
		rep.Probes += srep.Probes
		rep.Packets += srep.Packets
		for _, n := range sub.notes {
			v.note("in a variant: " + vr.remap(n))
		}
		for _, d := range srep.Differences {
			if o := vr.orig[d.Rule]; o != nil {
				d.Rule, d.RuleText, d.Variant = o.location(), o.text(), vr.changes[o]
			}
			d.What, d.Legacy, d.NFT = vr.remap(d.What), vr.remap(d.Legacy), vr.remap(d.NFT)
			rep.Differences = append(rep.Differences, d)
		}
		// The rules reached, and for the others still pending whether
		// this variant made a probe for them and what took their first.
		progress := false
		unprobed = map[*rule]bool{}
		next := map[*rule]firstHit{}
		for _, sr := range sub.model.rules {
			o := vr.orig[sr.location()]
			switch {
			case o == nil || !pending[o]:
			case vr.fresh[o] && sub.reached[sr]:
				v.inVariant[o] = vr.changes[o]
				delete(pending, o)
				progress = true
			default:
				if vr.fresh[o] && len(sub.plan.byRule[sr]) == 0 {
					unprobed[o] = true
				}
				if f, ok := sub.first[sr]; ok {
					var by []*rule
					for _, x := range f.by {
						if ox := vr.orig[x.location()]; ox != nil {
							by = append(by, ox)
						}
					}
					next[o] = firstHit{probe: f.probe, fate: f.fate, by: by}
				}
			}
		}
		if !progress || (v.opt.FirstDifference && len(rep.Differences) > 0) {
			return
		}
		first = next
	}
}

// makeVariant makes the variant for the pending rules, removing the rules
// in removed (to which it adds, noting in why for which rule), or returns
// nil when it would change nothing.
func (v *verifier) makeVariant(pending, removed map[*rule]bool, why map[*rule][]string, first map[*rule]firstHit) (*variant, error) {
	m := v.model
	byChain := map[string][]*rule{}
	key := func(r *rule) string { return fmt.Sprintf("%d/%s/%s", r.fam, r.table, r.chain) }
	for _, r := range m.rules {
		byChain[key(r)] = append(byChain[key(r)], r)
	}
	// The chains that lead to a pending rule: a jump into one stays.
	leads := map[chainRef]bool{}
	var walk func(c chainRef)
	walk = func(c chainRef) {
		if leads[c] {
			return
		}
		leads[c] = true
		for _, j := range m.jumps[c] {
			walk(j.from)
		}
	}
	for r := range pending {
		if r.entry != nil {
			walk(r.entryRef)
		}
	}
	remove := func(r, x *rule) {
		if pending[x] || x.entry == nil || m.stateful[x] || !m.ends(x, leads) {
			return
		}
		removed[x] = true
		why[r] = append(why[r], x.location()+" removed")
	}
	enter := map[tableRef][]string{}
	entered := map[tableRef]map[string]bool{}
	for _, r := range m.rules {
		if !pending[r] {
			continue
		}
		for _, x := range byChain[key(r)][:r.index] {
			remove(r, x)
		}
		if f, ok := first[r]; ok {
			for _, x := range f.by {
				remove(r, x)
			}
		}
		if builtinChain(r.chain) || m.dead(r) == "" && len(r.targets) > 0 {
			continue
		}
		t := tableRef{r.fam, r.table}
		if entered[t] == nil {
			entered[t] = map[string]bool{}
		}
		if !entered[t][r.chain] {
			entered[t][r.chain] = true
			enter[t] = append(enter[t], r.chain)
		}
	}
	if len(enter) == 0 && len(removed) == 0 {
		return nil, nil
	}
	vr := &variant{orig: map[string]*rule{}, changes: map[*rule]string{}}
	from := map[tableRef]map[string][]string{} // table -> chain -> the built-in chains entering it
	for k, in := range v.inputs {
		for _, fam := range []parser.Family{parser.IPv4, parser.IPv6} {
			d := familyDump(in.dump, fam)
			if len(d.Tables) == 0 {
				continue
			}
			name := fmt.Sprintf("%s#%d", in.name, 2*k+int(fam-parser.IPv4))
			// The built-in chains each entered chain may be jumped to
			// from: those of a variant with that one jump the parser
			// accepts.
			for _, t := range d.Tables {
				tr := tableRef{fam, t.Name}
				for _, c := range enter[tr] {
					var ok []string
					for _, b := range parser.BuiltinChains(t.Name) {
						one := map[string][]string{b: {c}}
						src := writeVariant(d, name, m, removed, map[string]map[string][]string{t.Name: one}, nil)
						if _, _, err := parser.Parse(name, []byte(src), parser.Options{Family: fam}); err == nil {
							ok = append(ok, b)
						}
					}
					// Not from OUTPUT when another will do: the firewall's
					// own answers (REJECT's errors, replies) pass OUTPUT,
					// and a chain entered there meets them, which the
					// ruleset never sends it.
					if len(ok) > 1 {
						ok = slices.DeleteFunc(ok, func(b string) bool { return b == "OUTPUT" })
					}
					for _, b := range ok {
						if from[tr] == nil {
							from[tr] = map[string][]string{}
						}
						from[tr][b] = append(from[tr][b], c)
					}
				}
			}
			jumps := map[string]map[string][]string{}
			for tr, j := range from {
				if tr.fam == fam {
					jumps[tr.name] = j
				}
			}
			src := writeVariant(d, name, m, removed, jumps, vr.orig)
			vr.inputs = append(vr.inputs, Input{Name: name, Src: []byte(src), Family: fam})
		}
	}
	for r := range pending {
		var ch []string
		t := tableRef{r.fam, r.table}
		var bases []string
		for b, cs := range from[t] {
			for _, c := range cs {
				if c == r.chain {
					bases = append(bases, b)
				}
			}
		}
		if len(bases) > 0 {
			sort.Strings(bases)
			ch = append(ch, "its chain entered from the top of "+strings.Join(bases, ", "))
		}
		ch = append(ch, dedup(why[r])...)
		if len(ch) > 0 {
			vr.changes[r] = "a variant of the ruleset: " + strings.Join(ch, "; ")
		}
	}
	return vr, nil
}

// ends reports whether every packet r matches ends its way through r's
// chain there: with a verdict of its own, or a jump to a chain that ends
// them all and leads to no rule of leads (removing that jump would cut
// the way to them).
func (m *model) ends(r *rule, leads map[chainRef]bool) bool {
	for _, x := range append([]*translate.Rule{r.entry}, r.nft...) {
		if v := verdictOf(x); v != nil && (v.Kind == translate.VerdictJump || v.Kind == translate.VerdictGoto) && leads[chainRef{r.entryRef.fam, r.entryRef.table, v.Chain}] {
			return false
		}
		if m.terminal(r.entryRef, x) {
			return true
		}
	}
	return false
}

func builtinChain(name string) bool { return parser.BuiltinHook(name) != 0 }

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// writeVariant writes d in iptables-save form without the removed rules
// and with jumps[table][builtin] (chains jumped to, in order) first in
// their built-in chains. With orig set, it records which original rule
// each line holds (FILE:LINE, FILE being name).
func writeVariant(d *parser.Dump, name string, m *model, removed map[*rule]bool, jumps map[string]map[string][]string, orig map[string]*rule) string {
	var b strings.Builder
	line := 0
	emit := func(s string) {
		b.WriteString(s)
		b.WriteByte('\n')
		line++
	}
	for _, t := range d.Tables {
		emit("*" + t.Name)
		// The built-in chains a dump leaves out (iptables-restore makes
		// them, with policy ACCEPT): the variant's jumps may start there.
		var chains []*parser.Chain
		for _, b := range parser.BuiltinChains(t.Name) {
			if t.Chain(b) == nil {
				chains = append(chains, &parser.Chain{Name: b, Builtin: true})
			}
		}
		chains = append(chains, t.Chains...)
		for _, c := range chains {
			pol := "-"
			if c.Builtin {
				pol = c.Policy
				if pol == "" {
					pol = "ACCEPT"
				}
			}
			emit(fmt.Sprintf(":%s %s [0:0]", c.Name, pol))
		}
		for _, c := range chains {
			for _, to := range jumps[t.Name][c.Name] {
				emit(fmt.Sprintf("-A %s -j %s", c.Name, to))
			}
			for _, r := range c.Rules {
				x := m.byPos[r.Pos]
				if x != nil && removed[x] {
					continue
				}
				emit(ruleText(c.Name, r))
				if orig != nil && x != nil {
					orig[fmt.Sprintf("%s:%d", name, line)] = x
				}
			}
		}
		emit("COMMIT")
	}
	return b.String()
}

var variantPos = regexp.MustCompile(`[^\s(),;]+#\d+:\d+`)

// remap writes the original rules' positions for a variant's in s.
func (vr *variant) remap(s string) string {
	return variantPos.ReplaceAllStringFunc(s, func(p string) string {
		if o := vr.orig[p]; o != nil {
			return o.location()
		}
		return "(a jump of the variant)"
	})
}

// asOriginal runs fn on a variant's translation rs with the origins of its
// rules set to the original rules' positions (a rule's start, or the match
// or target an nft rule came from), and sets them back after.
func (vr *variant) asOriginal(m *model, rs *translate.Ruleset, fn func(*translate.Ruleset)) {
	byLine := map[string]*rule{}
	for _, r := range m.rules {
		byLine[r.location()] = r
	}
	saved := map[*translate.Rule]parser.Pos{}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				x := byLine[fmt.Sprintf("%s:%d", r.Origin.File, r.Origin.Line)]
				if x == nil || vr.orig[x.location()] == nil {
					continue
				}
				saved[r] = r.Origin
				r.Origin = samePlace(x.src, vr.orig[x.location()].src, r.Origin)
			}
		}
	}
	fn(rs)
	for r, p := range saved {
		r.Origin = p
	}
}

// samePlace is the position in o, the original rule, of what is at p in
// x, its copy in a variant.
func samePlace(x, o *parser.Rule, p parser.Pos) parser.Pos {
	for i, mt := range x.Matches {
		if mt.Pos == p && i < len(o.Matches) {
			return o.Matches[i].Pos
		}
	}
	if x.Target != nil && o.Target != nil && x.Target.Pos == p {
		return o.Target.Pos
	}
	for i, b := range x.Base {
		if b.Pos == p && i < len(o.Base) {
			return o.Base[i].Pos
		}
	}
	return o.Pos
}
