//go:build linux

package optimize_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// Small pools, so that rules overlap, shadow one another and share keys:
// that is where an optimizer goes wrong.
var (
	srcNets  = []string{"10.1.0.0/16", "10.1.1.0/24", "10.1.2.0/24", "10.1.1.7/32", "10.1.3.9/32", "192.168.9.0/24"}
	dstNets  = []string{"10.2.0.0/16", "10.2.1.0/24", "10.2.2.0/24", "10.2.1.5/32", "10.255.2.0/24", "10.255.2.3/32"}
	ports    = []int{22, 25, 53, 80, 443, 8080, 1000}
	inIfaces = []string{"eth0", "eth0", "eth1", "eth2", "eth+"}
	outIfs   = []string{"eth1", "eth1", "eth0", "eth2", "eth+"}
)

func pick[T any](g *rulegen.Gen, xs []T) T { return xs[g.R.IntN(len(xs))] }

func hostOf(g *rulegen.Gen, nets []string) string {
	p := netip.MustParsePrefix(pick(g, nets))
	a := p.Addr().As4()
	if p.Bits() < 32 {
		a[3] = byte(1 + g.R.IntN(8))
	}
	return netip.AddrFrom4(a).String()
}

// labTemplates are rule kinds over the pools, for every fold kind and
// every barrier: verdict maps, jumps, marks, DNAT/SNAT maps, ct state,
// limit, negations, port ranges, multiport lists.
func labTemplates() []*rulegen.Template {
	p := func(g *rulegen.Gen) int { return pick(g, ports) }
	return []*rulegen.Template{
		{Name: "saddr-dport", Table: "filter", Weight: 20, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-s %s -p tcp -m tcp --dport %d -j %s", pick(g, srcNets), p(g), g.VerdictOrJump())
		}},
		{Name: "multiport", Table: "filter", Weight: 8, Gen: func(g *rulegen.Gen) string {
			a, b := p(g), p(g)
			if a == b {
				b = 4000 + a
			}
			return fmt.Sprintf("-s %s -p tcp -m multiport --dports %d,%d -j %s", pick(g, srcNets), a, b, g.VerdictOrJump())
		}},
		{Name: "iif-udp", Table: "filter", Weight: 8, Builtin: []string{"INPUT", "FORWARD"}, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-i %s -p udp -m udp --dport %d -j %s", pick(g, inIfaces), p(g), g.Verdict())
		}},
		{Name: "addr-pair", Table: "filter", Weight: 8, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-s %s/32 -d %s -j %s", hostOf(g, srcNets), pick(g, dstNets), g.VerdictOrJump())
		}},
		{Name: "oif-jump", Table: "filter", Weight: 6, Builtin: []string{"FORWARD"}, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-o %s -d %s -j %s", pick(g, outIfs), pick(g, dstNets), g.VerdictOrJump())
		}},
		{Name: "ct-est", Table: "filter", Weight: 2, Gen: func(g *rulegen.Gen) string {
			return "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
		}},
		{Name: "ct-new", Table: "filter", Weight: 5, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-p tcp -m conntrack --ctstate NEW -m tcp --dport %d -j %s", p(g), g.Verdict())
		}},
		{Name: "invalid", Table: "filter", Weight: 2, Gen: func(g *rulegen.Gen) string { return "-m state --state INVALID -j DROP" }},
		{Name: "icmp", Table: "filter", Weight: 3, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-p icmp -m icmp --icmp-type %s -j %s", pick(g, []string{"8", "0", "3"}), g.Verdict())
		}},
		{Name: "mark-match", Table: "filter", Weight: 3, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-m mark --mark 0x%x/0xf -j %s", 1+g.R.IntN(3), g.Verdict())
		}},
		{Name: "log", Table: "filter", Weight: 3, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-p tcp -m tcp --dport %d -j LOG --log-prefix \"p%d: \"", p(g), g.R.IntN(3))
		}},
		{Name: "limit", Table: "filter", Weight: 1, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-p udp -m limit --limit %d/min --limit-burst 3 -j %s", 1+g.R.IntN(5), g.Verdict())
		}},
		{Name: "not-src-range", Table: "filter", Weight: 2, Gen: func(g *rulegen.Gen) string {
			q := p(g)
			return fmt.Sprintf("! -s %s -p tcp -m tcp --sport %d:%d -j DROP", pick(g, srcNets), q, q+50)
		}},
		{Name: "reject", Table: "filter", Weight: 3, Builtin: []string{"INPUT", "FORWARD"}, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-s %s/32 -p tcp -j REJECT --reject-with tcp-reset", hostOf(g, srcNets))
		}},
		{Name: "dnat", Table: "nat", Weight: 8, Builtin: []string{"PREROUTING"}, Gen: func(g *rulegen.Gen) string {
			to := hostOf(g, dstNets[:4])
			if g.R.IntN(2) == 0 {
				to += fmt.Sprintf(":%d", 9000+g.R.IntN(5))
			}
			return fmt.Sprintf("-d %s/32 -p tcp -m tcp --dport %d -j DNAT --to-destination %s", hostOf(g, dstNets[:4]), p(g), to)
		}},
		{Name: "nat-jump", Table: "nat", Weight: 4, Builtin: []string{"PREROUTING"}, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-d %s -p tcp -m tcp --dport %d -j %s", pick(g, dstNets), p(g), g.VerdictOrJump())
		}},
		{Name: "snat", Table: "nat", Weight: 4, Builtin: []string{"POSTROUTING"}, NoUser: true, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-s %s -o eth1 -j SNAT --to-source 10.255.1.%d", pick(g, srcNets), 100+g.R.IntN(3))
		}},
		{Name: "mark-set", Table: "mangle", Weight: 6, Builtin: []string{"PREROUTING"}, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-p tcp -m tcp --dport %d -j MARK --set-xmark 0x%x/0xffffffff", p(g), 1+g.R.IntN(3))
		}},
		{Name: "mangle-iif", Table: "mangle", Weight: 3, Builtin: []string{"PREROUTING", "FORWARD"}, Gen: func(g *rulegen.Gen) string {
			return fmt.Sprintf("-i %s -p udp -m udp --dport %d -j %s", pick(g, inIfaces), p(g), g.VerdictOrJump())
		}},
	}
}

var (
	reAddr = regexp.MustCompile(`\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(/\d+)?\b`)
	rePort = regexp.MustCompile(`--(?:dport|sport|dports|sports|destination-port|source-port)s? ([0-9,:]+)`)
)

// probes draws n packets from the pools and from the addresses and ports
// the dump names (and a few from anywhere).
func probes(seed uint64, n int, dump []byte) []probe {
	r := rand.New(rand.NewPCG(seed, 7))
	nets := append(append([]string(nil), srcNets...), dstNets...)
	for _, m := range reAddr.FindAllStringSubmatch(string(dump), -1) {
		if p, err := netip.ParsePrefix(m[1] + m[2]); err == nil {
			nets = append(nets, p.String())
		} else if a, err := netip.ParseAddr(m[1]); err == nil {
			nets = append(nets, netip.PrefixFrom(a, 32).String())
		}
	}
	pool := append([]int(nil), ports...)
	for _, m := range rePort.FindAllStringSubmatch(string(dump), -1) {
		for _, f := range strings.FieldsFunc(m[1], func(c rune) bool { return c == ',' || c == ':' }) {
			if v, err := strconv.Atoi(f); err == nil {
				pool = append(pool, v)
			}
		}
	}
	addr := func() netip.Addr {
		if r.IntN(8) == 0 {
			return netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), byte(1 + r.IntN(9))})
		}
		p := netip.MustParsePrefix(nets[r.IntN(len(nets))]).Masked()
		a := p.Addr().As4()
		if p.Bits() < 32 {
			a[3] = byte(1 + r.IntN(9))
		}
		return netip.AddrFrom4(a)
	}
	var rules []string
	for _, l := range strings.Split(string(dump), "\n") {
		if strings.Contains(l, "-A ") {
			rules = append(rules, l)
		}
	}
	in := func(p netip.Prefix) netip.Addr {
		a := p.Masked().Addr().As4()
		if p.Bits() < 32 {
			a[3] = byte(1 + r.IntN(9))
		}
		return netip.AddrFrom4(a)
	}
	var out []probe
	for i := 0; i < n; i++ {
		pr := probe{id: uint16(i + 1), src: addr(), dst: addr(), proto: []uint8{6, 6, 6, 17, 17, 1}[r.IntN(6)]}
		pr.sport = uint16(20000 + i)
		if r.IntN(4) == 0 {
			pr.sport = uint16(pool[r.IntN(len(pool))] + r.IntN(60))
		}
		pr.dport = uint16(pool[r.IntN(len(pool))])
		if r.IntN(6) == 0 {
			pr.dport = uint16(1 + r.IntN(65535))
		}
		if len(rules) > 0 && r.IntN(2) == 0 {
			// aimed at one rule: its addresses, protocol and ports
			f := strings.Fields(rules[r.IntN(len(rules))])
			for j := 0; j+1 < len(f); j++ {
				neg := j > 0 && f[j-1] == "!"
				switch v := f[j+1]; f[j] {
				case "-s", "-d":
					if neg {
						continue
					}
					pfx, err := netip.ParsePrefix(v)
					if err != nil {
						continue
					}
					if f[j] == "-s" {
						pr.src = in(pfx)
					} else {
						pr.dst = in(pfx)
					}
				case "-p":
					pr.proto = map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1}[v]
					if pr.proto == 0 {
						pr.proto = 6
					}
				case "--dport", "--dports", "--sport", "--sports":
					ps := strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ':' })
					n, _ := strconv.Atoi(ps[r.IntN(len(ps))])
					if strings.HasPrefix(f[j], "--d") {
						pr.dport = uint16(n)
					} else {
						pr.sport = uint16(n)
					}
				}
			}
		}
		out = append(out, pr)
	}
	return out
}

// run is one firewall's answer to the probes: how each was forwarded,
// and the packet count of every iptables rule.
type run struct {
	fate   map[uint16]string
	counts map[parser.Pos]int64
}

func (r run) diff(name string, want run, ps []probe) []string {
	var out []string
	for _, p := range ps {
		if r.fate[p.id] != want.fate[p.id] {
			out = append(out, fmt.Sprintf("%s: probe %s: forwarded as %q, want %q", name, p, r.fate[p.id], want.fate[p.id]))
		}
	}
	var pos []parser.Pos
	for p := range want.counts {
		pos = append(pos, p)
	}
	sort.Slice(pos, func(i, j int) bool { return pos[i].Before(pos[j]) })
	for _, p := range pos {
		if got, ok := r.counts[p]; !ok || got != want.counts[p] {
			out = append(out, fmt.Sprintf("%s: rule %s counted %d packets, want %d", name, p, got, want.counts[p]))
		}
	}
	return out
}

// TestPrivilegedFoldsByPackets proves the folds with packets: generated
// rulesets over small address and port pools (every fold kind, and many
// rules that overlap, shadow or stand between others) are loaded three
// times — iptables-legacy-restore, the literal translation, the optimized
// one (both through the netlink backend) — and the same probes go
// through each. Every probe must leave the same way (forwarded or not,
// with the same address and port after NAT) and every iptables rule must
// have counted the same packets (the optimized one's counts are its
// elements' counters added up by origin).
func TestPrivilegedFoldsByPackets(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save", "sysctl")
	for _, seed := range []uint64{1, 2, 3, 4} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			var dump bytes.Buffer
			if _, err := rulegen.Generate(&dump, rulegen.Config{N: 600, Seed: seed, Templates: labTemplates()}); err != nil {
				t.Fatal(err)
			}
			foldsByPackets(t, dump.Bytes(), probes(seed, 6000, dump.Bytes()), translate.Options{}, true, true)
		})
	}
}

// TestPrivilegedExpandByPackets is TestPrivilegedFoldsByPackets with the
// small anonymous sets of the generated rulesets expanded into one rule
// per element (as in a table with thousands of them).
func TestPrivilegedExpandByPackets(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save", "sysctl")
	old := optimize.SetExpandCost(0)
	defer optimize.SetExpandCost(old)
	var dump bytes.Buffer
	tmpls := labTemplates()
	for _, tm := range tmpls {
		if tm.Name == "multiport" {
			tm.Weight = 40
		}
	}
	if _, err := rulegen.Generate(&dump, rulegen.Config{N: 400, Seed: 9, Templates: tmpls}); err != nil {
		t.Fatal(err)
	}
	foldsByPackets(t, dump.Bytes(), probes(9, 8000, dump.Bytes()), translate.Options{}, true, true)
}

// TestPrivilegedSplitByPackets proves the dispatch by address with
// packets: the benchmark's access list (BenchmarkPacketPath, 10,000 rules
// comparing source networks, some nested), with jumps to a user chain that
// returns, and rules after the run (the dispatch's tail).
func TestPrivilegedSplitByPackets(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save", "sysctl")
	t.Parallel()
	src := benchChain(10000, "acl")
	lines := strings.Split(strings.TrimSuffix(string(src), "COMMIT\n"), "\n")
	var b strings.Builder
	for i, l := range lines {
		if i == 3 {
			b.WriteString(":USR - [0:0]\n")
		}
		if strings.HasPrefix(l, "-A FORWARD -s ") && i%40 == 0 {
			net := strings.Fields(l)[3]
			l = "-A FORWARD -s " + net + " -j USR"
		}
		if l != "" {
			b.WriteString(l + "\n")
		}
	}
	b.WriteString("-A FORWARD -p udp -m udp --dport 53 -j ACCEPT\n-A FORWARD -p tcp -m tcp --dport 22 -j DROP\n")
	b.WriteString("-A USR -p tcp -m tcp --dport 80 -j ACCEPT\n-A USR -p udp -j DROP\n-A USR -j RETURN\nCOMMIT\n")
	dump := []byte(b.String())
	if splits := foldsByPackets(t, dump, probes(5, 3000, dump), translate.Options{}, false, true); splits == 0 {
		t.Fatal("no run was dispatched: the test proves nothing")
	}
}

// foldsByPackets sends the probes through the dump in iptables-legacy, its
// literal translation and its optimized one, and compares; exercised
// asks that the probes reach a third of the rules.
//
// With strictLegacy false the optimized translation is compared with the
// literal one, and the literal one's differences from iptables-legacy are
// logged (corpus rulesets meet translation issues of their own).
func foldsByPackets(t *testing.T, src []byte, ps []probe, topt translate.Options, exercised, strictLegacy bool) (splits int) {
	d, _, err := parser.Parse("gen.rules", src, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lit := translate.Files([]translate.Input{{Name: "gen.rules", Src: src}}, parser.Options{}, topt)
	if lit.Failed {
		t.Fatalf("translation failed: %s", strings.Join(lit.Diags, "\n"))
	}
	opt := translate.Files([]translate.Input{{Name: "gen.rules", Src: src}}, parser.Options{}, topt)
	res := optimize.Run(opt.Ruleset, optimize.Options{Counters: topt.Counters})
	rules := func(rs *translate.Ruleset) int {
		n := 0
		for _, t := range rs.Tables {
			for _, c := range t.Chains {
				n += len(c.Rules)
			}
		}
		return n
	}
	t.Logf("%d rules, %d after folding (%d folds of %d rules, %d shared sets, %d expanded, %d runs dispatched)",
		rules(lit.Ruleset), rules(opt.Ruleset), len(res.Folds), res.Folded(), len(res.Shared), len(res.Expanded), len(res.Splits))
	if len(res.Folds)+len(res.Shared)+len(res.Expanded)+len(res.Splits) == 0 || optimizeExpands() && len(res.Expanded) == 0 {
		t.Fatal("nothing optimized: the test proves nothing")
	}

	legacyLab, litLab, optLab := newFWLab(t), newFWLab(t), newFWLab(t)
	legacyLab.loadLegacy(src)
	litProg := litLab.loadNFT(lit.Ruleset)
	optProg := optLab.loadNFT(opt.Ruleset)
	reloadSame(t, optLab)
	// Counts of the probes alone (--counters starts rules at iptables'
	// values; iptables-legacy-restore without -c does not).
	sub := func(after, before map[parser.Pos]int64) map[parser.Pos]int64 {
		for p, n := range before {
			after[p] -= n
		}
		return after
	}
	lb, tb, ob := legacyLab.legacyCounts(d), litLab.nftCounts(lit.Ruleset, litProg), optLab.nftCounts(opt.Ruleset, optProg)
	want := run{fate: legacyLab.send(ps)}
	want.counts = sub(legacyLab.legacyCounts(d), lb)
	litRun := run{fate: litLab.send(ps)}
	litRun.counts = sub(litLab.nftCounts(lit.Ruleset, litProg), tb)
	optRun := run{fate: optLab.send(ps)}
	optRun.counts = sub(optLab.nftCounts(opt.Ruleset, optProg), ob)
	hit, forwarded := 0, len(want.fate)
	for _, n := range want.counts {
		if n > 0 {
			hit++
		}
	}
	folded, foldedHit := 0, 0
	for _, f := range res.Folds {
		for _, o := range f.Origins {
			folded++
			if want.counts[o] > 0 {
				foldedHit++
			}
		}
	}
	t.Logf("legacy: %d of %d probes forwarded, %d of %d rules matched some (%d of the %d folded ones)",
		forwarded, len(ps), hit, len(want.counts), foldedHit, folded)
	if exercised && (hit < len(want.counts)/5 || foldedHit < folded/5 || forwarded == 0 || forwarded == len(ps)) {
		t.Errorf("the probes exercise too little of the ruleset")
	}
	var bad []string
	if legacy := litRun.diff("literal", want, ps); len(legacy) > 0 && !strictLegacy {
		// The translation's own differences from iptables (not the
		// optimizer's): the optimized ruleset is held to the literal one.
		t.Logf("the literal translation differs from iptables-legacy (%d differences; first: %s)", len(legacy), legacy[0])
		bad = optRun.diff("optimized", litRun, ps)
	} else {
		bad = append(legacy, optRun.diff("optimized", want, ps)...)
	}
	if len(bad) > 0 {
		if len(bad) > 30 {
			bad = append(bad[:30], fmt.Sprintf("... %d more", len(bad)-30))
		}
		t.Errorf("the firewalls differ:\n%s", strings.Join(bad, "\n"))
	}
	return len(res.Splits)
}

func optimizeExpands() bool {
	c := optimize.SetExpandCost(0)
	optimize.SetExpandCost(c)
	return c == 0
}

// reloadSame checks that what nft lists of the loaded ruleset loads
// again and lists the same.
func reloadSame(t *testing.T, l *fwLab) {
	t.Helper()
	first, stderr, err := l.fw.NFT("", "list", "ruleset")
	if err != nil {
		t.Fatalf("nft list ruleset: %v: %s", err, stderr)
	}
	ns := nstest.New(t, "oreload")
	if _, stderr, err := ns.NFT(first); err != nil {
		t.Fatalf("the listing does not load: %v: %s", err, stderr)
	}
	second, _, err := ns.NFT("", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("the listing lists differently once loaded")
	}
}

// TestPrivilegedGoldenFolds sends probes (from the addresses and ports
// each names) through every optimize-* golden case in iptables-legacy,
// literally translated and optimized, and checks that nft list ruleset of
// the optimized script loads again and lists the same.
func TestPrivilegedGoldenFolds(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save", "sysctl")
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, gc := range cases {
		if !strings.HasPrefix(gc.Name, "optimize-") {
			continue
		}
		t.Run(gc.Name, func(t *testing.T) {
			t.Parallel()
			out := gc.Run()
			if out.Failed {
				t.Fatal(strings.Join(out.Diags, "\n"))
			}
			topt := gc.Topt
			topt.Optimize = nil
			foldsByPackets(t, gc.Src, probes(7, 2000, gc.Src), topt, false, true)
			ns := nstest.New(t, "ogold")
			if _, stderr, err := ns.NFT(string(out.Script)); err != nil {
				t.Fatalf("nft -f: %v: %s", err, stderr)
			}
			first, _, err := ns.NFT("", "list", "ruleset")
			if err != nil {
				t.Fatal(err)
			}
			again := nstest.New(t, "ogold2")
			if _, stderr, err := again.NFT(first); err != nil {
				t.Fatalf("the listing does not load: %v: %s\n%s", err, stderr, first)
			}
			if second, _, _ := again.NFT("", "list", "ruleset"); second != first {
				t.Errorf("the listing lists differently once loaded:\n%s\n---\n%s", first, second)
			}
		})
	}
}
