//go:build linux

package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify/report"
)

// compare lists what differs between the two labs' observations of one
// step: the fate (where the packet went, with its headers, mark, ct mark,
// what left and what answered), the conntrack entry, and the counters of
// every iptables rule.
func (v *verifier) compare(s *seq, i int, r sent, tainted *bool, lg *ledger) []report.Difference {
	st := s.steps[i]
	v.metRandomNAT(s, r) // before any early return: the later steps' comparison needs it
	base := report.Difference{Rule: s.rule.location(), RuleText: s.rule.text(), Probe: s.steps[len(s.steps)-1].Spec.String(),
		Kind: s.probe.Kind, Step: st.What}
	var out []report.Difference
	// A difference the translator announced: the warning of the probe's
	// rule, or of a rule whose counts differ on this packet (a packet an
	// approximate rule let through differently goes on to other rules).
	warned := v.warns[s.rule.location()]
	if r.dn != nil && r.counted {
		for _, x := range countDiffs(r.dl, r.dn) {
			if warned == "" {
				warned = v.warns[x.location()]
			}
		}
		// Or of a NOTRACK rule that met the packet in both labs: its
		// counts agree, but its nft form may untrack what iptables'
		// leaves alone (a REJECT's reply), and what follows differs.
		for x := range r.dl {
			if warned == "" && r.dn[x] > 0 && x.untracks() {
				warned = v.warns[x.location()]
			}
		}
	}
	add := func(what, l, n string, _ *rule) {
		d := base
		d.What, d.Legacy, d.NFT, d.Warned = what, l, n, warned
		out = append(out, d)
	}
	for _, m := range []map[*rule]uint64{r.dl, r.dn} {
		for x := range m {
			if why := v.model.chance[x]; why != "" {
				v.note(fmt.Sprintf("%s (%s) depends on %s: probes it counted are not compared, nor, after them, probes counted by rules that depend on earlier packets", x.location(), x.text(), why))
				*tainted = true
				return nil
			}
			if *tainted && v.model.stateful[x] {
				return nil
			}
		}
	}
	mask := v.randomPorts(s, r)
	if a, b := detail(r.legacy, mask), detail(r.nft, mask); a != b {
		if fl, fn := fate(r.legacy), fate(r.nft); fl != fn {
			add("fate", fl, fn, s.rule)
		} else {
			// The same in one line: the difference is in the way there
			// (the hooks passed, the frames on the wire).
			add("way", a, b, s.rule)
		}
	}
	if a, b := ctText(r.legacy.CT, mask), ctText(r.nft.CT, mask); a != b {
		d := base
		d.What, d.Legacy, d.NFT, d.Warned = "conntrack entry", ctText(r.legacy.CT, nil), ctText(r.nft.CT, nil), warned
		if d.Warned == "" && r.legacy.CT == nil && r.nft.CT != nil {
			d.Warned = v.tracked[s.rule.fam] // the family's connections tracked by an inet table only
		}
		out = append(out, d)
	}
	if r.dn != nil && r.counted {
		for x := range r.dl {
			lg.total[x][0] += r.dl[x]
		}
		for x := range r.dn {
			lg.total[x][1] += r.dn[x]
		}
		// Where both labs saw the same other traffic while the probe was in
		// flight, differing counts are the probe's; where they did not, a
		// packet may have been counted in another step in one lab, and
		// the ledger waits for the totals.
		sameStray := strays(r.legacy) == strays(r.nft)
		for _, x := range countDiffs(r.dl, r.dn) {
			if !v.model.probed(x) && v.model.stateful[x] {
				// A variant's other rules that depend on earlier packets
				// (limits, quotas, lists) meet the traffic of every chain
				// the variant enters, which the ruleset never sends them:
				// their counts are not the variant's question.
				continue
			}
			d := base
			d.What, d.Legacy, d.NFT, d.Warned = "counter of "+x.location()+" ("+x.text()+")", matched(r.dl[x]), matched(r.dn[x]), warned
			if sameStray {
				out = append(out, d)
				continue
			}
			lg.add(x, int64(r.dl[x])-int64(r.dn[x]), d)
		}
	}
	return out
}

// ledger keeps the counter differences of steps where the two labs saw
// different other traffic, until the end of the pair's run. A packet the
// kernel handles late (after the step that sent it was read) is counted,
// and seen, with a later step in one lab and not the other: the per-step
// counts differ twice, in opposite ways, and the totals agree. So such a
// difference stands when the rule's running difference is not back to
// zero at the end; it is reported at the step where it last left zero.
type ledger struct {
	diff    map[*rule]int64
	total   map[*rule]*[2]uint64
	pending map[*rule]report.Difference
	settled int // differences that evened out later
}

func newLedger(m *model) *ledger {
	lg := &ledger{diff: map[*rule]int64{}, total: map[*rule]*[2]uint64{}, pending: map[*rule]report.Difference{}}
	for _, r := range m.rules {
		lg.total[r] = &[2]uint64{}
	}
	return lg
}

func (lg *ledger) add(x *rule, d int64, at report.Difference) {
	before := lg.diff[x]
	lg.diff[x] = before + d
	switch {
	case lg.diff[x] == 0:
		delete(lg.pending, x)
		lg.settled++
	case before == 0:
		lg.pending[x] = at
	}
}

// final is the counter differences that stand, with both totals.
func (lg *ledger) final() []report.Difference {
	var out []report.Difference
	for x, d := range lg.pending {
		t := lg.total[x]
		d.Legacy += fmt.Sprintf(" (over the whole run: %d)", t[0])
		d.NFT += fmt.Sprintf(" (over the whole run: %d)", t[1])
		out = append(out, d)
	}
	return out
}

// countDiffs are the rules whose counts differ, in rule order.
func countDiffs(a, b map[*rule]uint64) []*rule {
	var out []*rule
	for x, n := range a {
		if b[x] != n {
			out = append(out, x)
		}
	}
	for x, n := range b {
		if _, ok := a[x]; !ok && n != 0 {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		pi, pj := out[i].src.Pos, out[j].src.Pos
		if pi.File != pj.File {
			return pi.File < pj.File
		}
		return pi.Line < pj.Line
	})
	return out
}

func matched(n uint64) string {
	switch n {
	case 0:
		return "not matched"
	case 1:
		return "matched"
	}
	return fmt.Sprintf("matched %d times", n)
}

// portMask says which ports to leave out of a comparison (nil: none).
type portMask func(uint16) bool

// randomPorts: when the step, or an earlier step of its sequence (the
// connection's first packet, which NAT rules see), met a NAT rule that
// picks ports at random (--random, --random-fully, source NAT on a
// clash), the ports it picked differ from lab to lab by chance, and
// conntrack keeps them for the connection's later packets; the comparison
// leaves out every port that is not one of the probe's own.
// compare notes the step's part (metRandomNAT) before it asks.
func (v *verifier) randomPorts(s *seq, r sent) portMask {
	if !s.randomNAT {
		return nil
	}
	own := map[uint16]bool{}
	for _, e := range r.legacy.Events[:min(1, len(r.legacy.Events))] {
		h, _ := lab.Parse(e.Packet)
		own[h.Sport], own[h.Dport] = true, true
	}
	return func(p uint16) bool { return !own[p] }
}

// metRandomNAT notes in s that the step met a NAT rule that picks ports
// at random, or that the kernel picked a new source port for the step's
// connection (in either lab). The kernel does that without any NAT rule
// too: a connection whose reply tuple is another's original (a probe sent
// to the address a reverse flow was masqueraded from) gets a null binding
// with a random port (nf_nat_used_tuple), by chance in each lab.
func (v *verifier) metRandomNAT(s *seq, r sent) {
	for _, m := range []map[*rule]uint64{r.dl, r.dn} {
		for x := range m {
			s.randomNAT = s.randomNAT || v.model.randomNAT[x]
		}
	}
	for _, ct := range []*lab.CT{r.legacy.CT, r.nft.CT} {
		if ct != nil && ct.Status&ipsSrcNAT != 0 && ct.Reply.Dport != ct.Orig.Sport {
			s.randomNAT = true
		}
	}
}

// ipsSrcNAT is IPS_SRC_NAT: the connection's source was translated.
const ipsSrcNAT = 16

// header is a parsed header in one line, with masked ports as "*".
func header(b []byte, mask portMask) string {
	h, err := lab.Parse(b)
	if err != nil {
		return err.Error()
	}
	if mask != nil {
		if mask(h.Sport) {
			h.Sport = 0
		}
		if mask(h.Dport) {
			h.Dport = 0
		}
	}
	return h.String()
}

// detail is everything the observer saw, in order, for comparing: every
// observer chain's view of the packet (interfaces, mark, headers), every
// frame a peer received.
func detail(o lab.Observation, mask portMask) string {
	var b strings.Builder
	for _, e := range o.Events {
		fmt.Fprintf(&b, "%s in=%s out=%s mark=%#x %s\n", e.Point, e.In, e.Out, e.Mark, header(e.Packet, mask))
	}
	var frames []string
	for _, f := range o.Frames {
		frames = append(frames, fmt.Sprintf("frame %s tagged=%v %s", f.Link, f.Tagged, header(f.Packet, mask)))
	}
	sort.Strings(frames) // captures of different peers arrive in any order
	b.WriteString(strings.Join(frames, "\n"))
	return b.String()
}

// fate is an observation in one line: where the packet went, its mark
// and headers at the last chain that saw it, what left the firewall and
// what answered.
func fate(o lab.Observation) string {
	// The probe's own way, apart from the answers quoting it (an ICMP
	// error a REJECT sends is tagged with the probe too); a probe that is
	// an ICMP error itself has only its own events.
	own := o.Events
	if len(own) > 0 && !quoted(own[0].Packet) {
		own = nil
		for _, e := range o.Events {
			if !quoted(e.Packet) {
				own = append(own, e)
			}
		}
	}
	seen := map[string]bool{}
	var last lab.Event
	for _, e := range own {
		seen[e.Point] = true
		last = e
	}
	var parts []string
	// The observer logs first in prerouting and output, last in input,
	// forward and postrouting: a packet seen first but not last was
	// dropped (or stolen) between them.
	switch {
	case len(own) == 0:
		parts = append(parts, "never seen by the firewall")
	case seen["in"]:
		parts = append(parts, "delivered to the firewall")
	case seen["fwd"] && seen["post"]:
		parts = append(parts, "forwarded out "+last.Out)
	case seen["post"] && last.Point == "post" && last.Out != "lo":
		parts = append(parts, "sent out "+last.Out)
	case seen["pre"] && seen["out"]:
		parts = append(parts, "dropped on its way back in over lo (in prerouting or input)")
	case seen["pre"] && seen["fwd"]:
		parts = append(parts, "dropped in postrouting")
	case seen["pre"]:
		parts = append(parts, "dropped in prerouting, input or forward")
	default:
		parts = append(parts, "dropped in output or postrouting")
	}
	if len(own) > 0 {
		h, _ := lab.Parse(last.Packet)
		parts = append(parts, fmt.Sprintf("mark %#x", last.Mark), "as "+h.String())
	}
	if o.CT != nil {
		parts = append(parts, fmt.Sprintf("ct mark %#x", o.CT.Mark))
	}
	for _, f := range o.Frames {
		h, _ := lab.Parse(f.Packet)
		what := "left by " + f.Link
		if !f.Tagged || h.Quoted {
			what = "answer on " + f.Link
		}
		parts = append(parts, what+": "+h.String())
	}
	return strings.Join(parts, "; ")
}

// quoted reports whether a packet is an ICMP error quoting another.
func quoted(b []byte) bool {
	h, err := lab.Parse(b)
	return err == nil && h.Quoted
}

// ctText is a conntrack entry without what differs by timing alone
// (its timeout) and the kernel's bookkeeping bits: mark, status
// (expected, seen reply, assured, confirmed, snat, dnat) and tuples.
func ctText(ct *lab.CT, mask portMask) string {
	if ct == nil {
		return "none"
	}
	return fmt.Sprintf("status %#x mark %#x original %s reply %s", ct.Status&0x3f, ct.Mark, tuple(ct.Orig, mask), tuple(ct.Reply, mask))
}

func tuple(t lab.Tuple, mask portMask) string {
	sp, dp := fmt.Sprint(t.Sport), fmt.Sprint(t.Dport)
	if mask != nil && mask(t.Sport) {
		sp = "*"
	}
	if mask != nil && mask(t.Dport) {
		dp = "*"
	}
	return fmt.Sprintf("%d %s:%s>%s:%s", t.Proto, t.Src, sp, t.Dst, dp)
}

// coverage counts the rules iptables matched for some probe and explains
// every other one.
func (v *verifier) coverage(rep *report.Report) {
	rep.Rules = len(v.model.rules)
	for _, r := range v.model.rules {
		if r.entry == nil {
			rep.Untranslated++ // --allow-partial
		}
		if v.reached[r] {
			rep.Reached++
			continue
		}
		u := report.Uncovered{Rule: r.location(), RuleText: r.text()}
		if ch, ok := v.inVariant[r]; ok {
			rep.InVariant++
			u.Reason, u.Dead = ch, v.model.dead(r) != ""
			rep.Variants = append(rep.Variants, u)
			if u.Dead {
				rep.Dead++
			}
			continue
		}
		if why := v.model.dead(r); why != "" {
			u.Dead = true
			u.Reason = "no packet can reach it: " + why
			rep.Dead++
		} else {
			u.Reason = v.whyUncovered(r)
		}
		rep.Uncovered = append(rep.Uncovered, u)
	}
	rep.Coverage, rep.LiveCoverage, rep.VariantCoverage = 1, 1, 1
	if rep.Rules > 0 {
		rep.Coverage = float64(rep.Reached) / float64(rep.Rules)
		rep.VariantCoverage = float64(rep.Reached+rep.InVariant) / float64(rep.Rules)
	}
	if live := rep.Rules - rep.Dead; live > 0 {
		rep.LiveCoverage = float64(rep.Reached) / float64(live)
	}
}

// whyUncovered says why no probe reached r.
func (v *verifier) whyUncovered(r *rule) string {
	var why []string
	switch {
	case r.entry == nil:
		return "it has no nft rule (not translated)"
	case len(r.targets) == 0:
		return "its chain is not reached from any built-in chain"
	}
	if len(r.unprobed) > 0 {
		why = append(why, "probes cannot set: "+strings.Join(r.unprobed, "; "))
	}
	if ws := v.plan.whyNot[r]; len(ws) > 0 {
		why = append(why, strings.Join(ws, "; "))
	}
	if f, ok := v.first[r]; ok {
		var by []string
		for _, x := range f.by {
			by = append(by, x.location())
		}
		sort.Strings(by)
		s := fmt.Sprintf("its probe %s was %s", f.probe, f.fate)
		if len(by) > 0 {
			s += ", matched by " + strings.Join(by, ", ")
		}
		why = append(why, s)
	} else if len(v.plan.byRule[r]) == 0 && len(why) == 0 {
		why = append(why, "no probe could be made for it")
	}
	return strings.Join(why, "; ")
}

// strays is the other traffic the observer saw during a probe, in order
// of kind (not of time: the two labs interleave it differently).
func strays(o lab.Observation) string {
	var out []string
	for _, e := range o.Stray {
		out = append(out, e.Point+" "+header(e.Packet, nil))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// untracks reports whether the rule's translation has a notrack.
func (x *rule) untracks() bool {
	for _, r := range x.nft {
		for _, st := range r.Stmts {
			if _, ok := st.(*translate.Notrack); ok {
				return true
			}
		}
	}
	return false
}

// shareWarnings gives a difference with no warning the warning of another
// difference of the same probe (the same packet of the same exchange, in
// the same ruleset or variant): one probe is compared more than once (in
// its batch, then sent alone), and where only one comparison could tell
// which rules counted it, a difference of its fate found in the other
// came from the same approximate rule, whose counts differ on it.
func shareWarnings(ds []report.Difference) {
	type probe struct{ rule, probe, kind, step, variant string }
	warned := map[probe]string{}
	for _, d := range ds {
		k := probe{d.Rule, d.Probe, d.Kind, d.Step, d.Variant}
		if d.Warned != "" && warned[k] == "" {
			warned[k] = d.Warned
		}
	}
	for i := range ds {
		if ds[i].Warned == "" {
			ds[i].Warned = warned[probe{ds[i].Rule, ds[i].Probe, ds[i].Kind, ds[i].Step, ds[i].Variant}]
		}
	}
}
