package translate

import (
	"bufio"

	"github.com/xt2nft/xt2nft/parser"
)

// Rendering ahead (Options.RenderAhead): in a translation while parsing,
// the rules of a chain of the dump come together, chain after chain, so a
// chain is final once a rule of a later chain (or the table's end) comes.
// It is then handed to a goroutine that renders it into text and lets its
// rules go, while the next chains are translated: the translation of a
// big dump is never held whole (its text is a tenth of its IR), and
// rendering runs beside the translation instead of after it. What the
// passes over the whole ruleset read of a chain's rules (its jumps for
// checkDepth, the backend's Check, the counts of CountRules) is taken
// before it goes.
//
// Helper chains are not rendered ahead (a later rule may share one, found
// by comparing its rules), nor the chains of raw tables (replicateHelpers
// copies them at the end).

// ahead is the background renderer of a translation.
type ahead struct {
	work chan *Chain
	done chan struct{}
	// checked are the Check diagnostics of the chains rendered ahead.
	checked []parser.Diagnostic
	// text is where the goroutine writes (its own).
	text blocks
}

// rendered is what a chain rendered ahead keeps of its rules.
type rendered struct {
	// text is the chain as Render prints it (set by the goroutine).
	text [][]byte
	// rules and anonSets are counted for CountRules.
	rules, anonSets int
	// jumps are the chain's jumps and gotos, for checkDepth.
	jumps []jump
}

// jump is a jump or goto of a rule to a chain.
type jump struct {
	origin parser.Pos
	to     string
}

// startAhead starts the renderer.
func (tr *translator) startAhead() {
	a := &ahead{work: make(chan *Chain, 64), done: make(chan struct{})}
	tr.ahead = a
	go func() {
		defer close(a.done)
		bw := bufio.NewWriterSize(&a.text, 4096)
		p := &printer{w: bw}
		for c := range a.work {
			p.chainText(c)
			bw.Flush()
			c.ahead.text = a.text.take()
			c.Rules = nil
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

// renderAhead hands chain c of nft table t, final, to the renderer.
func (tr *translator) renderAhead(t *Table, c *Chain) {
	a := tr.ahead
	if a == nil || a.work == nil || c == nil || c.ahead != nil || len(c.Rules) == 0 {
		return
	}
	if tr.opt.Check != nil {
		one := &Table{Family: t.Family, Name: t.Name, Sets: t.Sets, Objects: t.Objects, Chains: []*Chain{c}}
		a.checked = append(a.checked, tr.opt.Check(&Ruleset{Tables: []*Table{one}})...)
	}
	r := &rendered{rules: len(c.Rules)}
	for _, rule := range c.Rules {
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
	c.ahead = r
	a.work <- c
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
