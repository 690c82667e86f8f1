//go:build linux

package verify

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xt2nft/xt2nft/internal/progress"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/verify/probe"
	"github.com/xt2nft/xt2nft/verify/report"
)

// sent is what both labs saw of one step.
type sent struct {
	legacy, nft lab.Observation
	// dl and dn are the counts each iptables rule gained (nil dn: no map
	// for a translation made elsewhere), dl as the nft side counts
	// (pair.foldTwins); hits are dl as iptables counted, which rules the
	// step reached; counted says they are the step's own (not a batch's).
	dl, dn, hits map[*rule]uint64
	counted      bool
}

// run sends every probe through both firewalls, pairs of labs in
// parallel, and collects the differences.
func (v *verifier) run(rep *report.Report) error {
	v.reached = map[*rule]bool{}
	v.first = map[*rule]firstHit{}
	v.reachedBy = map[*rule]*seq{}
	tb := time.Now()
	v.opt.Progress.Start("building the labs", 0, "")
	pairs, err := v.pairs(len(v.plan.seqs))
	if err != nil {
		return err
	}
	v.buildTime = time.Since(tb)
	defer func() {
		for _, p := range pairs {
			p.close()
		}
	}()
	if err := v.round(rep, v.plan.seqs, pairs); err != nil {
		return err
	}
	if v.opt.FirstDifference && len(rep.Differences) > 0 || v.variantRun {
		return nil
	}
	// A second round for what the first showed: the variants of a rule on
	// the path where a probe reached it (when its first path did not), and
	// other protocols for a rule no probe reached. The same labs, with the
	// addresses and routes the new probes need added.
	more := v.plan.round2(v.model, v.reached, v.reachedBy)
	if len(more) == 0 {
		return nil
	}
	topo := v.plan.topology()
	v.opt.Progress.Start("extending the labs for the second round", 0, "")
	for _, p := range pairs {
		if err := p.legacy.lab.Extend(topo); err != nil {
			return err
		}
		if err := p.nft.lab.Extend(topo); err != nil {
			return err
		}
	}
	return v.round(rep, more, pairs)
}

// pairs builds the pairs of labs for n sequences, in parallel.
func (v *verifier) pairs(n int) ([]*pair, error) {
	k := v.opt.Pairs
	if k <= 0 {
		k = 2
	}
	k = min(k, n/8+1)
	topo := v.plan.topology()
	out := make([]*pair, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = v.buildPair(topo)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			for _, p := range out {
				if p != nil {
					p.close()
				}
			}
			return nil, errs[i]
		}
	}
	return out, nil
}

// round sends a set of sequences through the pairs of labs, spread over
// them.
func (v *verifier) round(rep *report.Report, seqs []*seq, pairs []*pair) error {
	rep.Probes += len(seqs)
	what := "sending the probes through both labs"
	if rep.Probes > len(seqs) {
		what = "sending the second round's probes"
	}
	v.opt.Progress.Start(fmt.Sprintf("%s (%s)", what, progress.Of(len(pairs), "pair of labs", "pairs of labs")), int64(len(seqs)), "probes")
	parts := make([][]*seq, len(pairs))
	for i, s := range seqs {
		parts[i%len(pairs)] = append(parts[i%len(pairs)], s)
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
		stop = make(chan struct{})
		once sync.Once
	)
	for pi, part := range parts {
		wg.Add(1)
		go func(p *pair, part []*seq) {
			defer wg.Done()
			if p.tainted == nil {
				p.tainted = new(bool) // a rule of chance has sent the two labs' states apart
			}
			lg := newLedger(v.model)
			defer func() {
				mu.Lock()
				rep.Differences = append(rep.Differences, lg.final()...)
				if lg.settled > 0 {
					v.settled += lg.settled
				}
				mu.Unlock()
			}()
			p.tail = func(dl, dn map[*rule]uint64) {
				mu.Lock()
				defer mu.Unlock()
				for _, x := range countDiffs(dl, dn) {
					lg.add(x, int64(dl[x])-int64(dn[x]), report.Difference{Rule: x.location(), RuleText: x.text(),
						Probe: "none (counted after the last probe)", Kind: "late", Step: "probe",
						What: "counter of " + x.location() + " (" + x.text() + ")", Legacy: matched(dl[x]), NFT: matched(dn[x])})
				}
			}
			batched, rest := splitBatchable(part)
			if err := p.batches(batched, stop, func(b []*seq, rs []sent, hits, dl, dn map[*rule]uint64) {
				ds := v.compareBatch(p, b, rs, dl, dn, lg)
				mu.Lock()
				defer mu.Unlock()
				for i, s := range b {
					rep.Packets++
					v.trace(s, 0, rs[i])
				}
				v.opt.Progress.Add(int64(len(b)))
				for x := range hits {
					v.reached[x] = true
				}
				rep.Differences = append(rep.Differences, ds...)
				if len(ds) > 0 && v.opt.FirstDifference {
					once.Do(func() { close(stop) })
				}
			}); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			err := p.run(rest, stop, func(s *seq, i int, r sent) {
				ds := v.compare(s, i, r, p.tainted, lg)
				if len(ds) > 0 && v.capacity(p) {
					ds = v.compare(s, i, r, p.tainted, newLedger(v.model)) // counted in lg already
				}
				if len(ds) > 0 && v.confirmable(s, r) {
					// A difference must show again: under load the kernel
					// or a reader can lose or delay an observation.
					if r2, err := p.again(s.steps[i]); err == nil && len(v.compare(s, i, r2, p.tainted, lg)) == 0 {
						v.unconfirmed.Add(1)
						ds = nil
					}
				}
				mu.Lock()
				defer mu.Unlock()
				rep.Packets++
				v.trace(s, i, r)
				v.account(s, i, r)
				if i == len(s.steps)-1 {
					v.opt.Progress.Add(1)
				}
				rep.Differences = append(rep.Differences, ds...)
				if len(ds) > 0 && v.opt.FirstDifference {
					once.Do(func() { close(stop) })
				}
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(pairs[pi], part)
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// trace writes a step to Options.Trace.
func (v *verifier) trace(s *seq, i int, r sent) {
	if v.opt.Trace == nil {
		return
	}
	st := s.steps[i]
	fmt.Fprintf(v.opt.Trace, "%s [%s] %s: %s\n  legacy: %s %v\n  nft:    %s %v\n", s.rule.location(), s.probe.Kind, st.What, st.Spec,
		fate(r.legacy), names(r.hits), fate(r.nft), names(r.dn))
	for _, side := range []lab.Observation{r.legacy, r.nft} {
		for _, e := range side.Stray {
			h, _ := lab.Parse(e.Packet)
			fmt.Fprintf(v.opt.Trace, "  stray: %s in=%s out=%s %s\n", e.Point, e.In, e.Out, h)
		}
	}
}

// run sends the sequences, each step to both labs at once, and reads
// both labs' counters after it. Sequences run interleaved: while one
// waits out a pause (a recent window), the others go on; both labs
// always get the same steps in the same order.
func (p *pair) run(seqs []*seq, stop <-chan struct{}, done func(*seq, int, sent)) error {
	var err error
	if p.prevL, err = p.legacy.counts(); err != nil {
		return err
	}
	if p.prevN, err = p.nft.counts(); err != nil {
		return err
	}
	var act []*running
	queue := seqs
	for len(act) > 0 || len(queue) > 0 {
		select {
		case <-stop:
			return nil
		default:
		}
		now := time.Now()
		// Start sequences while the ones running all wait.
		for len(queue) > 0 && len(act) < maxActive && !anyDue(act, now) {
			s := queue[0]
			queue = queue[1:]
			act = append(act, &running{s: s, due: now.Add(s.steps[0].Pause)})
		}
		if len(act) == 0 {
			continue
		}
		a := act[0]
		for _, x := range act[1:] {
			if x.due.Before(a.due) {
				a = x
			}
		}
		if d := time.Until(a.due); d > 0 {
			time.Sleep(d)
		}
		r, err := p.step(a.s.steps[a.next])
		if err != nil {
			return err
		}
		done(a.s, a.next, r)
		a.next++
		if a.next == len(a.s.steps) {
			for i, x := range act {
				if x == a {
					act = append(act[:i], act[i+1:]...)
					break
				}
			}
			continue
		}
		a.due = time.Now().Add(a.s.steps[a.next].Pause)
	}
	// What the kernel counted after the last step was read (a packet it
	// handled late) goes to the ledger too.
	time.Sleep(tailWait)
	curL, err := p.legacy.counts()
	if err != nil {
		return err
	}
	curN, err := p.nft.counts()
	if err != nil {
		return err
	}
	if p.tail != nil {
		p.tail(p.foldTwins(delta(curL, p.prevL)), delta(curN, p.prevN))
	}
	return nil
}

// tailWait is how long a pair waits after its last step before the last
// counter reading.
const tailWait = 200 * time.Millisecond

// maxActive bounds the sequences a pair runs interleaved.
const maxActive = 16

// running is a sequence a pair is sending: its next step and when.
type running struct {
	s    *seq
	next int
	due  time.Time
}

func anyDue(act []*running, now time.Time) bool {
	for _, a := range act {
		if !a.due.After(now) {
			return true
		}
	}
	return false
}

// step sends one step to both labs, with the counts each rule gained.
func (p *pair) step(st probe.Step) (sent, error) {
	r, curL, curN, err := p.send(st)
	if err != nil {
		return r, err
	}
	r.hits, r.dn = delta(curL, p.prevL), delta(curN, p.prevN)
	r.dl = p.foldTwins(r.hits)
	r.counted = true
	p.prevL, p.prevN = curL, curN
	return r, nil
}

// again sends a step a second time as the first packet of its flow (its
// conntrack entry forgotten in both labs).
func (p *pair) again(st probe.Step) (sent, error) {
	if err := p.legacy.lab.Forget(st.Probe); err != nil {
		return sent{}, err
	}
	if err := p.nft.lab.Forget(st.Probe); err != nil {
		return sent{}, err
	}
	return p.step(st)
}

// send sends one step to both labs and reads their counters.
func (p *pair) send(st probe.Step) (sent, map[*rule]uint64, map[*rule]uint64, error) {
	var r sent
	var errL, errN error
	var curL, curN map[*rule]uint64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if r.legacy, errL = p.legacy.lab.Send(st.Probe); errL == nil {
			curL, errL = p.legacy.counts()
		}
	}()
	go func() {
		defer wg.Done()
		if r.nft, errN = p.nft.lab.Send(st.Probe); errN == nil {
			curN, errN = p.nft.counts()
		}
	}()
	wg.Wait()
	if errL != nil {
		return r, nil, nil, fmt.Errorf("iptables-legacy lab: %w", errL)
	}
	if errN != nil {
		return r, nil, nil, fmt.Errorf("nft lab: %w", errN)
	}
	return r, curL, curN, nil
}

func delta(cur, prev map[*rule]uint64) map[*rule]uint64 {
	if cur == nil {
		return nil
	}
	out := map[*rule]uint64{}
	for r, n := range cur {
		if d := n - prev[r]; d != 0 {
			out[r] = d
		}
	}
	return out
}

// firstHit remembers, for a rule no probe reached yet, what became of its
// first hit probe (for the uncovered list).
type firstHit struct {
	probe string
	fate  string
	by    []*rule
}

// account records which rules the step reached (iptables' counters).
func (v *verifier) account(s *seq, i int, r sent) {
	for x := range r.hits {
		v.reached[x] = true
		if v.reachedBy[x] == nil {
			v.reachedBy[x] = s
		}
	}
	if st := s.steps[i]; st.Main && s.probe.Hit {
		for _, x := range append([]*rule{s.rule}, s.also...) {
			if _, ok := v.first[x]; !ok {
				var by []*rule
				for y := range r.hits {
					by = append(by, y)
				}
				v.first[x] = firstHit{probe: st.Spec.String(), fate: fate(r.legacy), by: by}
			}
		}
	}
}

// names lists the rules of counts, for traces.
func names(m map[*rule]uint64) []string {
	var out []string
	for r, n := range m {
		out = append(out, fmt.Sprintf("%s=%d", r.location(), n))
	}
	sort.Strings(out)
	return out
}

// confirmable reports whether a step can be sent again to confirm a
// difference: a probe alone (no exchange before it), counted by no rule
// that remembers packets.
func (v *verifier) confirmable(s *seq, r sent) bool {
	if len(s.steps) != 1 {
		return false
	}
	for _, m := range []map[*rule]uint64{r.dl, r.dn} {
		for x := range m {
			if v.model.stateful[x] || v.model.chance[x] != "" {
				return false
			}
		}
	}
	return true
}

// batchSize is how many single probes a pair sends between two counter
// readings.
const batchSize = 24

// splitBatchable separates the probes that can be sent in batches (a
// single packet with no pause: misses and extra hits) from the others
// (hits, which tell coverage and the second round which probe reached a
// rule, and every exchange or timed sequence).
func splitBatchable(seqs []*seq) (batched, rest []*seq) {
	for _, s := range seqs {
		k := strings.TrimPrefix(s.probe.Kind, "round 2: ")
		if len(s.steps) == 1 && s.steps[0].Pause == 0 && (strings.HasPrefix(k, "miss:") || strings.HasPrefix(k, "hit:")) {
			batched = append(batched, s)
		} else {
			rest = append(rest, s)
		}
	}
	return batched, rest
}

// batches sends single probes batchSize at a time, reading the counters
// once per batch.
func (p *pair) batches(seqs []*seq, stop <-chan struct{}, done func(b []*seq, rs []sent, hits, dl, dn map[*rule]uint64)) error {
	var err error
	if p.prevL, err = p.legacy.counts(); err != nil {
		return err
	}
	if p.prevN, err = p.nft.counts(); err != nil {
		return err
	}
	for len(seqs) > 0 {
		select {
		case <-stop:
			return nil
		default:
		}
		b := seqs[:min(batchSize, len(seqs))]
		seqs = seqs[len(b):]
		rs := make([]sent, len(b))
		for i, s := range b {
			if rs[i], err = p.observe(s.steps[0]); err != nil {
				return err
			}
		}
		curL, err := p.legacy.counts()
		if err != nil {
			return err
		}
		curN, err := p.nft.counts()
		if err != nil {
			return err
		}
		hits, dn := delta(curL, p.prevL), delta(curN, p.prevN)
		p.prevL, p.prevN = curL, curN
		done(b, rs, hits, p.foldTwins(hits), dn)
	}
	return nil
}

// observe sends one step to both labs without reading counters.
func (p *pair) observe(st probe.Step) (sent, error) {
	var r sent
	var errL, errN error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.legacy, errL = p.legacy.lab.Send(st.Probe) }()
	go func() { defer wg.Done(); r.nft, errN = p.nft.lab.Send(st.Probe) }()
	wg.Wait()
	if errL != nil {
		return r, fmt.Errorf("iptables-legacy lab: %w", errL)
	}
	if errN != nil {
		return r, fmt.Errorf("nft lab: %w", errN)
	}
	return r, nil
}

// compareBatch compares a batch: every probe's fate and conntrack entry,
// and the counts of the batch as a whole. Where the counts differ, each
// probe of the batch is sent again alone (as the first packet of its
// flow), with the counters read around it, to find the probes whose counts
// differ; a difference that does not show again is not reported.
func (v *verifier) compareBatch(p *pair, b []*seq, rs []sent, dl, dn map[*rule]uint64, lg *ledger) []report.Difference {
	var out []report.Difference
	for i, s := range b {
		r := rs[i]
		r.dl, r.dn = dl, dn // the batch's: for the decisions of chance and random ports; counts are compared below
		ds := v.compare(s, 0, r, p.tainted, lg)
		if len(ds) > 0 && v.capacity(p) {
			ds = v.compare(s, 0, r, p.tainted, newLedger(v.model)) // counted in lg already
		}
		if len(ds) > 0 {
			if r2, err := p.again(s.steps[0]); err == nil && v.confirmable(s, r2) {
				ds2 := v.compare(s, 0, r2, p.tainted, lg)
				if len(ds2) == 0 {
					v.unconfirmed.Add(1)
					continue
				}
				// Sent alone, the probe was counted: a warning that
				// announces the difference shows there.
				warned := ""
				for _, d2 := range ds2 {
					if warned == "" {
						warned = d2.Warned
					}
				}
				for k := range ds {
					if ds[k].Warned == "" {
						ds[k].Warned = warned
					}
				}
			}
			out = append(out, ds...)
		}
	}
	if dn == nil || len(countDiffs(dl, dn)) == 0 {
		return out
	}
	for _, x := range countDiffs(dl, dn) {
		if v.model.chance[x] != "" || *p.tainted && v.model.stateful[x] {
			return out // counts of chance: not compared
		}
	}
	found := false
	for _, s := range b {
		r, err := p.again(s.steps[0])
		if err != nil {
			break
		}
		for _, d := range v.compare(s, 0, r, p.tainted, lg) {
			if strings.HasPrefix(d.What, "counter of ") {
				out = append(out, d)
				found = true
			}
		}
	}
	if !found {
		v.unconfirmed.Add(1)
	}
	return out
}
