//go:build linux

package nft

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedLayoutSwitch: applying the inet layout where xt2nft's
// ip and ip6 tables are live deletes them in the same batch (else both
// would filter every packet), and back; the iptables layout's tables (ip
// filter, ...) and the others' replace each other alike; plan says so; a
// rollback brings the old layout back; a table of the same name without
// xt2nft's mark is never touched.
func TestPrivilegedLayoutSwitch(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "layouts")
	ns, err := netns.Open(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	v4 := translate.Input{Name: "r.v4", Src: []byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")}
	v6 := translate.Input{Name: "r.v6", Src: []byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n")}
	prog := func(layout translate.Layout) *Program {
		return loweredWith(t, translate.Options{Layout: layout}, v4, v6)
	}
	tables := func() string {
		out, _, err := tn.NFT("", "list", "tables")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(out), " ")
	}
	split, inet := prog(translate.LayoutXT2NFT), prog(translate.LayoutInet)
	if _, err := Apply(ns, split, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	b := New(ns)
	plan, err := b.Plan(t.Context(), inet, backend.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(plan.Notes, "\n"); !strings.Contains(notes, "table ip xt2nft and table ip6 xt2nft of the other layout deleted") {
		t.Errorf("plan does not say the switch deletes the old tables: %q", notes)
	}
	if !strings.Contains(plan.Live, "table ip6 xt2nft") || strings.Contains(plan.New, "table ip6 xt2nft") {
		t.Errorf("plan's listings do not show the old tables going:\nlive:\n%s\nnew:\n%s", plan.Live, plan.New)
	}
	s, err := b.Snapshot(t.Context(), inet)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Apply(t.Context(), inet, s, backend.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != "table inet xt2nft" {
		t.Errorf("after the switch to inet: %s", got)
	}
	if !strings.Contains(res.Summary, "of the other layout deleted") {
		t.Errorf("the summary does not say the old tables went: %s", res.Summary)
	}
	if _, err := b.Restore(t.Context(), s, res.Mark); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != "table ip xt2nft table ip6 xt2nft" {
		t.Errorf("after the rollback: %s", got)
	}
	if _, err := Apply(ns, inet, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ns, split, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != "table ip xt2nft table ip6 xt2nft" {
		t.Errorf("after the switch back: %s", got)
	}
	// The iptables layout (ip filter, ip6 filter) and back, both ways.
	ipt := prog(translate.LayoutIPTables)
	for _, step := range []struct {
		p    *Program
		want string
	}{
		{ipt, "table ip filter table ip6 filter"},
		{split, "table ip xt2nft table ip6 xt2nft"},
		{ipt, "table ip filter table ip6 filter"},
		{inet, "table inet xt2nft"},
		{ipt, "table ip filter table ip6 filter"},
		{split, "table ip xt2nft table ip6 xt2nft"},
	} {
		if _, err := Apply(ns, step.p, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := tables(); got != step.want {
			t.Errorf("after applying %s: %s, want %s", step.p.layout, got, step.want)
		}
	}
	// Not xt2nft's: left alone.
	if _, stderr, err := tn.NFT("delete table ip6 xt2nft\nadd table ip6 xt2nft\n"); err != nil {
		t.Fatal(stderr)
	}
	if _, err := Apply(ns, inet, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got != "table ip6 xt2nft table inet xt2nft" {
		t.Errorf("a table without xt2nft's mark: %s", got)
	}
}
