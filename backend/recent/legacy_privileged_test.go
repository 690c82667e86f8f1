//go:build linux

package recent

import (
	"context"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// The xt_recent entries of a namespace, loaded at the end of the batch
// that creates the nft sets, read back from the sets as they were in the
// list; entries changed in the list afterwards (a new stamp, a new
// address, one removed) are caught up.
func TestPrivilegedElementsAndCatchUp(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore")
	tn := nstest.New(t, "recent-mig")
	rules := "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -p tcp --dport 22 -m recent --name g --set\n" +
		"-A INPUT -p tcp --dport 22 -m recent --name g --update --seconds 60 --hitcount 3 -j DROP\nCOMMIT\n"
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
	write("+192.0.2.1", "+192.0.2.1", "+192.0.2.2", "+192.0.2.3")
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	x := &Legacy{NS: ns}
	r1, err := x.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	p := programFrom(t, rules)
	p.Late = func() (map[*nft.SetProgram][]nftables.SetElement, error) {
		els, _, err := Elements(p, r1)
		return els, err
	}
	if _, err := nft.New(ns).Apply(context.Background(), p, nil, nft.ApplyOptions{ResetSets: true}); err != nil {
		t.Fatal(err)
	}
	c, err := x.nftConn()
	if err != nil {
		t.Fatal(err)
	}
	n := &NFT{Conn: c}
	same := func(r *Read) {
		t.Helper()
		got, err := n.Show(context.Background(), "g")
		if err != nil {
			t.Fatal(err)
		}
		want := r.Lists["g"].Entries
		if len(got) != len(want) {
			t.Fatalf("the sets hold %d addresses, the list %d:\n%+v\n%+v", len(got), len(want), got, want)
		}
		for i := range want {
			if got[i].Addr != want[i].Addr || got[i].Hits() != want[i].Hits() {
				t.Errorf("%s: %d stamps in the sets, %d in the list", want[i].Addr, got[i].Hits(), want[i].Hits())
			}
			if d := got[i].LastSeen - want[i].LastSeen; d < -time.Second || d > time.Second+time.Since(r.At) {
				t.Errorf("%s: last seen %v ago in the sets, %v in the list", want[i].Addr, got[i].LastSeen, want[i].LastSeen)
			}
		}
	}
	same(r1)
	write("+192.0.2.2", "+192.0.2.4", "-192.0.2.3")
	r2, err := x.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	k, err := x.CatchUp(context.Background(), r1, r2)
	if err != nil || k != 3 {
		t.Fatalf("catch-up: %d entries, %v", k, err)
	}
	same(r2)
	if k, err := x.CatchUp(context.Background(), r2, r2); err != nil || k != 0 {
		t.Errorf("a catch-up with nothing changed loaded %d entries (%v)", k, err)
	}
}
