//go:build linux

package verify

import (
	"fmt"
	"github.com/xt2nft/xt2nft/verify/probe"
	"sort"
	"sync"
	"time"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/verify/report"
)

// sent is what both labs saw of one step.
type sent struct {
	legacy, nft lab.Observation
	// dl and dn are the counts each iptables rule gained (nil dn: no map
	// for a translation made elsewhere).
	dl, dn map[*rule]uint64
}

// run sends every probe through both firewalls, pairs of labs in
// parallel, and collects the differences.
func (v *verifier) run(rep *report.Report) error {
	seqs := v.plan.seqs
	rep.Probes = len(seqs)
	n := v.opt.Pairs
	if n <= 0 {
		n = 2
	}
	if n > len(seqs)/8+1 {
		n = len(seqs)/8 + 1
	}
	topo := v.plan.topology()
	parts := make([][]*seq, n)
	for i, s := range seqs {
		parts[i%n] = append(parts[i%n], s)
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
		stop = make(chan struct{})
		once sync.Once
	)
	v.reached = map[*rule]bool{}
	v.first = map[*rule]firstHit{}
	for _, part := range parts {
		wg.Add(1)
		go func(part []*seq) {
			defer wg.Done()
			p, err := v.buildPair(topo)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			defer p.close()
			tainted := false // a rule of chance has sent the two labs' states apart
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
			err = p.run(part, stop, func(s *seq, i int, r sent) {
				ds := v.compare(s, i, r, &tainted, lg)
				mu.Lock()
				defer mu.Unlock()
				rep.Packets++
				if v.opt.Trace != nil {
					st := s.steps[i]
					fmt.Fprintf(v.opt.Trace, "%s [%s] %s: %s\n  legacy: %s %v\n  nft:    %s %v\n", s.rule.location(), s.probe.Kind, st.What, st.Spec,
						fate(r.legacy), names(r.dl), fate(r.nft), names(r.dn))
					for _, side := range []lab.Observation{r.legacy, r.nft} {
						for _, e := range side.Stray {
							h, _ := lab.Parse(e.Packet)
							fmt.Fprintf(v.opt.Trace, "  stray: %s in=%s out=%s %s\n", e.Point, e.In, e.Out, h)
						}
					}
				}
				v.account(s, i, r)
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
		}(part)
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// run sends the sequences, each step to both labs at once, and reads
// both labs' counters after it. Sequences run interleaved: while one
// waits out a pause (a recent window), the others go on; both labs
// always get the same steps in the same order.
func (p *pair) run(seqs []*seq, stop <-chan struct{}, done func(*seq, int, sent)) error {
	prevL, err := p.legacy.counts()
	if err != nil {
		return err
	}
	prevN, err := p.nft.counts()
	if err != nil {
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
		st := a.s.steps[a.next]
		r, curL, curN, err := p.send(st)
		if err != nil {
			return err
		}
		r.dl, r.dn = delta(curL, prevL), delta(curN, prevN)
		prevL, prevN = curL, curN
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
		p.tail(delta(curL, prevL), delta(curN, prevN))
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
	for x := range r.dl {
		v.reached[x] = true
	}
	if st := s.steps[i]; st.Main && s.probe.Hit {
		for _, x := range append([]*rule{s.rule}, s.also...) {
			if _, ok := v.first[x]; !ok {
				var by []*rule
				for y := range r.dl {
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
