package translate

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Exit 0 means `nft -f` loads what xt2nft wrote. Legacy iptables accepts
// some rulesets nft refuses; those are refused here, at the rule that
// needs what nft cannot take, with nft's reason.

// maxJumpDepth is how deep nf_tables lets jumps and gotos nest below a
// base chain: nft_chain_validate refuses a chain reached at level
// NFT_JUMP_STACK_SIZE (16) with EMLINK, and nft -f prints "Could not
// process rule: Too many links" (measured: a chain 15 jumps below a base
// chain loads, 16 does not, empty or not, jump or goto alike). Legacy
// iptables has no such limit: its jump stack is as deep as the table has
// chains.
const maxJumpDepth = 15

// checkDepth refuses every jump of the translation into a chain that
// would sit deeper than nf_tables allows, at the rule that jumps.
func (tr *translator) checkDepth() {
	for _, t := range tr.out.Tables {
		byName := make(map[string]int, len(t.Chains))
		for i, c := range t.Chains {
			byName[c.Name] = i
		}
		// Longest path from a base chain, over the reached chains in
		// topological order (depth-first post-order, reversed). Loops were
		// refused by the parser (or are unreachable, as in iptables).
		type edge struct {
			origin parser.Pos
			to     int
		}
		succ := make([][]edge, len(t.Chains))
		for i, c := range t.Chains {
			if c.ahead != nil {
				for _, j := range c.ahead.jumps {
					if to, ok := byName[j.to]; ok {
						succ[i] = append(succ[i], edge{j.origin, to})
					}
				}
				continue
			}
			for _, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				for _, st := range r.Stmts {
					if v, ok := st.(*Verdict); ok && (v.Kind == VerdictJump || v.Kind == VerdictGoto) {
						if to, ok := byName[v.Chain]; ok {
							succ[i] = append(succ[i], edge{r.Origin, to})
						}
					}
				}
			}
		}
		const (
			white = iota
			grey
			black
		)
		color := make([]uint8, len(t.Chains))
		var order []int // post-order: a chain after every chain it reaches
		type frame struct{ chain, next int }
		for root, rc := range t.Chains {
			if rc.Base == nil || color[root] != white {
				continue
			}
			stack := []frame{{root, 0}}
			color[root] = grey
			for len(stack) > 0 {
				f := &stack[len(stack)-1]
				if f.next == len(succ[f.chain]) {
					color[f.chain] = black
					order = append(order, f.chain)
					stack = stack[:len(stack)-1]
					continue
				}
				to := succ[f.chain][f.next].to
				f.next++
				if color[to] == white {
					color[to] = grey
					stack = append(stack, frame{to, 0})
				}
			}
		}
		depth := make([]int, len(t.Chains))
		for i := len(order) - 1; i >= 0; i-- {
			c := order[i]
			for _, e := range succ[c] {
				d := depth[c] + 1
				if d > depth[e.to] {
					depth[e.to] = d
				}
				if d == maxJumpDepth+1 {
					tr.errorf(e.origin, "nft cannot load this jump: chain %s would be %d jumps below a base chain, and nf_tables allows %d (NFT_JUMP_STACK_SIZE; nft -f fails with \"Too many links\"); legacy iptables has no such limit", t.Chains[e.to].Name, d, maxJumpDepth)
				}
			}
		}
	}
}

// quotedArg reports whether a word of the rule holds a double quote: only
// then can a string of its translation hold one (the walk of the
// translation costs a fifth of the translation; this costs nothing).
func quotedArg(r *parser.Rule) bool {
	if has, known := r.HasQuote(); known {
		return has // the parser saw every word
	}
	has := func(opts []*parser.Option) bool {
		for _, o := range opts {
			for _, a := range o.Args {
				if strings.Contains(a.Value, `"`) {
					return true
				}
			}
		}
		return false
	}
	if has(r.Base) || (r.Target != nil && (strings.Contains(r.Target.Name, `"`) || has(r.Target.Options))) {
		return true
	}
	for _, m := range r.Matches {
		if has(m.Options) {
			return true
		}
	}
	return false
}

// descPkg is the import path of the IR's static descriptors.
var descPkg = reflect.TypeOf(desc.Field{}).PkgPath()

// quoteFree refuses a rule whose strings hold a double quote: nft 1.0.6
// has no escape for it inside a string, so it can write no such value.
func quoteFree(pos parser.Pos, rules []*Rule) error {
	for _, r := range rules {
		if bad := findQuote(reflect.ValueOf(r), map[uintptr]bool{}); bad != "" {
			return &untranslatable{pos: pos, msg: fmt.Sprintf("the value %q contains a double quote, which nft 1.0.6 cannot write in a string (it has no escape for it)", bad)}
		}
	}
	return nil
}

// findQuote returns the first string of the rule's statements (string
// constants, comments, log prefixes, object names) holding a '"'. The
// static descriptors of package desc hold no input and are not walked
// (they point at each other); seen guards against any other cycle.
func findQuote(v reflect.Value, seen map[uintptr]bool) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] || v.Type().Elem().PkgPath() == descPkg {
			return ""
		}
		seen[v.Pointer()] = true
		return findQuote(v.Elem(), seen)
	case reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return findQuote(v.Elem(), seen)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(parser.Pos{}) {
			return ""
		}
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() || v.Type().Field(i).Name == "Source" {
				continue // Source is the iptables text of a disabled rule, printed as a comment
			}
			if s := findQuote(v.Field(i), seen); s != "" {
				return s
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if s := findQuote(v.Index(i), seen); s != "" {
				return s
			}
		}
	case reflect.String:
		if strings.Contains(v.String(), `"`) {
			return v.String()
		}
	}
	return ""
}
