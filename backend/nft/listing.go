package nft

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/google/nftables"
)

// Listing uses the nft command: its listing is the readable form of a
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

// Listing returns `nft list table` of each of the program's tables that
// exists in ns, in order, then of xt2nft's tables of the other layout that
// apply would delete (retire.go). Terse listings leave out set elements and
// stateless ones leave out counters: what plan compares.
func Listing(ns *NS, p *Program, terse bool) (string, error) {
	var b strings.Builder
	refs := p.refs()[:len(p.Tables)]
	if c, err := dial(ns); err == nil {
		retired, err := liveRetired(c, p) // apply deletes them (retire.go)
		c.Close()
		if err != nil {
			return "", err
		}
		refs = append(refs, retired...)
	}
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
