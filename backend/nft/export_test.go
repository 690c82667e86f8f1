package nft

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// MaxStmtExprs exports maxStmtExprs to the package's external tests.
const MaxStmtExprs = maxStmtExprs

// LargestStmt returns the most expressions one statement of rs lowers to,
// and the rule it is in.
func LargestStmt(rs *translate.Ruleset) (int, parser.Pos) {
	most, where := 0, parser.Pos{}
	for _, tb := range rs.Tables {
		if _, ok := families[tb.Family]; !ok {
			continue
		}
		sets := lowerSetsOf(nil, tb)
		for _, c := range tb.Chains {
			for _, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				l := &lowerer{fam: tb.Family, sets: sets}
				for _, st := range r.Stmts {
					before := len(l.out)
					if err := l.stmt(st); err != nil {
						break
					}
					if n := len(l.out) - before; n > most {
						most, where = n, r.Origin
					}
				}
			}
		}
	}
	return most, where
}
