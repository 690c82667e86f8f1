package backend

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var (
	tA = Table{"ip", "a"}
	tB = Table{"ip", "b"}
	tX = Table{"inet", "bystander"}
)

func TestFakeApplySwapsOnlyOnSuccess(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	f.Set(tX, "other", "keep me")
	if _, err := f.Apply(ctx, FakeRuleset{{tA, []string{"one"}}}, nil, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	before, gen := f.Dump(), f.Gen()
	// The second table fails after the first was changed in the copy.
	_, err := f.Apply(ctx, FakeRuleset{{tA, []string{"two"}}, {tB, []string{"x", "!refuse"}}}, nil, ApplyOptions{})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("apply with a refused line: %v", err)
	}
	if f.Dump() != before || f.Gen() != gen {
		t.Errorf("a failed apply changed the fake:\n%s", f.Dump())
	}
	want := "table inet bystander (other)\n\tkeep me\ntable ip a (xt2nft)\n\tone\n"
	if before != want {
		t.Errorf("dump:\n%s\nwant:\n%s", before, want)
	}
}

func TestFakeSnapshotConditionsApply(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	rs := FakeRuleset{{tA, []string{"one"}}}
	s, err := f.Snapshot(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	f.Set(tX, "other", "meanwhile")
	_, err = f.Apply(ctx, rs, s, ApplyOptions{})
	var ce *ChangedError
	if !errors.Is(err, ErrChanged) || !errors.As(err, &ce) {
		t.Fatalf("apply after another change: %v", err)
	}
	if strings.Contains(f.Dump(), "table ip a") {
		t.Error("the refused apply went live")
	}
}

func TestFakeForeign(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	f.Set(tA, "iptables-nft", "theirs")
	_, err := f.Apply(ctx, FakeRuleset{{tA, []string{"ours"}}}, nil, ApplyOptions{})
	var fe *ForeignError
	if !errors.As(err, &fe) || !errors.Is(err, ErrForeign) || fe.Tables[0] != tA {
		t.Fatalf("apply over a foreign table: %v", err)
	}
	if _, err := f.Apply(ctx, FakeRuleset{{tA, []string{"ours"}}}, nil, ApplyOptions{ReplaceForeign: true}); err != nil {
		t.Fatalf("with ReplaceForeign: %v", err)
	}
}

func TestFakeRestore(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	f.Set(tA, FakeOwner, "old")
	rs := FakeRuleset{{tA, []string{"new"}}, {tB, []string{"new b"}}}
	s, _ := f.Snapshot(ctx, rs)
	before := f.Dump()
	res, err := f.Apply(ctx, rs, s, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Another tool edits our table a, and replaces b with its own.
	f.Set(tA, FakeOwner, "new", "added by someone")
	f.Set(tB, "other", "theirs")
	r, err := f.Restore(ctx, s, res.Mark)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Changed) != 1 || r.Changed[0] != tA || len(r.Left) != 1 || r.Left[0] != tB {
		t.Errorf("restore found %+v; want a changed, b left", r)
	}
	want := before + "table ip b (other)\n\ttheirs\n"
	if f.Dump() != want {
		t.Errorf("after restore:\n%s\nwant:\n%s", f.Dump(), want)
	}
	// Again: nothing left to do.
	if r, err := f.Restore(ctx, s, res.Mark); err != nil || len(r.Changed) != 0 {
		t.Errorf("second restore: %+v %v", r, err)
	}
}
