package nft

import (
	"fmt"
	"strings"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend"
)

// parseListing splits `nft list table` output into tables, chains with
// their rules, and other blocks, by nft's indentation: a table's lines are
// one tab in, a block's two.
func parseListing(text string) ([]backend.ListedTable, error) {
	var (
		out   []backend.ListedTable
		t     *backend.ListedTable
		chain *backend.ListedChain
		block *backend.ListedBlock
	)
	for n, l := range strings.Split(text, "\n") {
		depth := len(l) - len(strings.TrimLeft(l, "\t"))
		body := strings.TrimSpace(l)
		switch {
		case body == "":
		case depth == 0 && strings.HasPrefix(body, "table ") && strings.HasSuffix(body, " {"):
			f := strings.Fields(strings.TrimSuffix(body, " {"))
			if len(f) != 3 {
				return nil, fmt.Errorf("nft listing line %d: %q: not a table", n+1, l)
			}
			out = append(out, backend.ListedTable{Table: backend.Table{Family: f[1], Name: unquote(f[2])}})
			t = &out[len(out)-1]
		case depth == 0 && body == "}":
			t = nil
		case t == nil:
			return nil, fmt.Errorf("nft listing line %d: %q outside a table", n+1, l)
		case depth == 1 && strings.HasSuffix(body, " {"):
			kind, name, _ := strings.Cut(strings.TrimSuffix(body, " {"), " ")
			if kind == "chain" {
				t.Chains = append(t.Chains, backend.ListedChain{Name: unquote(name)})
				chain = &t.Chains[len(t.Chains)-1]
			} else {
				// set, map, counter, quota, limit, ct helper NAME, ...
				t.Blocks = append(t.Blocks, backend.ListedBlock{Kind: kind, Name: unquote(name)})
				block = &t.Blocks[len(t.Blocks)-1]
			}
		case depth == 1 && body == "}":
			chain, block = nil, nil
		case depth == 1:
			t.Head = append(t.Head, body)
		case chain != nil:
			if depth == 2 && (strings.HasPrefix(body, "type ") || strings.HasPrefix(body, "policy ") ||
				strings.HasPrefix(body, "comment ") || strings.HasPrefix(body, "devices ")) && len(chain.Rules) == 0 {
				chain.Head = append(chain.Head, body)
			} else if depth == 2 {
				chain.Rules = append(chain.Rules, body)
			} else if len(chain.Rules) > 0 {
				// a rule nft wrapped over lines
				chain.Rules[len(chain.Rules)-1] += " " + body
			}
		case block != nil:
			block.Lines = append(block.Lines, body)
		default:
			return nil, fmt.Errorf("nft listing line %d: %q outside a block", n+1, l)
		}
	}
	return out, nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// attachOrigins names each listed rule of the new tables by its source
// rule: a chain's rules are listed in the order the program sends them.
// A chain whose count differs is left without origins.
func attachOrigins(tables []backend.ListedTable, p *Program) {
	for i := range tables {
		t := &tables[i]
		var tp *TableProgram
		for _, x := range p.Tables {
			if familyNames[x.Table.Family] == t.Family && x.Table.Name == t.Name {
				tp = x
			}
		}
		if tp == nil {
			continue
		}
		byChain := map[string][]string{}
		for _, r := range tp.Rules {
			o := ""
			if r.Origin.File != "" {
				o = r.Origin.String()
			}
			byChain[r.Rule.Chain.Name] = append(byChain[r.Rule.Chain.Name], o)
		}
		for j := range t.Chains {
			c := &t.Chains[j]
			if o := byChain[c.Name]; len(o) == len(c.Rules) {
				c.Origins = o
			}
		}
	}
}

// carriable says whether apply carries the contents of live set old over
// to the program's set sp: same name, key and flags, and sp is filled in
// the packet path.
func carriable(old *nftables.Set, sp *SetProgram) bool {
	return sp.Set.Dynamic && old.KeyType.Name == sp.Set.KeyType.Name && old.Interval == sp.Set.Interval &&
		old.HasTimeout == sp.Set.HasTimeout && old.Dynamic == sp.Set.Dynamic
}

// carriedSets names the live sets apply would carry over.
func carriedSets(ns *NS, p *Program) ([]string, error) {
	c, err := readConn(ns)
	if err != nil {
		return nil, classify(err)
	}
	var out []string
	for _, tp := range p.Tables {
		live, err := c.ListTableOfFamily(tp.Table.Name, tp.Table.Family)
		if err != nil || live == nil {
			continue // no such table yet
		}
		sets, err := c.GetSets(tp.Table)
		if err != nil {
			return nil, classify(err)
		}
		byName := map[string]*nftables.Set{}
		for _, s := range sets {
			byName[s.Name] = s
		}
		for _, sp := range tp.Sets {
			if old, ok := byName[sp.Set.Name]; ok && carriable(old, sp) {
				out = append(out, familyNames[tp.Table.Family]+" "+tp.Table.Name+" "+sp.Set.Name)
			}
		}
	}
	return out, nil
}
