package translate

// CT --helper after conntrack.
//
// xt's CT target attaches a conntrack template in the raw table, before
// conntrack; nft's "ct helper set" acts only on a connection conntrack has
// just created, after it (priority above -200). When the raw table assigns
// helpers, its chains are replicated in base chains at priority -199 on the
// same hooks: every rule keeps its matches and its verdict (jump, goto,
// return, accept, drop), so each helper rule is reached under exactly the
// conditions it was in raw, and the copy of a helper rule assigns the
// helper. Everything else a raw rule does (notrack, zones, marks, logging,
// counters) stays in the original chains only. The originals keep their
// "ct helper set" out: there it would do nothing.

import (
	"github.com/xt2nft/xt2nft/parser"
)

type helperKey struct {
	fam   parser.Family
	table string
}

// needHelpers records that a raw table assigns helpers.
func (tr *translator) needHelpers(fam parser.Family, table string) {
	if tr.helpers == nil {
		tr.helpers = map[helperKey]bool{}
	}
	tr.helpers[helperKey{fam, table}] = true
}

// replicateHelpers builds the after-conntrack copies of raw tables that
// assign helpers.
func (tr *translator) replicateHelpers(d *parser.Dump) {
	for _, t := range d.Tables {
		if t.Name != "raw" || !tr.helpers[helperKey{t.Family, t.Name}] {
			continue
		}
		nt := tr.nftTable(t.Family, t.Name)
		byName := map[string]*Chain{}
		for _, ch := range nt.Chains {
			byName[ch.Name] = ch
		}
		rename := map[string]string{}
		for _, c := range t.Chains {
			n := tr.names[chainKey{t.Family, t.Name, c.Name}]
			rename[n] = n + "_helpers"
		}
		for _, c := range t.Chains {
			orig := byName[tr.names[chainKey{t.Family, t.Name, c.Name}]]
			if orig == nil {
				continue
			}
			cp := &Chain{Name: rename[orig.Name], Comment: "xt2nft: raw " + c.Name + " after conntrack, to assign ct helpers"}
			if orig.Base != nil {
				cp.Base = &BaseChain{Type: TypeFilter, Hook: orig.Base.Hook, Priority: -199, Policy: "accept"}
			}
			for _, r := range orig.Rules {
				if r.Disabled != "" {
					continue
				}
				var keep, rest []Stmt
				hasEffect := false
				for _, st := range r.Stmts {
					switch s := st.(type) {
					case *Match:
						keep = append(keep, s)
						rest = append(rest, st)
					case *Verdict:
						v := *s
						if v.Chain != "" {
							v.Chain = rename[v.Chain]
						}
						keep = append(keep, &v)
						rest = append(rest, st)
						hasEffect = true
					case *ObjRef:
						if s.Kind == "ct helper" {
							keep = append(keep, s)
							hasEffect = true
							continue // not in the original: it does nothing before conntrack
						}
						rest = append(rest, st)
					case *Limit, *Quota, *SetStmt:
						tr.warnf(r.Origin, "a raw-table rule with a stateful statement is copied after conntrack for CT --helper; the copy skips the statement, so the helper assignment does not depend on it")
						rest = append(rest, st)
					default:
						rest = append(rest, st)
					}
				}
				r.Stmts = rest
				if hasEffect {
					cp.Rules = append(cp.Rules, &Rule{Origin: r.Origin, Stmts: keep, Comment: r.Comment})
				}
			}
			nt.Chains = append(nt.Chains, cp)
		}
	}
}
