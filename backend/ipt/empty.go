package ipt

import (
	"bytes"
	"fmt"
	"strings"
)

// A migration (xt2nft migrate) ends by emptying the legacy tables: each
// becomes its built-in chains with ACCEPT policies, no rules and no user
// chains, loaded with iptables-restore as any dump is (the Namespace
// backend snapshots them, with their counters, for the rollback).
//
// One thing is kept. An xt_recent list lives only while a rule names it:
// the kernel frees it, entries and stamps, with the last rule that does
// (recent_mt_destroy), and nothing can write a past stamp back through
// /proc (an entry written there is stamped now, with one stamp). So a
// table whose rules name lists is emptied into one that also holds
// KeepChain: a user chain nothing jumps to, with one rule per list that
// never runs. iptables-restore replaces a table in one step that checks
// the new rules (taking a reference to each list) before it frees the old
// ones, so the lists never lose their last reference; a rollback puts the
// original rules back the same way, and the lists are there as they were,
// with every stamp. Once the switch is confirmed the tables are emptied
// again without KeepChain, and the kernel frees the lists.
//
// The kept rule is "-m recent --rcheck --hitcount 1 --name L": a rule's
// --hitcount sets the ring of stamps it needs, and the kernel flushes a
// list whose ring is smaller than a new rule needs (to enlarge it); one
// stamp is the smallest ring, so keeping a list never flushes it (a bare
// --rcheck needs 32 and would flush a list made by --hitcount 4 rules).

// KeepChain is the chain an emptied table keeps its xt_recent lists in.
const KeepChain = "xt2nft-keep-lists"

// EmptyTable is the iptables-restore input that empties table name,
// keeping the xt_recent lists keep (see above).
func EmptyTable(name string, keep []string) ([]byte, error) {
	chains, ok := builtin[name]
	if !ok {
		return nil, fmt.Errorf("ipt: cannot empty unknown table %q", name)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%s\n", name)
	for _, c := range chains {
		fmt.Fprintf(&b, ":%s ACCEPT [0:0]\n", c)
	}
	if len(keep) > 0 {
		fmt.Fprintf(&b, ":%s - [0:0]\n", KeepChain)
		for _, l := range keep {
			fmt.Fprintf(&b, "-A %s -m recent --rcheck --hitcount 1 --name %s\n", KeepChain, quoteArg(l))
		}
	}
	b.WriteString("COMMIT\n")
	return b.Bytes(), nil
}

// quoteArg quotes a word for iptables-restore when it needs it.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// Emptiness is what a table of an iptables-save listing holds, as a
// migration sees it.
type Emptiness struct {
	// Empty: only built-in chains with ACCEPT policies and no rules (apart
	// from KeepChain).
	Empty bool
	// Kept: it holds KeepChain (a migration emptied it and has not
	// finished).
	Kept bool
}

// TableEmptiness reads one table's section of iptables-save output.
func TableEmptiness(section []byte) Emptiness {
	e := Emptiness{Empty: true}
	for _, line := range strings.Split(string(section), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "*") || line == "COMMIT":
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line[1:])
			switch {
			case len(f) >= 2 && f[0] == KeepChain && f[1] == "-":
				e.Kept = true
			case len(f) < 2 || f[1] != "ACCEPT":
				e.Empty = false // a user chain, or a DROP policy
			}
		default:
			if rest := strings.TrimSpace(reCounters.ReplaceAllString(line, "")); !strings.HasPrefix(rest, "-A "+KeepChain+" ") {
				e.Empty = false
			}
		}
	}
	return e
}

// Sections splits iptables-save output into its tables, by name (see
// sections).
func Sections(save []byte) map[string][]byte { return sections(save) }
