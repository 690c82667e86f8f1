//go:build linux

package nft

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/nftables/expr"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
)

// expires is an element's time left, which moves while a test runs.
var timeLeft = regexp.MustCompile(` expires [0-9hms]+`)

// canonicalListing is a listing with the chains and blocks of each table
// in name order: a table edited in place has its new chains after the old
// ones, where a fresh one has them in the program's order, and the kernel
// runs them the same (a chain's rules and a set's lines keep their order).
func canonicalListing(t *testing.T, text string) string {
	t.Helper()
	tables, err := parseListing(text)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tb := range tables {
		fmt.Fprintf(&b, "table %s %s %q\n", tb.Family, tb.Name, tb.Head)
		sort.Slice(tb.Chains, func(i, j int) bool { return tb.Chains[i].Name < tb.Chains[j].Name })
		sort.Slice(tb.Blocks, func(i, j int) bool { return tb.Blocks[i].Kind+tb.Blocks[i].Name < tb.Blocks[j].Kind+tb.Blocks[j].Name })
		for _, c := range tb.Chains {
			fmt.Fprintf(&b, "  chain %s %q\n", c.Name, c.Head)
			for _, r := range c.Rules {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		for _, bl := range tb.Blocks {
			fmt.Fprintf(&b, "  %s %s\n", bl.Kind, bl.Name)
			// A hash set lists its elements in its table's order, which
			// the order they were added in decides.
			text := strings.Join(bl.Lines, "\n")
			if i := strings.Index(text, "elements = {"); i >= 0 {
				j := strings.Index(text[i:], "}")
				els := strings.Split(strings.NewReplacer("\n", " ").Replace(text[i+len("elements = {"):i+j]), ",")
				for k := range els {
					els[k] = timeLeft.ReplaceAllString(strings.Join(strings.Fields(els[k]), " "), "")
				}
				sort.Strings(els)
				text = text[:i] + "elements = {" + strings.Join(els, ", ") + "}" + text[i+j+1:]
			}
			fmt.Fprintf(&b, "    %s\n", text)
		}
	}
	return b.String()
}

// TestPrivilegedReapplyInPlace: for every golden case, with the case
// before it live, applying it in place gives the ruleset a fresh namespace
// gets from it (nft list ruleset, chains and sets in name order), and
// applying it again sends nothing. Each golden case is a re-apply of the
// one before: chains, sets, maps, objects and base chains come, go and
// change between them, as between a firewall's versions.
func TestPrivilegedReapplyInPlace(t *testing.T) {
	nstest.Skip(t, "nft")
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	var progs []*Program
	var names []string
	for _, c := range cases {
		out := c.Run()
		if out.Failed {
			continue
		}
		p, err := Lower(out.Ruleset)
		if err != nil || Check(p) != nil {
			continue // not for this kernel (untranslatable-rule-size)
		}
		progs, names = append(progs, p), append(names, c.Name)
	}
	edited, fresh := nstest.New(t, "inplace"), nstest.New(t, "inplace-fresh")
	ens, err := OpenNS(edited.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ens.Close()
	fns, err := OpenNS(fresh.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer fns.Close()
	inPlace := 0
	for i, p := range progs {
		prev := (i + len(progs) - 1) % len(progs)
		t.Run(names[prev]+"->"+names[i], func(t *testing.T) {
			if _, err := Apply(ens, progs[prev], ApplyOptions{}); err != nil {
				t.Fatalf("applying %s: %v", names[prev], err)
			}
			res, err := Apply(ens, p, ApplyOptions{})
			if err != nil {
				t.Fatalf("re-applying: %v", err)
			}
			inPlace += res.InPlace
			if _, _, err := runNft(fns, "", "flush", "ruleset"); err != nil {
				t.Fatal(err)
			}
			if _, err := Apply(fns, p, ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			got, _, err := runNft(ens, "", "list", "ruleset")
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := runNft(fns, "", "list", "ruleset")
			if err != nil {
				t.Fatal(err)
			}
			// The edited namespace may keep tables of the case before
			// that this one does not name: compare this case's tables.
			var keep []string
			for _, tp := range p.Tables {
				keep = append(keep, "table "+familyNames[tp.Table.Family]+" "+tp.Table.Name+" ")
			}
			if g, w := canonicalListing(t, only(got, keep)), canonicalListing(t, want); g != w {
				t.Fatalf("edited in place:\n%s\nfresh:\n%s", g, w)
			}
			again, err := Apply(ens, p, ApplyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c := again.Changed; c.RulesAdded != 0 || c.RulesDeleted != 0 || c.SetsCreated != 0 || c.SetsRecreated != 0 || c.ChainsCreated != 0 {
				t.Errorf("applying the same program again changed %+v", c)
			}
		})
	}
	if inPlace < len(progs)/2 {
		t.Errorf("only %d of %d re-applies were in place", inPlace, len(progs))
	}
}

// only keeps the tables whose header lines start with one of prefixes.
func only(listing string, prefixes []string) string {
	var b strings.Builder
	on := false
	for _, l := range strings.SplitAfter(listing, "\n") {
		if strings.HasPrefix(l, "table ") {
			on = false
			for _, p := range prefixes {
				on = on || strings.HasPrefix(l, p)
			}
		}
		if on {
			b.WriteString(l)
		}
	}
	return b.String()
}

// TestPrivilegedReapplyChangesOneRule: changing one rule of a
// 2,000-rule chain re-applies as one deletion and one insertion in place;
// a rule another tool added to xt2nft's table goes; a policy change is an
// update; and the result is the fresh ruleset.
func TestPrivilegedReapplyChangesOneRule(t *testing.T) {
	nstest.Skip(t, "nft")
	dump := func(port, policy string) *Program {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT " + policy + " [0:0]\n:FORWARD DROP [0:0]\n")
		for i := range 2000 {
			p := fmt.Sprint(1000 + i)
			if i == 1234 {
				p = port
			}
			fmt.Fprintf(&b, "-A INPUT -s 10.0.%d.%d -p tcp --dport %s -j ACCEPT\n", i/250, 1+i%250, p)
		}
		b.WriteString("-A FORWARD -m recent --name x --rcheck -j ACCEPT\nCOMMIT\n")
		return loweredWith(t, translate.Options{}, translate.Input{Name: "r.v4", Src: []byte(b.String())})
	}
	tn := nstest.New(t, "onerule")
	ns, err := OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if _, err := Apply(ns, dump("22", "DROP"), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	must := func(_, stderr string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
	}
	must(tn.NFT("", "insert", "rule", "ip", "xt2nft", "filter_INPUT", "counter", "accept"))
	must(tn.NFT("", "add", "element", "ip", "xt2nft", "recent_x_mem", "{ 10.9.9.9 }"))
	p := dump("2222", "ACCEPT")
	res, err := Apply(ns, p, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := IncrementalStats{RulesKept: res.Rules - 1, RulesAdded: 1, RulesDeleted: 2, SetsKept: res.Sets}
	if res.InPlace != 1 || res.Changed != want {
		t.Errorf("changed %+v, want %+v", res.Changed, want)
	}
	got, _, _ := runNft(ns, "", "list", "ruleset")
	if strings.Contains(got, "dport 22 accept") || !strings.Contains(got, "dport 2222") || strings.Contains(got, "\t\tcounter packets 0 bytes 0 accept") {
		t.Errorf("the rule was not changed, or another tool's rule stayed:\n%.2000s", got)
	}
	if !strings.Contains(got, "policy accept") {
		t.Error("INPUT's policy was not updated")
	}
	if !strings.Contains(got, "10.9.9.9") {
		t.Error("the recent list lost its address")
	}
	fresh := nstest.New(t, "onerule-fresh")
	fns, err := OpenNS(fresh.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer fns.Close()
	if _, err := Apply(fns, p, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	must(fresh.NFT("", "add", "element", "ip", "xt2nft", "recent_x_mem", "{ 10.9.9.9 }"))
	want2, _, _ := runNft(fns, "", "list", "ruleset")
	if canonicalListing(t, got) != canonicalListing(t, want2) {
		t.Errorf("edited in place differs from fresh")
	}
}

// TestPrivilegedReapplyFallsBackWhole: an in-place edit the kernel refuses
// (here, one made to fail) changes nothing, and the program goes live
// swapped whole, with the refusal in the result; a program the kernel
// refuses is still refused.
func TestPrivilegedReapplyFallsBackWhole(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "fallback")
	ns, err := OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	prog := func(port int) *Program {
		src := fmt.Sprintf("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport %d -j ACCEPT\n-A INPUT -m recent --name x --rcheck -j DROP\nCOMMIT\n", port)
		return loweredWith(t, translate.Options{}, translate.Input{Name: "r.v4", Src: []byte(src)})
	}
	if _, err := Apply(ns, prog(22), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := tn.NFT("", "add", "element", "ip", "xt2nft", "recent_x_mem", "{ 10.9.9.9 }"); err != nil {
		t.Fatal(err, stderr)
	}
	breakInPlace = true
	defer func() { breakInPlace = false }()
	res, err := Apply(ns, prog(23), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InPlaceRefused == nil || res.InPlace != 0 {
		t.Errorf("the refused in-place edit was not reported (InPlace %d, refused %v)", res.InPlace, res.InPlaceRefused)
	}
	got, _, _ := runNft(ns, "", "list", "ruleset")
	if !strings.Contains(got, "tcp dport 23") || strings.Contains(got, "tcp dport 22") || !strings.Contains(got, "10.9.9.9") {
		t.Errorf("the whole swap did not put the program live with the list's address:\n%s", got)
	}
	breakInPlace = false
	bad := prog(24)
	r := bad.Tables[0].Rules[0].Rule
	r.Exprs = append(r.Exprs[:len(r.Exprs)-1], &expr.Verdict{Kind: expr.VerdictJump, Chain: "no-such-chain"})
	if _, err := Apply(ns, bad, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "r.v4:3:1") {
		t.Errorf("a jump to a chain that does not exist: %v, want the kernel's refusal at r.v4:3:1", err)
	}
}

// TestPrivilegedReapplyKeepsConstantSets: a constant set (an --optimize
// fold) cannot be flushed or filled while a rule uses it (EBUSY): one with
// the same elements stays as it is, its element counters with it; one
// whose elements changed is made again with the rules that use it.
func TestPrivilegedReapplyKeepsConstantSets(t *testing.T) {
	nstest.Skip(t, "nft")
	tn := nstest.New(t, "constset")
	ns, err := OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	prog := func(ports ...int) *Program {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 9 -j ACCEPT\n")
		for _, p := range ports {
			fmt.Fprintf(&b, "-A INPUT -p tcp --dport %d -j ACCEPT\n", p)
		}
		b.WriteString("COMMIT\n")
		p := loweredWith(t, translate.Options{Optimize: optimize.Hook}, translate.Input{Name: "r.v4", Src: []byte(b.String())})
		if len(p.Tables[0].Sets) == 0 || !p.Tables[0].Sets[0].Set.Constant {
			t.Fatalf("the ports were not folded into a constant set: %+v", p.Tables[0].Sets)
		}
		return p
	}
	if _, err := Apply(ns, prog(22, 80, 443), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := Apply(ns, prog(22, 80, 443), ApplyOptions{})
	if err != nil {
		t.Fatalf("the same program again: %v", err)
	}
	if res.InPlace != 1 || res.Changed.SetsKept != 1 || res.Changed.RulesAdded != 0 {
		t.Errorf("the same program again changed %+v (in place %d)", res.Changed, res.InPlace)
	}
	res, err = Apply(ns, prog(22, 80, 8443), ApplyOptions{})
	if err != nil {
		t.Fatalf("other elements: %v", err)
	}
	if res.InPlace != 1 || res.Changed.SetsRecreated != 1 || res.Changed.RulesAdded != 1 || res.Changed.RulesKept != 1 {
		t.Errorf("other elements changed %+v (in place %d)", res.Changed, res.InPlace)
	}
	got, _, _ := runNft(ns, "", "list", "ruleset")
	if !strings.Contains(got, "8443") || strings.Contains(got, "443,") || strings.Contains(got, " 443 ") {
		t.Errorf("the set does not hold the new elements:\n%s", got)
	}
}

// TestPrivilegedReapplyFromRecord: after a commit, the next apply takes
// the live rules from the record of that commit (no rule dump) while the
// generation is the one the commit made, and the result equals a fresh
// apply every time, across versions that add, remove, move and change
// rules in several chains; a commit by another tool makes it read the
// kernel again; a record with wrong handles is refused by the kernel and
// the apply goes whole.
func TestPrivilegedReapplyFromRecord(t *testing.T) {
	nstest.Skip(t, "nft")
	old := cacheDir
	cacheDir = filepath.Join(t.TempDir(), "run")
	defer func() { cacheDir = old }()
	version := func(v int) *Program {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:A - [0:0]\n")
		for i := range 1200 {
			port := 1000 + i
			switch {
			case v == 1 && i == 7, v == 2 && i%300 == 0:
				port += 50000 // changed
			case v == 2 && i == 500:
				continue // removed
			}
			fmt.Fprintf(&b, "-A INPUT -s 10.0.%d.%d -p tcp --dport %d -j ACCEPT\n", i/250, 1+i%250, port)
			if i%100 == 0 {
				fmt.Fprintf(&b, "-A FORWARD -d 10.1.%d.0/24 -j A\n", (i+v)%256)
			}
		}
		fmt.Fprintf(&b, "-A A -p udp --dport %d -j ACCEPT\nCOMMIT\n", 53+v)
		return loweredWith(t, translate.Options{}, translate.Input{Name: "r.v4", Src: []byte(b.String())})
	}
	tn, fresh := nstest.New(t, "record"), nstest.New(t, "record-fresh")
	ns, err := OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	fns, err := OpenNS(fresh.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer fns.Close()
	same := func(p *Program) {
		t.Helper()
		if _, _, err := runNft(fns, "", "flush", "ruleset"); err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(fns, p, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		got, _, _ := runNft(ns, "", "list", "ruleset")
		want, _, _ := runNft(fns, "", "list", "ruleset")
		if g, w := canonicalListing(t, got), canonicalListing(t, want); g != w {
			t.Fatalf("applied from the record:\n%.3000s\nfresh:\n%.3000s", g, w)
		}
	}
	if _, err := Apply(ns, version(0), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{1, 2, 0, 2, 1} {
		res, err := Apply(ns, version(v), ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Recorded != 1 || res.InPlace != 1 || res.InPlaceRefused != nil {
			t.Errorf("version %d: recorded %d, in place %d, refused %v", v, res.Recorded, res.InPlace, res.InPlaceRefused)
		}
		same(version(v))
	}
	// Another tool commits: the record no longer stands.
	if _, stderr, err := tn.NFT("", "insert", "rule", "ip", "xt2nft", "filter_INPUT", "counter", "accept"); err != nil {
		t.Fatal(err, stderr)
	}
	res, err := Apply(ns, version(0), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recorded != 0 || res.InPlace != 1 {
		t.Errorf("after another tool's commit: recorded %d, in place %d", res.Recorded, res.InPlace)
	}
	same(version(0))
	// A record that lies about the handles: refused, then whole.
	path, err := cachePath(ns)
	if err != nil {
		t.Fatal(err)
	}
	gen := loadCache(ns, res.Gen)
	if gen == nil {
		t.Fatal("no record after the apply")
	}
	for _, rules := range gen.Tables {
		for c, rs := range rules {
			for i := range rs {
				rs[i].H += 1 << 40
			}
			rules[c] = rs
		}
	}
	saveCache(ns, gen)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	res, err = Apply(ns, version(1), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InPlaceRefused == nil {
		t.Error("a record with wrong handles was not refused")
	}
	same(version(1))
}

// TestPrivilegedPredictedHandles: the handles a whole apply records
// without the rules coming back (predictHandles) are those the kernel
// lists, for tables with named objects, named sets, anonymous sets, maps
// and several chains, two families in one batch, and a table replacing
// its previous copy; a prediction the check contradicts records nothing.
func TestPrivilegedPredictedHandles(t *testing.T) {
	nstest.Skip(t, "nft")
	old := cacheDir
	cacheDir = filepath.Join(t.TempDir(), "run")
	defer func() { cacheDir = old }()
	version := func(v int) *Program {
		var b, b6 strings.Builder
		b.WriteString("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:A - [0:0]\n:B - [0:0]\n")
		b6.WriteString("*filter\n:INPUT DROP [0:0]\n:C - [0:0]\n")
		for i := range 4400 + 50*v { // over parallelRules: rules lowered and encoded in parts
			switch i % 7 {
			case 0:
				fmt.Fprintf(&b, "-A INPUT -p tcp -m multiport --dports %d,%d,%d -j A\n", 1000+i, 2000+i, 3000+i)
			case 1:
				fmt.Fprintf(&b, "-A A -m recent --name L%d --rcheck --seconds 60 -j DROP\n", i%3)
			case 2:
				fmt.Fprintf(&b, "-A FORWARD -m quota --quota %d -j B\n", 1000+i)
			case 3:
				fmt.Fprintf(&b, "-A B -p udp -m multiport --sports %d,%d -j ACCEPT\n", 10+i, 20000+i)
			default:
				fmt.Fprintf(&b, "-A INPUT -s 10.0.%d.%d -p tcp --dport %d -j ACCEPT\n", i/250, 1+i%250, 1000+i)
			}
			if i%5 == 0 {
				fmt.Fprintf(&b6, "-A C -p tcp -m multiport --dports %d,%d -j ACCEPT\n-A INPUT -s 2001:db8::%x -j C\n", 1+i, 40000+i, i)
			}
		}
		b.WriteString("COMMIT\n*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 21 -j CT --helper ftp\n-A PREROUTING -p tcp --dport 2121 -j CT --helper ftp\nCOMMIT\n")
		b6.WriteString("COMMIT\n")
		return loweredWith(t, translate.Options{}, translate.Input{Name: "r.v4", Src: []byte(b.String())}, translate.Input{Name: "r.v6", Src: []byte(b6.String())})
	}
	tn := nstest.New(t, "predicted")
	ns, err := OpenNS(tn.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	check := func(v int) {
		t.Helper()
		p := version(v)
		res, err := Apply(ns, p, ApplyOptions{Whole: true})
		if err != nil {
			t.Fatal(err)
		}
		rc := loadCache(ns, res.Gen)
		if rc == nil {
			t.Fatalf("version %d: no record", v)
		}
		c, err := dial(ns)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rules := 0
		for _, tp := range p.Tables {
			lp, err := readLiveParts(c, byte(tp.Table.Family), tp.Table.Name, nil)
			if err != nil || lp == nil {
				t.Fatal(err)
			}
			rec := rc.Tables[cacheKey(byte(tp.Table.Family), tp.Table.Name)]
			for ch, live := range lp.rules {
				if len(rec[ch]) != len(live) {
					t.Fatalf("version %d, chain %s: %d rules recorded, %d live", v, ch, len(rec[ch]), len(live))
				}
				for i, r := range live {
					if rec[ch][i].H != r.handle || rec[ch][i].D != r.key.d {
						t.Fatalf("version %d, chain %s, rule %d: recorded handle %d digest %s, live %d %s", v, ch, i, rec[ch][i].H, rec[ch][i].D, r.handle, r.key.d)
					}
					rules++
				}
			}
		}
		if rules < 4096 {
			t.Fatalf("version %d: %d rules compared", v, rules)
		}
	}
	objs := 0
	for _, tp := range version(0).Tables {
		objs += len(tp.Objs)
	}
	if objs == 0 {
		t.Fatal("no named object in the program")
	}
	check(0)
	check(1) // replacing its previous copy in the same batch
	// A wrong prediction: the check at each chain's end sees it.
	p := version(2)
	b := &batch{echo: true}
	tp := p.Tables[0]
	if err := queueTable(b, tp, true, nil); err != nil {
		t.Fatal(err)
	}
	handles := make([]uint64, len(tp.Rules))
	if err := queueRules(b, tp.Rules, nil, handles); err != nil {
		t.Fatal(err)
	}
	predictHandles(b, tp, handles, 0)
	for k := range b.expect {
		b.expect[k]++
	}
	if err := b.send(ns, 0); err != nil {
		t.Fatal(err)
	}
	if !b.mispredicted {
		t.Error("handles one off were not seen as mispredicted")
	}
}
