//go:build linux

package recent

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// The xt_recent entries of a namespace, loaded at the end of the batch
// that creates the nft sets, read back from the sets as they were in the
// list. Then a catch-up as a migration's: events the legacy rules recorded
// between the read and the commit (written here while the batch is
// prepared) are merged with events the sets took after the commit (that
// the legacy rules never saw: nft, first at the hook, dropped those
// packets), and an address removed in between goes.
func TestPrivilegedElementsAndCatchUp(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore")
	tn := nstest.New(t, "recent-mig")
	rules := "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -p tcp --dport 22 -m recent --name g --set\n" +
		"-A INPUT -p tcp --dport 22 -m recent --name g --update --seconds 60 --hitcount 6 -j DROP\nCOMMIT\n"
	if _, stderr, err := tn.RunInput(rules, "iptables-legacy-restore"); err != nil {
		t.Fatal(stderr)
	}
	write := func(cmds ...string) {
		for _, c := range cmds {
			if _, stderr, err := tn.Run("sh", "-c", "echo "+c+" > /proc/net/xt_recent/g"); err != nil {
				t.Fatalf("%s: %s", c, stderr)
			}
		}
	}
	a, b, c, d := "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"
	write("+"+a, "+"+a, "+"+b, "+"+d, "+"+d)
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	x := &Legacy{NS: ns}
	var r1 *Read
	p := programFrom(t, rules)
	p.Late = func() (map[*nft.SetProgram][]nftables.SetElement, error) {
		var err error
		if r1, err = x.ReadAll(); err != nil {
			return nil, err
		}
		els, _, err := Elements(p, r1)
		// After the read, before the commit: only the legacy list sees
		// these.
		write("+"+a, "-"+b, "+"+c)
		return els, err
	}
	if _, err := nft.New(ns).Apply(context.Background(), p, nil, nft.ApplyOptions{ResetSets: true}); err != nil {
		t.Fatal(err)
	}
	cn, err := x.nftConn()
	if err != nil {
		t.Fatal(err)
	}
	n := &NFT{Conn: cn}
	hits := func() map[string]int {
		t.Helper()
		es, err := n.Show(context.Background(), "g")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, e := range es {
			out[e.Addr.String()] = e.Hits()
		}
		return out
	}
	if got, want := fmt.Sprint(hits()), fmt.Sprint(map[string]int{a: 2, b: 1, d: 2}); got != want {
		t.Fatalf("loaded: %s, want what the list held when read: %s", got, want)
	}
	// After the commit the sets take events the legacy list does not see.
	if err := n.Add(context.Background(), "g", netip.MustParseAddr(a), netip.MustParseAddr(d)); err != nil {
		t.Fatal(err)
	}
	r2, err := x.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	k, err := x.CatchUp(context.Background(), r1, p.Committed, r2)
	if err != nil || k != 3 {
		t.Fatalf("catch-up: %d entries, %v", k, err)
	}
	// a: 2 before the read + 1 in the gap + 1 after the commit; b removed
	// in the gap; c new in the gap; d unchanged in the list, its event in
	// the sets kept.
	if got, want := fmt.Sprint(hits()), fmt.Sprint(map[string]int{a: 4, c: 1, d: 3}); got != want {
		t.Errorf("caught up: %s, want %s", got, want)
	}
	if k, err := x.CatchUp(context.Background(), r2, p.Committed, r2); err != nil || k != 0 {
		t.Errorf("a catch-up with nothing changed loaded %d entries (%v)", k, err)
	}
}
