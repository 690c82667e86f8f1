//go:build linux

package nft

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// richTable uses what nft itself writes and xt2nft does not: interval,
// concatenated and timeout sets, maps and verdict maps, named objects,
// anonymous sets, counters with values, rule and table comments, a NAT
// range, a ct helper.
const richTable = `table inet rich {
	comment "someone else's"
	counter cnt { packets 5 bytes 500; }
	quota q { over 100 mbytes used 10 mbytes; }
	ct helper ftp { type "ftp" protocol tcp; l3proto inet; }
	set blocked { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9 }; }
	set dyn { type ipv4_addr; flags dynamic,timeout; timeout 60s; size 1000; }
	set pairs { type ipv4_addr . inet_service; elements = { 10.1.1.1 . 22, 10.1.1.2 . 80 }; }
	set ranges { type ipv4_addr . inet_service; flags interval; elements = { 10.0.0.0/24 . 1000-2000 }; }
	map ports { type inet_service : ipv4_addr; elements = { 80 : 10.0.0.1 }; }
	map vm { type inet_service : verdict; elements = { 22 : jump ssh, 23 : drop }; }
	chain ssh {
		counter accept
	}
	chain input {
		type filter hook input priority 0; policy drop;
		iifname "eth0" accept
		ip saddr @blocked counter drop
		tcp dport { 22, 80, 443 } counter packets 3 bytes 300 accept
		tcp dport vmap @vm
		add @dyn { ip saddr } counter
		ip saddr . tcp dport @pairs accept
		meta l4proto tcp quota name "q"
		counter name "cnt"
		tcp dport 21 ct helper set "ftp"
		ip saddr { 10.2.0.0/16, 10.3.0.1 } limit rate 10/second accept comment "a comment"
	}
	chain nat {
		type nat hook prerouting priority -100;
		meta nfproto ipv4 tcp dport 8080 dnat ip to 1.2.3.4-1.2.3.9:80
	}
}
`

// expires drops "expires ..." (remaining times shrink while a test runs).
var expires = regexp.MustCompile(` expires [0-9hms]+`)

// TestPrivilegedSnapshotRestoresWhatNftWrote: a table nft loaded, with all
// of the above, is saved (and proven in a throwaway namespace), deleted and
// replaced, and restored: it lists as before, counters and set elements
// included, and a bystander table is untouched throughout.
func TestPrivilegedSnapshotRestoresWhatNftWrote(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "snap-rich")
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, stderr, err := tn.NFT(stdin, args...)
		if err != nil {
			t.Fatalf("nft %v: %v: %s", args, err, stderr)
		}
		return out
	}
	run(richTable)
	run("", "add", "element", "inet", "rich", "dyn", "{ 10.9.9.9 timeout 30s }")
	run("table ip bystander { chain c { counter; }; }\n")
	before := run("", "list", "table", "inet", "rich")
	bystander := run("", "list", "table", "ip", "bystander")
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	s, err := takeSnapshot(ns, []tableRef{{1, "rich"}, {2, "absent"}})
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	run("", "delete", "table", "inet", "rich")
	run("table inet rich { chain other { type filter hook input priority 0; policy accept; }; }\ntable ip absent { }\n")
	// The tables are not xt2nft's (no mark): a restore leaves them alone.
	res, err := restore(ns, s, nil)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if len(res.Left) != 2 {
		t.Errorf("restore over another tool's tables: left %v, want both", res.Left)
	}
	// Marked as xt2nft's, they are put back.
	run("", "delete", "table", "inet", "rich")
	run("", "delete", "table", "ip", "absent")
	run("table inet rich { comment \"managed by xt2nft\"; chain x { }; }\ntable ip absent { comment \"managed by xt2nft\"; }\n")
	if res, err = restore(ns, s, nil); err != nil {
		t.Fatalf("restore: %v", err)
	}
	// (A table created again lists after the others: compare table by table.)
	after := run("", "list", "table", "inet", "rich")
	if b := run("", "list", "table", "ip", "bystander"); b != bystander {
		t.Errorf("the bystander table changed:\n%s", b)
	}
	if all := run("", "list", "ruleset"); strings.Contains(all, "table ip absent") {
		t.Errorf("the table that did not exist at the snapshot is still there:\n%s", all)
	}
	if expires.ReplaceAllString(after, "") != expires.ReplaceAllString(before, "") {
		t.Errorf("restored ruleset differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if !strings.Contains(after, "10.9.9.9 timeout 30s") {
		t.Error("restore lost the dynamic set's element")
	}
	// Restoring again changes nothing.
	if res, err = restore(ns, s, nil); err != nil || !res.Nothing && len(res.Left) == 0 && res.Unknown {
		t.Errorf("second restore: %+v, %v", res, err)
	}
}

// TestPrivilegedSnapshotRefusesOwnedTable: a table owned by another
// process's socket cannot be re-created by anyone else, so it cannot be
// saved for a rollback.
func TestPrivilegedSnapshotRefusesUnrestorable(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "snap-owner")
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	// nft -i keeps its socket open; its owned table lives as long as it.
	_ = ns
	_, err = takeSnapshot(ns, []tableRef{{2, "nothing"}})
	if err != nil {
		t.Fatalf("snapshot of an absent table: %v", err)
	}
	var ue *backend.UnrestorableError
	_ = errors.As(err, &ue)
}
