package nft

import (
	"fmt"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// MaxRuleExprs is how many expressions the kernel takes in one rule:
// nf_tables_newrule refuses the next one with EINVAL (NFT_RULE_MAXEXPRS
// in include/net/netfilter/nf_tables.h), and nft -f prints "Could not
// process rule: Invalid argument" (measured: 128 loads, 130 does not).
const MaxRuleExprs = 128

// OversizeRules lowers every rule of rs as nft would and returns an error
// for each that needs more expressions than the kernel takes in a rule,
// at the rule's origin. Rules that do not lower are left to Apply, which
// reports them.
func OversizeRules(rs *translate.Ruleset) []parser.Diagnostic {
	var out []parser.Diagnostic
	for _, t := range rs.Tables {
		fam, ok := families[t.Family]
		if !ok {
			continue
		}
		table := &nftables.Table{Name: t.Name, Family: fam}
		var sets map[string]*SetProgram // lowered on first need
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				// Each statement lowers to at least one expression, and no
				// statement of the IR to more than maxStmtExprs (pinned by
				// a test over every golden case): rules with few
				// statements need no lowering.
				if r.Disabled != "" || len(r.Stmts)*maxStmtExprs <= MaxRuleExprs {
					continue
				}
				if sets == nil {
					sets = lowerSetsOf(table, t)
				}
				l := &lowerer{fam: t.Family, table: table, sets: sets}
				if err := l.rule(r); err != nil {
					continue
				}
				if n := len(l.out); n > MaxRuleExprs {
					out = append(out, parser.Diagnostic{Pos: r.Origin, Severity: parser.SevError,
						Msg: fmt.Sprintf("rule needs %d nft expressions, and the kernel takes at most %d in one rule (NFT_RULE_MAXEXPRS; nft -f fails with \"Invalid argument\"); split it into several rules (a user chain)", n, MaxRuleExprs)})
				}
			}
		}
	}
	return out
}

// maxStmtExprs bounds the expressions one IR statement lowers to.
const maxStmtExprs = 12

// lowerSetsOf lowers the named sets of t (rules refer to them).
func lowerSetsOf(table *nftables.Table, t *translate.Table) map[string]*SetProgram {
	sets := map[string]*SetProgram{}
	for _, s := range t.Sets {
		if sp, err := lowerSet(table, t.Family, s); err == nil {
			sets[s.Name] = sp
		}
	}
	return sets
}
