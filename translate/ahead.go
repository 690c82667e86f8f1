package translate

import (
	"bufio"

	"github.com/xt2nft/xt2nft/parser"
)

// Rendering ahead (Options.RenderAhead): in a translation while parsing,
// the rules of a chain of the dump come together, chain after chain, and a
// rule once translated does not change. So the rules of a chain are handed
// to a goroutine a batch at a time, which renders them into text and lets
// them go, while the next rules are translated; the chain is closed once a
// rule of a later chain (or the table's end) comes. The translation of a
// big dump is never held whole (its text is a fifth of its IR), nor a big
// chain's, and rendering runs beside the translation instead of after it.
// What the passes over the whole ruleset read of a chain's rules (its
// jumps for checkDepth, the backend's Check, the counts of CountRules) is
// taken, by the renderer, before they go.
//
// Helper chains are not rendered ahead (a later rule may share one, found
// by comparing its rules), nor the chains of raw tables (replicateHelpers
// copies them at the end).

// aheadBatch is how many rules of a chain are rendered at a time.
const aheadBatch = 1024

// ahead is the background renderer of a translation.
type ahead struct {
	work chan aheadWork
	done chan struct{}
	// checked are the Check diagnostics of the rules rendered ahead.
	checked []parser.Diagnostic
	// text is where the goroutine writes (its own).
	text blocks
}

// aheadWork is a batch of rules of chain c to render: the chain's first
// (head: its declaration comes first) or its last (end: it is closed).
type aheadWork struct {
	c         *Chain
	rules     []*Rule
	head, end bool
}

// rendered is what a chain rendered ahead keeps of its rules.
type rendered struct {
	// text is the chain as Render prints it; rules and anonSets are
	// counted for CountRules, jumps are the chain's jumps and gotos for
	// checkDepth. The goroutine's, until the renderer is stopped.
	text            [][]byte
	rules, anonSets int
	jumps           []jump
	// closed is set once the chain's last rules are handed over.
	closed bool
}

// jump is a jump or goto of a rule to a chain.
type jump struct {
	origin parser.Pos
	to     string
}

// startAhead starts the renderer.
func (tr *translator) startAhead() {
	// A short queue: when the renderer lags, the translation waits rather
	// than keep many batches.
	a := &ahead{work: make(chan aheadWork, 4), done: make(chan struct{})}
	tr.ahead = a
	go func() {
		defer close(a.done)
		bw := bufio.NewWriterSize(&a.text, 4096)
		p := &printer{w: bw}
		for w := range a.work {
			r := w.c.ahead
			r.rules += len(w.rules)
			for _, rule := range w.rules {
				r.anonSets += anonSetCount(rule)
				if rule.Disabled != "" {
					continue
				}
				for _, st := range rule.Stmts {
					if v, ok := st.(*Verdict); ok && (v.Kind == VerdictJump || v.Kind == VerdictGoto) {
						r.jumps = append(r.jumps, jump{rule.Origin, v.Chain})
					}
				}
			}
			if w.head {
				p.chainHead(w.c)
			}
			p.chainRules(w.rules)
			if w.end {
				p.s("\t}\n")
			}
			bw.Flush()
			w.c.ahead.text = append(w.c.ahead.text, a.text.take()...)
		}
	}()
}

// stopAhead waits for the renderer to finish the chains handed to it;
// afterwards, chains are rendered by Render.
func (tr *translator) stopAhead() {
	if tr.ahead != nil && tr.ahead.work != nil {
		close(tr.ahead.work)
		<-tr.ahead.done
		tr.ahead.work = nil
	}
}

// renderAhead hands the rules of chain c of nft table t to the renderer,
// when they make a batch or, with end, because the chain is final.
func (tr *translator) renderAhead(t *Table, c *Chain, end bool) {
	a := tr.ahead
	if a == nil || a.work == nil || c == nil || (c.ahead != nil && c.ahead.closed) {
		return
	}
	if end && c.ahead == nil && len(c.Rules) == 0 {
		return // an empty chain: Render writes it
	}
	if !end && len(c.Rules) < aheadBatch {
		return
	}
	if tr.opt.Check != nil && len(c.Rules) > 0 {
		one := &Table{Family: t.Family, Name: t.Name, Sets: t.Sets, Objects: t.Objects, Chains: []*Chain{{Name: c.Name, Base: c.Base, Rules: c.Rules}}}
		a.checked = append(a.checked, tr.opt.Check(&Ruleset{Tables: []*Table{one}})...)
	}
	head := c.ahead == nil
	if head {
		c.ahead = &rendered{}
	}
	c.ahead.closed = end
	a.work <- aheadWork{c: c, rules: c.Rules, head: head, end: end}
	c.Rules = nil // the renderer's now
	// The rules' slabs keep no hold on the arrays used up: each goes once
	// the rules in it are rendered.
	tr.rules.Forget()
	tr.stmts.Forget()
	tr.matches.Forget()
	tr.counters.Forget()
	tr.verdictSlab.Forget()
	tr.intSlab.Forget()
	tr.addrSlab.Forget()
}

// anonSetCount counts the anonymous sets of a rule's matches.
func anonSetCount(r *Rule) int {
	n := 0
	for _, st := range r.Stmts {
		if m, ok := st.(*Match); ok {
			if _, ok := m.Right.(*SetLit); ok {
				n++
			}
		}
	}
	return n
}

// CountRules returns the number of rules of rs and of the anonymous sets
// their matches compare with, chains rendered ahead included.
func CountRules(rs *Ruleset) (rules, anonSets int) {
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if c.ahead != nil {
				rules += c.ahead.rules
				anonSets += c.ahead.anonSets
				continue
			}
			rules += len(c.Rules)
			for _, r := range c.Rules {
				anonSets += anonSetCount(r)
			}
		}
	}
	return rules, anonSets
}

// blocks is text written into 64 KiB blocks, never moved once written
// (a growing buffer would copy the whole script as it doubles).
type blocks struct {
	cur  []byte
	from int // where the text not taken yet starts in cur
	out  [][]byte
}

const blockSize = 64 << 10

func (b *blocks) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(b.cur) == cap(b.cur) {
			if len(b.cur) > b.from {
				b.out = append(b.out, b.cur[b.from:])
			}
			b.cur, b.from = make([]byte, 0, blockSize), 0
		}
		k := min(len(p), cap(b.cur)-len(b.cur))
		b.cur = append(b.cur, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// take returns the text written since the last take.
func (b *blocks) take() [][]byte {
	if len(b.cur) > b.from {
		b.out = append(b.out, b.cur[b.from:len(b.cur):len(b.cur)])
		b.from = len(b.cur)
	}
	out := b.out
	b.out = nil
	return out
}
