package nft

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/google/nftables"
)

// These use the nft command: its listing is the readable form of a
// ruleset (plan shows it) and its scripts are atomic (rollback loads one).

var familyNames = map[nftables.TableFamily]string{
	nftables.TableFamilyIPv4: "ip", nftables.TableFamilyIPv6: "ip6", nftables.TableFamilyINet: "inet",
}

// Listing returns `nft list table` of each of the program's tables that
// exists in ns, in order. Terse listings leave out set elements and
// stateless ones leave out counters: what plan compares.
func Listing(ns *NS, p *Program, terse bool) (string, error) {
	var b strings.Builder
	for _, t := range p.Tables {
		args := []string{"list", "table", familyNames[t.Table.Family], t.Table.Name}
		if terse {
			args = append([]string{"-s", "-t"}, args...)
		}
		out, missing, err := runNft(ns, "", args...)
		if missing {
			continue
		}
		if err != nil {
			return "", err
		}
		b.WriteString(out)
	}
	return b.String(), nil
}

// Snapshot returns an nft script that puts the program's tables in ns back
// as they are now, set elements (with their remaining time) and counters
// included; a table that does not exist yet is deleted by it.
func Snapshot(ns *NS, p *Program) (string, error) {
	var b strings.Builder
	for _, t := range p.Tables {
		fam := familyNames[t.Table.Family]
		out, missing, err := runNft(ns, "", "list", "table", fam, t.Table.Name)
		if err != nil && !missing {
			return "", err
		}
		fmt.Fprintf(&b, "add table %s %s\ndelete table %s %s\n", fam, t.Table.Name, fam, t.Table.Name)
		if !missing {
			b.WriteString(out)
		}
	}
	return b.String(), nil
}

// Restore loads a Snapshot script in ns, in one transaction.
func Restore(ns *NS, script string) error {
	_, _, err := runNft(ns, script, "-f", "-")
	return err
}

// runNft runs nft in ns; missing reports a "No such file or directory"
// answer (the table does not exist).
func runNft(ns *NS, stdin string, args ...string) (out string, missing bool, err error) {
	if _, err := exec.LookPath("nft"); err != nil {
		return "", false, errors.New("the nft command is needed to list and restore rulesets: install the nftables package")
	}
	cmd := ns.Command("nft", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(e.String())
		return "", strings.Contains(msg, "No such file or directory"), fmt.Errorf("nft %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return o.String(), false, nil
}
