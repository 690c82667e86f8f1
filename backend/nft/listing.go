package nft

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/google/nftables"
)

// Listings use the nft command: its listing is the readable form of a
// ruleset, which plan shows.

var familyNames = map[nftables.TableFamily]string{
	nftables.TableFamilyIPv4: "ip", nftables.TableFamilyIPv6: "ip6", nftables.TableFamilyINet: "inet",
	nftables.TableFamilyARP: "arp", nftables.TableFamilyBridge: "bridge", nftables.TableFamilyNetdev: "netdev",
}

// familyName is nft's name of a family number.
func familyName(f byte) string {
	if n, ok := familyNames[nftables.TableFamily(f)]; ok {
		return n
	}
	return fmt.Sprintf("family-%d", f)
}

// listing returns `nft list table` of each of the tables that exists in
// ns, in order. Terse listings leave out set elements and stateless ones
// leave out counters: what plan compares (the program's tables, and the
// live tables of the other layout that apply would delete, retire.go).
func listing(ns *NS, refs []tableRef, terse bool) (string, error) {
	var b strings.Builder
	for _, r := range refs {
		args := []string{"list", "table", familyName(r.family), r.name}
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

// runNft runs nft in ns; missing reports a "No such file or directory"
// answer (the table does not exist).
func runNft(ns *NS, stdin string, args ...string) (out string, missing bool, err error) {
	if _, err := exec.LookPath("nft"); err != nil {
		return "", false, errors.New("the nft command is needed to list rulesets: install the nftables package")
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
