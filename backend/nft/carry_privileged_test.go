//go:build linux

package nft_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedApplyCarriesEveryElement: swapping the table of a big
// recent list whole carries every one of its addresses, re-apply after
// re-apply, each straight after the one before filled the new set: the
// carried count and the new set's count are both the list's size.
// (Elements coming and going meanwhile from the control plane would make
// apply refuse the batch: the ruleset generation changed since it was
// read. TestPrivilegedBigRead reads through churn, with the same
// nlraw.ReadSet.) 30,000 addresses; XT2NFT_BIG_READ=1: 200,000.
func TestPrivilegedApplyCarriesEveryElement(t *testing.T) {
	nstest.Skip(t, "nft")
	n := 30000
	if os.Getenv("XT2NFT_BIG_READ") == "1" {
		n = 200000
	}
	tn, ns, prog := bigList(t, n)
	defer ns.Close()
	f, err := os.Open("/run/netns/" + tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for round := 1; round <= 3; round++ {
		res, err := nft.Apply(ns, prog(), nft.ApplyOptions{Whole: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.CarriedElem != n || res.CarriedSets != 1 {
			t.Errorf("re-apply %d carried %d elements in %d sets, want %d in 1", round, res.CarriedElem, res.CarriedSets, n)
		}
		infos, err := nlraw.SetInfos(int(f.Fd()), &nftables.Table{Name: "xt2nft", Family: nftables.TableFamilyIPv4})
		if err != nil {
			t.Fatal(err)
		}
		if c := infos["recent_BIG_last_3600"].Count; c != n && c != -1 {
			t.Errorf("after re-apply %d the set holds %d elements, want %d", round, c, n)
		}
	}
}

// bigProgram is the program of a recent list BIG (one set,
// recent_BIG_last_3600) of size addresses.
func bigProgram(t testing.TB, size int) *nft.Program {
	t.Helper()
	const dump = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m recent --name BIG --set\n" +
		"-A INPUT -m recent --name BIG --rcheck --seconds 3600 -j ACCEPT\nCOMMIT\n"
	return programWith(t, dump, translate.Options{RecentSize: size})
}

// bigList applies a recent list with room for 2,000,000 addresses (one
// set, recent_BIG_last_3600) in a new namespace and fills it with n
// addresses, half of them with a timeout of their own; prog makes the
// program again, for a re-apply.
func bigList(t testing.TB, n int) (*nstest.NS, *nft.NS, func() *nft.Program) {
	t.Helper()
	prog := func() *nft.Program { return bigProgram(t, 2000000) }
	tn := nstest.New(t, "carry-big")
	ns, err := nft.OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nft.Apply(ns, prog(), nft.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < n; lo += 250000 { // nft -f in parts: its memory grows fast with one huge set literal
		var b strings.Builder
		b.WriteString("add element ip xt2nft recent_BIG_last_3600 {")
		for i := lo; i < min(lo+250000, n); i++ {
			if i > lo {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
			if i%2 == 1 {
				b.WriteString(" timeout 30m")
			}
		}
		b.WriteString("}\n")
		if _, stderr, err := tn.NFT(b.String()); err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
	}
	return tn, ns, prog
}

// BenchmarkCarry200k and BenchmarkCarry1M time, next to a recent list of
// 200,000 (1,000,000) addresses, each iteration: nft list set of the set
// (nft); a re-apply in place, which leaves the set where it is (inplace);
// a whole-table swap that carries the list over, read with nlraw.ReadSet
// and written back in the batch (whole); and, the set emptied, a re-apply
// in place again (empty: what inplace must not exceed). Each is reported
// as its fastest and median run (s):
//
//	sudo XT2NFT_PRIVILEGED=1 go test ./backend/nft -run '^$' -bench Carry200k -benchtime 5x
func BenchmarkCarry200k(b *testing.B) { benchCarry(b, 200000) }

// BenchmarkCarry1M: see BenchmarkCarry200k.
func BenchmarkCarry1M(b *testing.B) { benchCarry(b, 1000000) }

func benchCarry(b *testing.B, n int) {
	nstest.Skip(b, "nft")
	tn, ns, prog := bigList(b, n)
	defer ns.Close()
	times := map[string][]time.Duration{}
	timed := func(name string, f func()) {
		start := time.Now()
		f()
		times[name] = append(times[name], time.Since(start))
	}
	apply := func(opt nft.ApplyOptions) *nft.ApplyResult {
		res, err := nft.Apply(ns, prog(), opt)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		timed("nft", func() {
			if _, _, err := tn.Run("nft", "list", "set", "ip", "xt2nft", "recent_BIG_last_3600"); err != nil {
				b.Fatal(err)
			}
		})
		timed("inplace", func() {
			if res := apply(nft.ApplyOptions{}); res.InPlace != 1 || res.CarriedElem != 0 {
				b.Fatalf("not in place: %+v", res)
			}
		})
		timed("whole", func() {
			if res := apply(nft.ApplyOptions{Whole: true}); res.CarriedElem != n {
				b.Fatalf("carried %d of %d", res.CarriedElem, n)
			}
		})
	}
	b.StopTimer()
	elems, _, err := tn.NFT("", "list", "set", "ip", "xt2nft", "recent_BIG_last_3600")
	if err != nil || strings.Count(elems, "10.") < n/2 {
		b.Fatalf("the list lost its addresses: %v", err)
	}
	if _, _, err := tn.NFT("", "flush", "set", "ip", "xt2nft", "recent_BIG_last_3600"); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		timed("empty", func() { apply(nft.ApplyOptions{}) })
	}
	for name, ds := range times {
		slices.Sort(ds)
		b.ReportMetric(ds[0].Seconds(), name+"-min-s")
		b.ReportMetric(ds[len(ds)/2].Seconds(), name+"-med-s")
	}
}

// TestPrivilegedReapplyCarriesRecreatedSet: a re-apply in place whose
// recent list changed its definition (a bigger --recent-size) recreates
// the list's set and carries its addresses into the new one, in the same
// batch; one that changed nothing reads no set and carries nothing.
func TestPrivilegedReapplyCarriesRecreatedSet(t *testing.T) {
	nstest.Skip(t, "nft")
	prog := func(size int) *nft.Program { return bigProgram(t, size) }
	tn := nstest.New(t, "carry-recreated")
	ns, err := nft.OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if _, err := nft.Apply(ns, prog(1000), nft.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := tn.NFT("", "add", "element", "ip", "xt2nft", "recent_BIG_last_3600", "{ 10.9.0.1, 10.9.0.2 }"); err != nil {
		t.Fatal(err, stderr)
	}
	res, err := nft.Apply(ns, prog(1000), nft.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InPlace != 1 || res.CarriedElem != 0 || res.Changed.SetsRecreated != 0 {
		t.Errorf("unchanged: in place %d, carried %d, %+v", res.InPlace, res.CarriedElem, res.Changed)
	}
	res, err = nft.Apply(ns, prog(2000), nft.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InPlace != 1 || res.Changed.SetsRecreated == 0 || res.CarriedElem != 2 {
		t.Errorf("bigger list: in place %d, carried %d, %+v; want the set recreated in place with its 2 addresses", res.InPlace, res.CarriedElem, res.Changed)
	}
	got, stderr, err := tn.NFT("", "list", "set", "ip", "xt2nft", "recent_BIG_last_3600")
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(got, "10.9.0.1") || !strings.Contains(got, "10.9.0.2") || !strings.Contains(got, "size 2000") {
		t.Errorf("the recreated set:\n%s", got)
	}
}
