package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/translate"
)

// recentctl ipset works on the nft sets xt2nft made from ipsets (xt2nft
// --ipsets, or migrate): each has the comment "ipset NAME TYPE", which
// says the ipset's name and type. Entries are written as ipset writes them
// (10.0.0.1, 10.0.0.0/24, 10.0.0.1,tcp:80, 10.0.0.0/24,eth0, with
// "timeout N" and "comment TEXT" after an entry) and become the elements
// the translator makes of them (translate.IPSetElements), added or deleted
// with nft, which lays out intervals and concatenations.

// nftIPSet is one such set.
type nftIPSet struct {
	Name  string `json:"name"` // the ipset's
	Type  string `json:"type"`
	Table string `json:"table"` // "ip xt2nft"
	Set   string `json:"set"`   // the nft set's name
	Count int    `json:"elements"`
	set   *nftables.Set
}

// ipsets finds the sets made from ipsets.
func (e *env) ipsets() ([]nftIPSet, error) {
	n, ok := e.nft.(*recent.NFT)
	if !ok || n == nil {
		return nil, fmt.Errorf("nft backend unavailable: %v", e.nftErr)
	}
	tables, err := n.Conn.ListTables()
	if err != nil {
		return nil, fmt.Errorf("listing nft tables: %w", err)
	}
	var out []nftIPSet
	for _, t := range tables {
		sets, err := n.Conn.GetSets(t)
		if err != nil {
			return nil, err
		}
		infos, err := nlraw.SetInfos(n.Conn.NetNS, t)
		if err != nil {
			return nil, err
		}
		for _, s := range sets {
			f := strings.Fields(infos[s.Name].Comment)
			if len(f) != 3 || f[0] != "ipset" || ipset.KindNamed(f[2]) == nil {
				continue
			}
			els, err := n.Conn.GetSetElements(s)
			if err != nil {
				return nil, fmt.Errorf("reading set %s: %w", s.Name, err)
			}
			count := 0
			for _, el := range els {
				if !el.IntervalEnd {
					count++
				}
			}
			out = append(out, nftIPSet{Name: f[1], Type: f[2], Table: familyName(t.Family) + " " + t.Name, Set: s.Name, Count: count, set: s})
		}
	}
	slices.SortFunc(out, func(a, b nftIPSet) int { return strings.Compare(a.Name+a.Table, b.Name+b.Table) })
	return out, nil
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	case nftables.TableFamilyINet:
		return "inet"
	}
	return fmt.Sprint(f)
}

// ipsetNamed is the set made from the ipset called name.
func (e *env) ipsetNamed(name string) (nftIPSet, error) {
	all, err := e.ipsets()
	if err != nil {
		return nftIPSet{}, err
	}
	var found []nftIPSet
	for _, s := range all {
		if s.Name == name {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return nftIPSet{}, fmt.Errorf("no nft set made from ipset %s (xt2nft comments those \"ipset NAME TYPE\")", recent.Quote(name))
	case 1:
		return found[0], nil
	}
	return nftIPSet{}, fmt.Errorf("ipset %s has nft sets in %d tables (%s and %s)", recent.Quote(name), len(found), found[0].Table, found[1].Table)
}

func (e *env) ipsetCommand(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"ipset needs list, show, add or del"}
	}
	need := func(n int, what string) error {
		if len(args) < n {
			return usageError{fmt.Sprintf("ipset %s needs %s", args[0], what)}
		}
		return nil
	}
	switch args[0] {
	case "list":
		all, err := e.ipsets()
		if err != nil {
			return err
		}
		if e.json {
			if all == nil {
				all = []nftIPSet{}
			}
			return json.NewEncoder(e.stdout).Encode(all)
		}
		for _, s := range all {
			fmt.Fprintf(e.stdout, "%-30s %-16s %-20s %d\n", s.Name, s.Type, s.Table, s.Count)
		}
		return nil
	case "show":
		if err := need(2, "an ipset name"); err != nil {
			return err
		}
		s, err := e.ipsetNamed(args[1])
		if err != nil {
			return err
		}
		els, err := listElements(s)
		if err != nil {
			return err
		}
		if e.json {
			if els == nil {
				els = []string{}
			}
			return json.NewEncoder(e.stdout).Encode(els)
		}
		for _, el := range els {
			fmt.Fprintln(e.stdout, el)
		}
		return nil
	case "add", "del":
		if err := need(3, "an ipset name and entries"); err != nil {
			return err
		}
		s, err := e.ipsetNamed(args[1])
		if err != nil {
			return err
		}
		els, err := elementsOf(s, args[2:], args[0] == "del")
		if err != nil {
			return err
		}
		verb := map[string]string{"add": "add", "del": "delete"}[args[0]]
		f := strings.Fields(s.Table)
		return runNFT(fmt.Sprintf("%s element %s %s %s { %s }\n", verb, f[0], f[1], s.Set, strings.Join(els, ", ")))
	}
	return usageError{fmt.Sprintf("unknown ipset command %s (want list, show, add or del)", recent.Quote(args[0]))}
}

// entryOptions are ipset's per-entry options that take a value.
var entryOptions = map[string]bool{"timeout": true, "comment": true, "packets": true, "bytes": true,
	"skbmark": true, "skbprio": true, "skbqueue": true}

// elementsOf turns ipset entries (each followed by its options) into nft
// elements of the set; for a delete the options are dropped.
func elementsOf(s nftIPSet, words []string, del bool) ([]string, error) {
	fam := "inet"
	if strings.HasPrefix(s.Table, "ip6 ") {
		fam = "inet6"
	}
	var save strings.Builder
	fmt.Fprintf(&save, "create %s %s family %s", quoteWord(s.Name), s.Type, fam)
	if s.set.HasTimeout && s.set.Timeout > 0 {
		fmt.Fprintf(&save, " timeout %d", int(s.set.Timeout.Seconds()))
	}
	save.WriteString("\n")
	for i := 0; i < len(words); {
		line := []string{"add", quoteWord(s.Name), quoteWord(words[i])}
		i++
		for i < len(words) && (entryOptions[words[i]] || words[i] == "nomatch") {
			if words[i] == "nomatch" {
				line = append(line, "nomatch")
				i++
				continue
			}
			if i+1 >= len(words) {
				return nil, fmt.Errorf("%s needs a value", words[i])
			}
			if !del {
				line = append(line, words[i], quoteWord(words[i+1]))
			}
			i += 2
		}
		save.WriteString(strings.Join(line, " ") + "\n")
	}
	parsed, err := ipset.Parse("recentctl ipset", []byte(save.String()))
	if err != nil {
		return nil, err
	}
	set := parsed.Set(s.Name)
	if del {
		for _, en := range set.Entries {
			en.HasTimeout, en.Timeout, en.Comment = false, 0, ""
		}
	}
	return translate.IPSetElements(set)
}

func quoteWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	return strconv.Quote(s)
}

// listElements lists the set's elements as nft prints them, one each.
func listElements(s nftIPSet) ([]string, error) {
	f := strings.Fields(s.Table)
	cmd := exec.Command("nft", "list", "set", f[0], f[1], s.Set)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nft list set: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	text := string(out)
	i := strings.Index(text, "elements = {")
	if i < 0 {
		return nil, nil
	}
	text = text[i+len("elements = {"):]
	var els []string
	depth, start, quoted := 0, 0, false
	for j, r := range text {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '{':
			depth++
		case r == '}' && depth > 0:
			depth--
		case r == '}' || r == ',' && depth == 0:
			if el := strings.Join(strings.Fields(text[start:j]), " "); el != "" {
				els = append(els, el)
			}
			start = j + 1
			if r == '}' {
				return els, nil
			}
		}
	}
	return els, nil
}

// runNFT loads a script with nft -f -.
func runNFT(script string) error {
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("nft: %s", strings.TrimSpace(stderr.String()))
	}
	return nil
}
