//go:build linux

package verify

// xt_recent keeps at most ip_list_tot entries in a list (a module
// parameter, 100 by default, the same for every namespace) and evicts the
// least recently seen to make room; the nft sets that replace a list hold
// --recent-size (65535) and refuse new elements when full (README, "A full
// set"). A run that sends more sources into one list than ip_list_tot
// makes the legacy lab forget some the nft lab remembers: a documented
// difference of capacity, not of the translation. verify checks for it
// only when a difference shows, so that it costs nothing otherwise.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/lab"
)

// listTot is xt_recent's ip_list_tot, or 0 when the module is not loaded.
func listTot() int {
	b, err := os.ReadFile("/sys/module/xt_recent/parameters/ip_list_tot")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// fullList names a recent list of namespace ns that holds ip_list_tot
// entries (and gives ip_list_tot), or "".
func fullList(ns *lab.NS) (string, int) {
	tot := listTot()
	if tot == 0 {
		return "", 0
	}
	full := ""
	_ = ns.Do(func() error {
		// /proc/self/net is the process's namespace; the thread's is
		// this one.
		dir := "/proc/thread-self/net/xt_recent"
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err == nil && bytes.Count(b, []byte("\n")) >= tot {
				full = e.Name()
				return nil
			}
		}
		return nil
	})
	return full, tot
}

// capacity says, when a list of the legacy lab is full, that the labs'
// recent lists have parted for that reason, and taints the pair: later
// probes counted by rules that depend on earlier packets are not
// compared.
func (v *verifier) capacity(p *pair) bool {
	name, tot := fullList(p.legacy.lab.FW)
	if name == "" {
		return false
	}
	*p.tainted = true
	v.note(fmt.Sprintf("the iptables-legacy lab's recent list %q reached xt_recent's ip_list_tot (%d entries) and evicts its oldest, where the nft set keeps them (a documented difference of capacity): probes counted by rules that depend on earlier packets are not compared after that", name, tot))
	return true
}
