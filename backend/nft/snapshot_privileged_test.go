//go:build linux

package nft

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// lowered translates and lowers an iptables-save dump.
func lowered(t *testing.T, dump string) *Program {
	t.Helper()
	return loweredWith(t, translate.Options{}, translate.Input{Name: "rules.v4", Src: []byte(dump)})
}

// loweredWith translates the inputs with topt and lowers the result.
func loweredWith(t *testing.T, topt translate.Options, in ...translate.Input) *Program {
	t.Helper()
	out := translate.Prepare(in, parser.Options{}, topt)
	if out.Failed || out.Ruleset == nil {
		t.Fatalf("translate: %v", out.Diags)
	}
	p, err := Lower(out.Ruleset)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

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

// TestPrivilegedSnapshotRefusesUnrestorable: a table owned by another
// process's netlink socket (NFT_TABLE_F_OWNER) goes away with it and cannot
// be created again by anyone else: it cannot be saved for a rollback, and
// the refusal says why.
func TestPrivilegedSnapshotRefusesUnrestorable(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "snap-owner")
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	// nft -i keeps its socket open while it reads its input.
	cmd := ns.Command("nft", "-i")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	in.Write([]byte("add table ip owned { flags owner; }\n"))
	for i := 0; ; i++ {
		if out, _, _ := tn.NFT("", "list", "tables"); strings.Contains(out, "owned") {
			break
		}
		if i == 100 {
			t.Fatal("the owned table did not appear")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err = takeSnapshot(ns, []tableRef{{2, "owned"}})
	var ue *backend.UnrestorableError
	if !errors.As(err, &ue) || !errors.Is(err, backend.ErrUnrestorable) || !strings.Contains(err.Error(), "owned by netlink port") {
		t.Fatalf("snapshot of an owned table: %v", err)
	}
}

// TestPrivilegedSnapshotOfOtherTools: tables xt2nft does not write itself
// restore too: iptables-nft's, with xtables matches (their protocol comes
// back as NFTA_RULE_COMPAT), and a netdev table hooked to a device (which
// the throwaway namespace gets as a veth of the same name).
func TestPrivilegedSnapshotOfOtherTools(t *testing.T) {
	nstest.Skip(t, "nft", "iptables-nft")
	tn := nstest.New(t, "snap-tools")
	for _, args := range [][]string{
		{"iptables-nft", "-A", "INPUT", "-m", "recent", "--name", "x", "--set"},
		{"iptables-nft", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "1,2,3", "-j", "ACCEPT"},
		{"iptables-nft", "-A", "INPUT", "!", "-p", "udp", "-m", "conntrack", "--ctstate", "NEW", "-j", "ACCEPT"},
		{"ip", "link", "add", "ft0", "type", "veth", "peer", "name", "ft1"},
	} {
		if _, stderr, err := tn.Run(args...); err != nil {
			t.Fatalf("%v: %v: %s", args, err, stderr)
		}
	}
	if _, stderr, err := tn.NFT("table netdev ft { chain c { type filter hook ingress device ft0 priority 0; counter; }; }\n"); err != nil {
		t.Fatal(stderr)
	}
	list := func() string {
		out, stderr, err := tn.NFT("", "list", "ruleset")
		if err != nil {
			t.Fatal(stderr)
		}
		return out
	}
	before := list()
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	s, err := takeSnapshot(ns, []tableRef{{2, "filter"}, {5, "ft"}})
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if _, stderr, err := tn.NFT("flush ruleset\ntable ip filter { comment \"managed by xt2nft\"; }\ntable netdev ft { comment \"managed by xt2nft\"; }\n"); err != nil {
		t.Fatal(stderr)
	}
	if _, err := restore(ns, s, nil); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if after := list(); after != before {
		t.Errorf("restored differently:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if out, stderr, err := tn.Run("iptables-nft", "-S", "INPUT"); err != nil || !strings.Contains(out, "-m multiport --dports 1,2,3") {
		t.Errorf("iptables-nft cannot read its table back: %v %s\n%s", err, stderr, out)
	}
}

// TestPrivilegedApplyRefusesChangeSinceSnapshot: an apply conditioned on a
// snapshot fails when anything committed after it (the kernel's generation
// check), so that a rollback to the snapshot cannot silently undo it.
func TestPrivilegedApplyRefusesChangeSinceSnapshot(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "snap-genid")
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	b := New(ns)
	p := lowered(t, "*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")
	s, err := b.Snapshot(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := tn.NFT("add table ip other\n"); err != nil {
		t.Fatal(stderr)
	}
	_, err = b.Apply(t.Context(), p, s, backend.ApplyOptions{})
	var ce *backend.ChangedError
	if !errors.As(err, &ce) || !errors.Is(err, unix.ERESTART) {
		t.Fatalf("apply after a change since the snapshot: %v", err)
	}
	if out, _, _ := tn.NFT("", "list", "ruleset"); strings.Contains(out, "xt2nft") {
		t.Errorf("applied anyway:\n%s", out)
	}
	// Without a base, a plain apply reads again and goes through.
	if _, err := b.Apply(t.Context(), p, nil, backend.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestPrivilegedRestoreWhatNftCannotReadBack: rules the kernel holds and
// nft lists in a form it cannot parse back (an interface name with a
// quote, a NAT range written backwards) are restored from the kernel's
// objects all the same. The translator refuses both now; an older xt2nft,
// or another netlink tool, put them there, so the test sends them itself.
func TestPrivilegedRestoreWhatNftCannotReadBack(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "snap-unreadable")
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	b := New(ns)
	sendUnreadable(t, ns)
	before, _, _ := tn.NFT("", "list", "ruleset")
	if _, stderr, err := tn.NFT(before); err == nil || !strings.Contains(stderr, "syntax error") {
		t.Logf("nft reads its own listing back now (%v): the test no longer shows what it is for", err)
	}
	p := lowered(t, "*filter\n-A INPUT -j DROP\nCOMMIT\n")
	s, err := b.Snapshot(t.Context(), p)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	res, err := b.Apply(t.Context(), p, s, backend.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Restore(t.Context(), s, res.Taken()); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if after, _, _ := tn.NFT("", "list", "ruleset"); after != before {
		t.Errorf("restored differently:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// sendUnreadable puts table ip xt2nft (marked) with `iifname "a"b" accept`
// and `dnat to 1.2.3.4-1.2.3.1` into ns.
func sendUnreadable(t *testing.T, ns *netns.NS) {
	t.Helper()
	tab := &nftables.Table{Name: "xt2nft", Family: nftables.TableFamilyIPv4}
	prio := func(p int) *nftables.ChainPriority { v := nftables.ChainPriority(p); return &v }
	accept := nftables.ChainPolicyAccept
	in := &nftables.Chain{Name: "filter_INPUT", Table: tab, Hooknum: nftables.ChainHookInput, Priority: prio(0), Type: nftables.ChainTypeFilter, Policy: &accept}
	pre := &nftables.Chain{Name: "nat_PREROUTING", Table: tab, Hooknum: nftables.ChainHookPrerouting, Priority: prio(-100), Type: nftables.ChainTypeNAT, Policy: &accept}
	name := make([]byte, 16)
	copy(name, "a\"b")
	b := &batch{}
	b.table(tab, markUdata())
	b.chain(in)
	b.chain(pre)
	for _, r := range []*nftables.Rule{
		{Table: tab, Chain: in, Exprs: []expr.Any{
			&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: name},
			&expr.Verdict{Kind: expr.VerdictAccept},
		}},
		{Table: tab, Chain: pre, Exprs: []expr.Any{
			&expr.Immediate{Register: 1, Data: []byte{1, 2, 3, 4}},
			&expr.Immediate{Register: 2, Data: []byte{1, 2, 3, 1}},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegAddrMax: 2},
		}},
	} {
		if err := b.rule(r, nil, 0, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.send(ns, 0); err != nil {
		t.Fatal(err)
	}
}
