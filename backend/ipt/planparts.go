package ipt

import (
	"strings"

	"github.com/xt2nft/xt2nft/backend"
)

// listedTables splits an iptables-save dump (PlainSave's form) into
// tables, chains (their policy as their head) and rules.
func listedTables(family int, save string) []backend.ListedTable {
	var out []backend.ListedTable
	var t *backend.ListedTable
	for _, l := range strings.Split(save, "\n") {
		switch {
		case strings.HasPrefix(l, "*"):
			out = append(out, backend.ListedTable{Table: backend.Table{Family: familyName(family), Name: l[1:]}})
			t = &out[len(out)-1]
		case t == nil:
		case strings.HasPrefix(l, ":"):
			name, policy, _ := strings.Cut(l[1:], " ")
			c := backend.ListedChain{Name: name}
			if policy != "" && policy != "-" {
				c.Head = []string{"policy " + policy}
			}
			t.Chains = append(t.Chains, c)
		case strings.HasPrefix(l, "-A "):
			name, rule, _ := strings.Cut(l[3:], " ")
			if c := t.Chain(name); c != nil {
				c.Rules = append(c.Rules, rule)
			}
		case l == "COMMIT":
			t = nil
		}
	}
	return out
}
