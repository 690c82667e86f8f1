//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/translate"
)

// bigReadEnv asks TestPrivilegedBigRead for the full size: 20
// rounds of 200,000 addresses (about 4 minutes here, unloaded). CI runs the
// default, 3 rounds of 30,000.
const bigReadEnv = "XT2NFT_BIG_READ"

// TestPrivilegedBigRead imports N addresses into a list made by xt2nft
// (--recent-size 2000000) and reads them back at once, round after round,
// while two churners run in the same table: one commits short-lived
// elements into an unrelated set (the ruleset generation changes all the
// time, elements expire there), the other into the list's own set,
// addresses outside the imported range that expire within a second. Every
// round, export and show return exactly the N imported addresses (and
// whatever churn is alive), and list counts them without reading them.
//
// Before nlraw.ReadSet, every read of the churned set lost imported
// addresses (the kernel's dump resumes each chunk by position, and each
// element the garbage collector removes behind that position makes the
// dump skip one).
func TestPrivilegedBigRead(t *testing.T) {
	n, rounds := 30000, 3
	if os.Getenv(bigReadEnv) == "1" {
		n, rounds = 200000, 20
	}
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m recent --name BIG --set\n" +
		"-A INPUT -m recent --name BIG --rcheck --seconds 3600 -j ACCEPT\nCOMMIT\n"
	ns, _, rc := nftLabWith(t, "bigread", rules, translate.Options{RecentSize: 2000000})
	if _, stderr, err := ns.NFT("add set ip xt2nft churn { type ipv4_addr; flags timeout; timeout 1s; size 100000; }\n"); err != nil {
		t.Fatal(stderr)
	}
	type entry struct {
		Addr string `json:"addr"`
	}
	es := make([]entry, n)
	for i := range es {
		es[i].Addr = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	imp, err := json.Marshal([]map[string]any{{"name": "BIG", "entries": es}})
	if err != nil {
		t.Fatal(err)
	}
	ns.Churn(t, "xt2nft", "churn", churnBatch, churnEvery)
	ns.Churn(t, "xt2nft", "recent_BIG_last_3600", churnBatch, churnEvery)
	imported := func(a netip.Addr) bool { return a.Is4() && a.As4()[0] == 10 && a.As4()[1] != 200 }
	for r := 0; r < rounds; r++ {
		rc("", "flush", "BIG")
		rc(string(imp), "import")
		start := time.Now()
		var out []exported
		if err := json.Unmarshal([]byte(rc("", "export")), &out); err != nil {
			t.Fatal(err)
		}
		exportTime := time.Since(start)
		got := 0
		for _, l := range out {
			if l.Name != "BIG" {
				continue
			}
			for _, e := range l.Entries {
				if imported(e.Addr) {
					got++
				}
			}
		}
		if got != n {
			t.Errorf("round %d: export right after the import holds %d of the %d imported addresses", r+1, got, n)
		}
		var shown []struct {
			Addr netip.Addr `json:"addr"`
		}
		if err := json.Unmarshal([]byte(rc("", "show", "BIG", "--json")), &shown); err != nil {
			t.Fatal(err)
		}
		got = 0
		for _, e := range shown {
			if imported(e.Addr) {
				got++
			}
		}
		if got != n {
			t.Errorf("round %d: show holds %d of the %d imported addresses", r+1, got, n)
		}
		var lists []struct {
			Name    string `json:"name"`
			Entries int    `json:"entries"`
		}
		if err := json.Unmarshal([]byte(rc("", "list", "--json")), &lists); err != nil {
			t.Fatal(err)
		}
		// The count includes the churn alive (or expired, not yet
		// collected) in the list's set: at most what the churner keeps.
		if len(lists) != 1 || lists[0].Entries < n || lists[0].Entries > n+churnLive {
			t.Errorf("round %d: list says %+v, want BIG with %d to %d entries", r+1, lists, n, n+churnLive)
		}
		t.Logf("round %d: %d addresses exported in %v; list counts %+v", r+1, n, exportTime.Round(time.Millisecond), lists)
	}
}

// churnLive bounds the churn elements in a set at once: batches of
// churnBatch every churnEvery, each living 300 ms and counted until the
// kernel's garbage collector removes it: 8 s of batches (4 s were
// exceeded once in 20 rounds at load 15).
const (
	churnBatch = 1000
	churnEvery = 250 * time.Millisecond
	churnLive  = 32 * churnBatch
)
