//go:build linux

package ipt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedNamespaceBackend: ipt.Namespace as backend.Backend, for
// every flavour: a snapshot restores what it saved (counters included); an
// apply conditioned on a snapshot that another tool made stale is refused;
// a rule another tool adds after the apply is undone by the restore and
// reported.
func TestPrivilegedNamespaceBackend(t *testing.T) {
	forEach(t, func(t *testing.T, f flavour, _ *Backend, tn *nstest.NS) {
		ctx := context.Background()
		ns, err := netns.Open(tn.Name)
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		b := &Namespace{NS: ns, Variant: f.variant}
		old := Dumps{{Name: "old", Src: []byte(f.base()), Family: f.family}}
		next := Dumps{{Name: "new", Src: []byte(strings.Replace(f.base(), "-j ACCEPT", "-j DROP", 1)), Family: f.family}}
		if _, err := b.Apply(ctx, old, nil, backend.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		save := func() string {
			out, stderr, err := tn.Run(f.prefix()+"-"+string(f.variant)+"-save", "-c")
			if err != nil {
				t.Fatalf("%v: %s", err, stderr)
			}
			return stripComments([]byte(out))
		}
		before := save()

		s, err := b.Snapshot(ctx, next)
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		if _, stderr, err := tn.Run(f.prefix()+"-"+string(f.variant), "-A", "INPUT", "-s", f.addr("5.6.7.8"), "-j", "ACCEPT"); err != nil {
			t.Fatal(stderr)
		}
		if _, err := b.Apply(ctx, next, s, backend.ApplyOptions{}); !errors.Is(err, backend.ErrChanged) {
			t.Errorf("apply on a stale snapshot: %v", err)
		}
		if _, stderr, err := tn.Run(f.prefix()+"-"+string(f.variant), "-D", "INPUT", "-s", f.addr("5.6.7.8"), "-j", "ACCEPT"); err != nil {
			t.Fatal(stderr)
		}

		s, err = b.Snapshot(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Apply(ctx, next, s, backend.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, stderr, err := tn.Run(f.prefix()+"-"+string(f.variant), "-A", "INPUT", "-s", f.addr("1.2.3.4"), "-j", "ACCEPT"); err != nil {
			t.Fatal(stderr)
		}
		r, err := b.Restore(ctx, s, res.Mark)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Changed) != 1 || r.Changed[0].Name != "filter" {
			t.Errorf("restore found %+v; want filter changed", r)
		}
		if after := save(); after != before {
			t.Errorf("restored differently:\n%s\nwant:\n%s", after, before)
		}
		// Restoring again changes nothing.
		if r, err := b.Restore(ctx, s, res.Mark); err != nil || !r.Nothing {
			t.Errorf("second restore: %+v %v", r, err)
		}
	})
}
