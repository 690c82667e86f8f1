package parser

import "strings"

// The jump graph of a table, as the kernel's mark_source_chains walks it
// when a table is committed (net/ipv4/netfilter/ip_tables.c): from each
// built-in chain through every jump and goto. A chain reached again while
// it is still being walked is a loop, and the kernel refuses the table
// with ELOOP; a loop among chains no built-in chain reaches is never
// walked and is accepted. Every rule is then checked with the hooks of its
// chain: a built-in chain's own hook, for a user chain the union of the
// hooks of the built-in chains that reach it (0 when none does).

// frame is a chain being walked and the next of its rules to follow.
type frame struct{ chain, rule int }

// chainHooks returns the hooks reaching each chain of t (by index into
// t.Chains) and, for a loop, the error at the jump that closes it.
func chainHooks(t *Table) ([]Hook, *Error) {
	idx := make(map[*Chain]int, len(t.Chains))
	for i, c := range t.Chains {
		idx[c] = i
	}
	// edges[i] are the rules of chain i that jump or go to a user chain.
	target := func(r *Rule) int {
		tg := r.Target
		if tg == nil || !tg.Chain || standardTargets[tg.Name] {
			return -1
		}
		c := t.Chain(tg.Name)
		if c == nil || c.Builtin {
			return -1 // reported by commit
		}
		return idx[c]
	}
	const (
		white = iota
		grey  // on the walk's path
		black // done
	)
	color := make([]uint8, len(t.Chains))
	var order []int // post-order: a chain after every chain it reaches
	for root, rc := range t.Chains {
		if !rc.Builtin || color[root] != white {
			continue
		}
		stack := []frame{{root, 0}}
		color[root] = grey
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			rules := t.Chains[f.chain].Rules
			if f.rule == len(rules) {
				color[f.chain] = black
				order = append(order, f.chain)
				stack = stack[:len(stack)-1]
				continue
			}
			r := rules[f.rule]
			f.rule++
			next := target(r)
			switch {
			case next < 0:
			case color[next] == grey:
				return nil, loopError(t, stack, r, next)
			case color[next] == white:
				color[next] = grey
				stack = append(stack, frame{next, 0})
			}
		}
	}
	hooks := make([]Hook, len(t.Chains))
	for i, c := range t.Chains {
		if c.Builtin {
			hooks[i] = BuiltinHook(c.Name)
		}
	}
	// Reverse post-order is a topological order of the reached chains.
	for i := len(order) - 1; i >= 0; i-- {
		c := order[i]
		for _, r := range t.Chains[c].Rules {
			if next := target(r); next >= 0 {
				hooks[next] |= hooks[c]
			}
		}
	}
	return hooks, nil
}

// loopError describes the loop closed by rule r of the chain on top of
// the walk's stack, jumping back to chain back.
func loopError(t *Table, stack []frame, r *Rule, back int) *Error {
	var b strings.Builder
	start := 0
	for i, f := range stack {
		if f.chain == back {
			start = i
		}
	}
	b.WriteString(t.Chains[stack[start].chain].Name)
	for i := start; i < len(stack); i++ {
		var jr *Rule
		if i+1 < len(stack) {
			jr = t.Chains[stack[i].chain].Rules[stack[i].rule-1]
		} else {
			jr = r
		}
		if jr.Target.Goto {
			b.WriteString(" -g ")
		} else {
			b.WriteString(" -j ")
		}
		b.WriteString(jr.Target.Name)
	}
	kind := "jump"
	if r.Target.Goto {
		kind = "goto"
	}
	return Errorf(r.Target.Pos, "%s loop: %s; the kernel refuses the table (ELOOP, \"Too many levels of symbolic links\"; iptables-restore fails at COMMIT)", kind, b.String())
}
