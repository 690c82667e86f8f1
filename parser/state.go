package parser

import (
	"strconv"
)

// state is the ruleset as iptables-restore (or a sequence of iptables
// commands) builds it: per family and table, chains with ordered rules.
type state struct {
	tables []*tableState
	// sink, when set, receives the rules of a dump as they are appended
	// (ParseStream of a Streamable dump).
	sink Sink
}

type tableState struct {
	t *Table
	// With a sink, a rule goes to it as soon as it is appended, and the
	// table keeps only what its COMMIT checks of it (checks, by chain).
	sink      Sink
	announced bool
	checks    map[*Chain]*chainChecks
	// last is the chain of the last rule, with a sink (a Streamable
	// dump's chains are neither renamed nor deleted).
	last *Chain
}

// chainChecks is what the COMMIT checks read of the rules of a chain: the
// targets that name a chain (jumps and gotos to user chains), and the
// kernel's restrictions on the rules' extensions (kernelSteps), in order.
type chainChecks struct {
	jumps  []Target // copies (the rule's tree may be reused), without options
	kernel [][]kernelStep
}

// add records what COMMIT checks of rule r of a table; cmd, when not
// nil, is the command that appends it (its steps may be found already).
func (cc *chainChecks) add(t *Table, r *Rule, cmd *command) {
	if tg := r.Target; tg != nil && tg.Chain && !standardTargets[tg.Name] {
		cc.jumps = append(cc.jumps, Target{Pos: tg.Pos, Name: tg.Name, Goto: tg.Goto, Chain: true})
	}
	var steps []kernelStep
	if cmd != nil && cmd.stepsDone && cmd.stepsFor == t.Name && cmd.stepsFam == t.Family {
		steps = cmd.steps
	} else {
		steps = kernelSteps(t.Family, t.Name, r)
	}
	if len(steps) > 0 {
		cc.kernel = append(cc.kernel, steps)
	}
}

// appendRule appends r to chain c: to the chain itself, or with a sink to
// the sink, keeping what COMMIT checks of it.
func (ts *tableState) appendRule(c *Chain, r *Rule, cmd *command) {
	if ts.sink == nil {
		c.Rules = append(c.Rules, r)
		return
	}
	ts.announce()
	cc := ts.checks[c]
	if cc == nil {
		cc = &chainChecks{}
		ts.checks[c] = cc
	}
	cc.add(ts.t, r, cmd)
	ts.sink.Rule(ts.t, c, r)
}

// announce hands the table to the sink once (it has chains: the dump
// leaves out a table without any).
func (ts *tableState) announce() {
	if ts.sink != nil && !ts.announced && len(ts.t.Chains) > 0 {
		ts.announced = true
		ts.sink.Table(ts.t)
	}
}

func newState() *state { return &state{} }

// table returns the table, creating it (with nothing in it) on first use.
func (s *state) table(fam Family, name string, pos Pos) *tableState {
	for _, ts := range s.tables {
		if ts.t.Family == fam && ts.t.Name == name {
			return ts
		}
	}
	ts := &tableState{t: &Table{Family: fam, Name: name, Pos: pos}}
	s.tables = append(s.tables, ts)
	return ts
}

// reset starts a table afresh, as iptables-restore flushes a table it restores.
func (s *state) reset(fam Family, name string, pos Pos) *tableState {
	ts := s.table(fam, name, pos)
	ts.t.setChains(nil)
	ts.t.Pos = pos
	ts.sink, ts.announced, ts.last = s.sink, false, nil
	ts.checks = nil
	if s.sink != nil {
		ts.checks = map[*Chain]*chainChecks{}
	}
	return ts
}

// chain returns a chain of the table; built-in chains are created on demand.
func (ts *tableState) chain(name string, create bool) *Chain {
	if c := ts.t.Chain(name); c != nil {
		return c
	}
	if create && IsBuiltin(ts.t.Name, name) {
		c := &Chain{Name: name, Builtin: true, Policy: "ACCEPT"}
		ts.t.addChain(c)
		return c
	}
	return nil
}

// commit checks what iptables checks when a table is committed: every jump
// and goto names a chain of the table, the jumps make no loop, and the
// kernel accepts every rule from the hooks that reach its chain.
func (s *state) commit(ts *tableState, errs *ErrorList) {
	ts.announce()
	checks := ts.checks
	if checks == nil {
		checks = make(map[*Chain]*chainChecks, len(ts.t.Chains))
		for _, c := range ts.t.Chains {
			cc := &chainChecks{}
			for _, r := range c.Rules {
				cc.add(ts.t, r, nil)
			}
			checks[c] = cc
		}
	}
	ts.checks = nil
	if ts.sink != nil {
		ts.checks = map[*Chain]*chainChecks{}
	}
	jumps := func(i int) []Target {
		if cc := checks[ts.t.Chains[i]]; cc != nil {
			return cc.jumps
		}
		return nil
	}
	for i := range ts.t.Chains {
		for _, t := range jumps(i) {
			if ts.t.Chain(t.Name) == nil && !IsBuiltin(ts.t.Name, t.Name) {
				*errs = append(*errs, Errorf(t.Pos, "unknown target %q: not an extension xt2nft knows, and no chain of that name in table %q", t.Name, ts.t.Name))
			} else if IsBuiltin(ts.t.Name, t.Name) {
				*errs = append(*errs, Errorf(t.Pos, "cannot jump to built-in chain %q", t.Name))
			}
		}
	}
	hooks, loop := chainHooks(ts.t, jumps)
	if loop != nil {
		// mark_source_chains fails before any rule is checked.
		*errs = append(*errs, loop)
		return
	}
	for i, c := range ts.t.Chains {
		if cc := checks[c]; cc != nil {
			for _, steps := range cc.kernel {
				runKernelSteps(ts.t.Family, ts.t.Name, hooks[i], steps, errs)
			}
		}
	}
}

func (s *state) dump() *Dump {
	d := &Dump{}
	for _, ts := range s.tables {
		if len(ts.t.Chains) > 0 {
			d.Tables = append(d.Tables, ts.t)
		}
	}
	return d
}

// apply performs one command on a table.
func (s *state) apply(ts *tableState, cmd *command, line string, errs *ErrorList, warns *[]Diagnostic) {
	fail := func(format string, a ...any) { *errs = append(*errs, Errorf(cmd.pos, format, a...)) }
	chainArg := func() (*Chain, bool) {
		if len(cmd.args) == 0 {
			fail("option \"--%s\" requires a chain name", cmd.op)
			return nil, false
		}
		name := cmd.args[0].Value
		var c *Chain
		if ts.sink != nil && ts.last != nil && ts.last.Name == name {
			c = ts.last // a streamed dump's rules come chain after chain
		} else {
			c = ts.chain(name, true)
		}
		if ts.sink != nil {
			ts.last = c
		}
		if c == nil {
			*errs = append(*errs, Errorf(cmd.args[0].Pos, "chain %q does not exist in table %q", name, ts.t.Name))
			return nil, false
		}
		return c, true
	}
	index := func(i int) (int, bool) {
		if len(cmd.args) <= i {
			return 0, false
		}
		n, err := strconv.Atoi(cmd.args[i].Value)
		if err != nil || n < 1 {
			*errs = append(*errs, Errorf(cmd.args[i].Pos, "bad rule number %q", cmd.args[i].Value))
			return -1, true
		}
		return n, true
	}
	r := cmd.rule
	switch cmd.op {
	case "append":
		if c, ok := chainArg(); ok {
			ts.appendRule(c, r, cmd)
		}
	case "insert":
		c, ok := chainArg()
		if !ok {
			return
		}
		n, given := index(1)
		if n < 0 {
			return
		}
		if !given {
			n = 1
		}
		if n > len(c.Rules)+1 {
			fail("index of insertion too big (%d; chain %q has %d rules)", n, c.Name, len(c.Rules))
			return
		}
		c.Rules = append(c.Rules, nil)
		copy(c.Rules[n:], c.Rules[n-1:])
		c.Rules[n-1] = r
	case "replace", "delete":
		c, ok := chainArg()
		if !ok {
			return
		}
		n, given := index(1)
		if n < 0 {
			return
		}
		if !given {
			if cmd.op == "replace" {
				fail("option \"-R\" requires a rule number")
				return
			}
			n = 0
			for i, old := range c.Rules {
				if sameRule(old, r) {
					n = i + 1
					break
				}
			}
			if n == 0 {
				fail("rule to delete does not exist in chain %q", c.Name)
				return
			}
		}
		if n > len(c.Rules) {
			fail("rule number %d is past the end of chain %q (%d rules)", n, c.Name, len(c.Rules))
			return
		}
		if cmd.op == "replace" {
			c.Rules[n-1] = r
		} else {
			c.Rules = append(c.Rules[:n-1], c.Rules[n:]...)
		}
	case "new-chain":
		name := cmd.args[0].Value
		if ts.t.Chain(name) != nil || IsBuiltin(ts.t.Name, name) {
			fail("chain %q already exists", name)
			return
		}
		ts.t.addChain(&Chain{Name: name, Pos: cmd.pos})
	case "delete-chain":
		var keep []*Chain
		for _, c := range ts.t.Chains {
			if c.Builtin || (len(cmd.args) > 0 && c.Name != cmd.args[0].Value) {
				keep = append(keep, c)
				continue
			}
			if len(c.Rules) > 0 {
				fail("chain %q is not empty", c.Name)
				return
			}
			if refs := references(ts.t, c.Name); refs > 0 {
				fail("chain %q is still referenced by %d rules", c.Name, refs)
				return
			}
		}
		if len(cmd.args) > 0 && len(keep) == len(ts.t.Chains) {
			fail("chain %q does not exist", cmd.args[0].Value)
			return
		}
		ts.t.setChains(keep)
	case "flush":
		if len(cmd.args) == 0 {
			for _, c := range ts.t.Chains {
				c.Rules = nil
			}
			return
		}
		if c, ok := chainArg(); ok {
			c.Rules = nil
		}
	case "policy":
		c, ok := chainArg()
		if !ok {
			return
		}
		if !c.Builtin {
			fail("cannot set policy on user-defined chain %q", c.Name)
			return
		}
		switch p := cmd.args[1].Value; p {
		case "ACCEPT", "DROP":
			c.Policy = p
		default:
			*errs = append(*errs, Errorf(cmd.args[1].Pos, "bad policy %q (expected ACCEPT or DROP)", p))
		}
	case "rename-chain":
		c, ok := chainArg()
		if !ok {
			return
		}
		if c.Builtin {
			fail("cannot rename built-in chain %q", c.Name)
			return
		}
		old, nw := c.Name, cmd.args[1].Value
		if ts.t.Chain(nw) != nil {
			fail("chain %q already exists", nw)
			return
		}
		ts.t.renameChain(c, nw)
		for _, cc := range ts.t.Chains {
			for _, rr := range cc.Rules {
				if rr.Target != nil && rr.Target.Chain && rr.Target.Name == old {
					rr.Target.Name = nw
				}
			}
		}
	default: // list, list-rules, zero, check: no change to the ruleset
		*warns = append(*warns, Diagnostic{Pos: cmd.pos, Severity: SevWarning,
			Msg: sprintf("command --%s does not change the ruleset, skipped", cmd.op)})
	}
}

func references(t *Table, name string) int {
	n := 0
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			if r.Target != nil && r.Target.Chain && r.Target.Name == name {
				n++
			}
		}
	}
	return n
}

// sameRule compares rule specifications (for -D with a rule spec).
func sameRule(a, b *Rule) bool {
	return specOf(a) == specOf(b)
}

func specOf(r *Rule) string {
	s := ""
	for _, o := range r.Base {
		s += o.Spec() + " "
	}
	for _, m := range r.Matches {
		s += "-m " + m.Name + " "
		for _, o := range m.Options {
			s += o.Spec() + " "
		}
	}
	if r.Target != nil {
		s += "-j " + r.Target.Name + " "
		for _, o := range r.Target.Options {
			s += o.Spec() + " "
		}
	}
	return s
}
