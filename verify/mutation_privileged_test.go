//go:build linux

package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify/mutate"
)

// mutationCases are the rulesets the mutation test mutates: golden cases
// and corpus rulesets that together use every operator's targets (ports,
// addresses, prefixes, marks and masks, conntrack states, NAT, recent
// windows and hitcounts, mangle's route chain).
var mutationCases = []string{
	"golden/misc-mark", "golden/l4-multiport", "golden/targets-nat", "golden/misc-conntrack", "golden/l4-ttl",
	"golden/recent-set-rcheck-seconds", "golden/recent-update-hitcount", "golden/scenario-4-dump", "golden/targets-connmark",
	"golden/scenario-3-dump", "golden/misc-state",
	"corpus/net-network__ferm-webserver.rules", "corpus/net-network__ferm-dsl_router.rules",
	"corpus/moby__bridge-hp1_int0_icc0_masq1_snat1_gwm-nat_bindlh1.rules", "corpus/iptables-tests__firewalld-ipt-save-completed.rules",
}

// TestPrivilegedVerifyMutants checks that verify tells mutants of a
// translation from the original: every mutant that may change behaviour
// must show a difference. Equivalent mutants are left out, decided two
// ways: the lowered netlink program equals the original's (nft adds the
// protocol a port match implies, say), or mutate.Equivalent argues it
// from the program (dead chains, priorities that pass nothing, rules
// that commute). Mutants the kernel refuses are not
// mutants of a loadable translation and are left out. The test logs the
// score per operator and every survivor; it fails below 95%. By default
// it runs at most perOp mutants of each operator per ruleset;
// XT2NFT_VERIFY_FULL=1 runs them all; XT2NFT_VERIFY_MUTANTS=moby only
// the rulesets whose names hold "moby".
func TestPrivilegedVerifyMutants(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ip6tables-legacy-restore")
	perOp := 2
	if os.Getenv("XT2NFT_VERIFY_FULL") == "1" {
		perOp = 1 << 30
	}
	type job struct {
		rules string
		in    []Input
		opt   Options
		m     mutate.Mutant
		k     int // m is the k-th mutant of its operator with its description
	}
	var jobs []job
	equivalent := map[string][]string{}
	only := os.Getenv("XT2NFT_VERIFY_MUTANTS") // a part of the names of the rulesets to mutate
	for _, name := range mutationCases {
		if !strings.Contains(name, only) {
			continue
		}
		in, opt, ok := mutationInput(t, name)
		if !ok {
			continue
		}
		orig := translateFor(t, in, opt)
		base := lowered(t, orig)
		count := map[string]int{}
		same := map[string]int{}
		for _, m := range mutate.All(orig) {
			k := same[m.Op+"\x00"+m.Desc]
			same[m.Op+"\x00"+m.Desc]++
			if count[m.Op] >= perOp {
				continue
			}
			mut := translateFor(t, in, opt)
			if !m.Apply(mut) {
				continue
			}
			if l, err := tryLowered(mut); err == nil && l == base {
				equivalent[m.Op] = append(equivalent[m.Op], name+": "+m.Desc+" (the same netlink program)")
				continue
			}
			if why := mutate.Equivalent(orig, mut, m); why != "" {
				equivalent[m.Op] = append(equivalent[m.Op], name+": "+m.Desc+" ("+why+")")
				continue
			}
			count[m.Op]++
			jobs = append(jobs, job{name, in, opt, m, k})
		}
	}
	type result struct {
		killed, invalid bool
		why             string
	}
	res := make([]result, len(jobs))
	sem := make(chan struct{}, sweepParallel)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			opt := j.opt
			// The mutant is found by its description, so that the
			// same one is made of the variants' translations (verify
			// shows them with the original rules' positions), whose
			// indexes differ: a rule no probe reaches in the ruleset is
			// probed in a variant, where its mutant shows.
			opt.Mutate = func(rs *translate.Ruleset) { applyAs(rs, j.m, j.k) }
			opt.MutateVariants = true
			opt.FirstDifference = true
			opt.MaxWait = 4 * time.Second
			rep, err := Run(j.in, opt)
			switch {
			case err != nil:
				res[i] = result{invalid: true, why: firstLine(err.Error())}
			case !rep.OK():
				res[i] = result{killed: true, why: rep.Differences[0].What}
			default:
				res[i] = result{why: fmt.Sprintf("coverage %d/%d", rep.Reached, rep.Rules)}
			}
		}()
	}
	wg.Wait()
	perOpScore := map[string][2]int{}
	var survivors, invalid []string
	killed, valid := 0, 0
	for i, j := range jobs {
		r := res[i]
		if r.invalid {
			invalid = append(invalid, fmt.Sprintf("%s: %s (%s)", j.rules, j.m.Desc, r.why))
			continue
		}
		if why := arguedEquivalent(j.rules, j.m); why != "" {
			if r.killed {
				t.Errorf("%s: %s was argued equivalent (%s), but verify found a difference: %s", j.rules, j.m.Desc, why, r.why)
			}
			equivalent[j.m.Op] = append(equivalent[j.m.Op], j.rules+": "+j.m.Desc+" (argued by hand: "+why+")")
			continue
		}
		valid++
		s := perOpScore[j.m.Op]
		s[1]++
		if r.killed {
			killed++
			s[0]++
		} else {
			survivors = append(survivors, fmt.Sprintf("%s: [%s] %s (%s)", j.rules, j.m.Op, j.m.Desc, r.why))
		}
		perOpScore[j.m.Op] = s
	}
	var b strings.Builder
	for _, op := range mutate.Operators {
		s := perOpScore[op]
		fmt.Fprintf(&b, "  %-22s killed %3d of %3d; equivalent %d\n", op, s[0], s[1], len(equivalent[op]))
	}
	score := 100 * float64(killed) / float64(max(valid, 1))
	sort.Strings(survivors)
	t.Logf("mutation score %.1f%% (%d of %d mutants that change the kernel's program, %d refused by the kernel, %d equivalent):\n%s\nsurvivors:\n  %s\nequivalent:\n  %s\nrefused:\n  %s",
		score, killed, valid, len(invalid), countAll(equivalent), b.String(), strings.Join(survivors, "\n  "), strings.Join(flatten(equivalent), "\n  "), strings.Join(invalid, "\n  "))
	if score < 95 {
		t.Errorf("mutation score %.1f%%, below 95%%", score)
	}
}

// argued are mutants equivalent in their ruleset (desc: a regular
// expression their description matches) for reasons mutate.Equivalent
// does not see (they need what earlier rules did to the
// packet, or an invariant of the translation). Each is counted equivalent
// only while verify finds no difference in it: a difference fails the
// test, the argument being wrong.
// bit10 argues the mutants of targets-connmark's save helper for bit 0.
const bit10 = "the save helper's rule changes only ct mark bit 0x10, and the rule after the helper's jump in PREROUTING (`ct mark set ct mark & 0xffffffed ^ 0x16`, --set-xmark 0x16/0x12) sets that bit to 1 in every packet before any rule reads it"

var argued = []struct{ rules, op, desc, why string }{
	{"golden/targets-connmark", "change mask or mark", "`meta mark & 0x1 == 0x1 ct mark set ct mark \\^ 0x10`", bit10},
	{"golden/targets-connmark", "drop match", "`meta mark & 0x1 == 0x1 ct mark set ct mark \\^ 0x10` without", bit10},
	{"golden/targets-connmark", "invert match", "`meta mark & 0x1 == 0x1 ct mark set ct mark \\^ 0x10` with", bit10},
	{"golden/targets-connmark", "swap rules", "swap `ct mark set ct mark & 0xffffff0f` and the next rule `meta mark & 0x1 == 0x1 ct mark set ct mark \\^ 0x10`", bit10},
	{"golden/recent-update-hitcount", "swap rules", "swap `ip saddr @recent_SSH_ptr[0-3] [^`]*(return|goto recent_SSH_r3_hit)` and the next rule `ip saddr @recent_SSH_ptr[0-3] ",
		"each rule tests a different pointer set of the ring, and an address is in one pointer set at most (each event moves it from one to the next, or into the first from none), so no packet matches both"},
	{"golden/targets-connmark", "change mask or mark", "`ct mark >= 0x0 meta mark set meta mark & 0xffff00ff` comparing with 0x1",
		"the rule before set meta mark to ct mark: with ct mark 0 the mark it would clear is 0 already"},
	{"golden/targets-connmark", "swap rules", "swap `counter meta mark set ct mark` and the next rule `counter jump connmark_restore_ff00_ff00`",
		"either order leaves meta mark = ct mark"},
	{"golden/targets-connmark", "swap rules", "swap `counter jump connmark_restore_ff00_ff00` and the next rule `counter jump connmark_save_f0_f_shl4`",
		"the save writes ct mark bits 0xf0, the restore reads bits 0xff00 the mark already has from the ct mark"},
	{"golden/recent-update-hitcount", "change set timeout", "set recent_SSH_ptr0: timeout",
		"every check of this list follows a stamp in the same packet, which sets the pointer it reads just before; without ptr0 a stamp takes slot 0, as with it"},
	{"golden/recent-update-hitcount", "swap rules", "swap `ip saddr @recent_SSH_ptr0 delete @recent_SSH_ptr0 ",
		"a ring's pointer sets never hold an address together (each event moves it from one to the next), so no packet matches both rules"},
}

// applyAs makes in rs the mutant of rs that reads as m: the k-th of m's
// operator with m's description.
func applyAs(rs *translate.Ruleset, m mutate.Mutant, k int) bool {
	n := 0
	for _, x := range mutate.All(rs) {
		if x.Op != m.Op || x.Desc != m.Desc {
			continue
		}
		if n == k {
			return x.Apply(rs)
		}
		n++
	}
	return false
}

func arguedEquivalent(rules string, m mutate.Mutant) string {
	for _, a := range argued {
		if a.rules == rules && a.op == m.Op && regexp.MustCompile(a.desc).MatchString(m.Desc) {
			return a.why
		}
	}
	return ""
}

func countAll(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

func flatten(m map[string][]string) []string {
	var out []string
	for op, v := range m {
		for _, s := range v {
			out = append(out, "["+op+"] "+s)
		}
	}
	sort.Strings(out)
	return out
}

// mutationInput reads a golden case or a corpus ruleset.
func mutationInput(t *testing.T, name string) ([]Input, Options, bool) {
	kind, base, _ := strings.Cut(name, "/")
	if kind == "golden" {
		cases, err := golden.Cases()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if c.Name == base {
				return []Input{{Name: "input.rules", Src: c.Src}}, Options{Parser: c.Popt, Translate: c.Topt}, true
			}
		}
		t.Fatalf("no golden case %s", base)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "rulesets", base))
	if err != nil {
		t.Logf("skipping %s: %v", name, err)
		return nil, Options{}, false
	}
	return []Input{{Name: base, Src: src}}, Options{}, true
}

// translateFor translates the inputs as verify does.
func translateFor(t *testing.T, in []Input, opt Options) *translate.Ruleset {
	var dumps []*parser.Dump
	for _, i := range in {
		d, _, err := parser.Parse(i.Name, i.Src, opt.Parser)
		if err != nil {
			t.Fatal(err)
		}
		dumps = append(dumps, d)
	}
	res := translate.Translate(parser.Merge(dumps...), opt.Translate)
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	return res.Ruleset
}

func lowered(t *testing.T, rs *translate.Ruleset) string {
	s, err := tryLowered(rs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var anonSet = regexp.MustCompile(`__set\d+`)

// tryLowered is the netlink program of rs as text: every table, set,
// chain (hook, priority, type, policy) and rule's expressions.
func tryLowered(rs *translate.Ruleset) (string, error) {
	p, err := nft.Lower(rs)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, tp := range p.Tables {
		fmt.Fprintf(&b, "table %v %s\n", tp.Table.Family, tp.Table.Name)
		for _, s := range tp.Sets {
			fmt.Fprintf(&b, " set %s %+v %d\n", s.Set.Name, s.Set.KeyType, s.Set.Timeout)
			for _, e := range s.Elems {
				fmt.Fprintf(&b, "  elem %x %x %v\n", e.Key, e.KeyEnd, e.IntervalEnd)
			}
		}
		for _, c := range tp.Chains {
			fmt.Fprintf(&b, " chain %s", c.Name)
			if c.Hooknum != nil {
				fmt.Fprintf(&b, " hook %d prio %d type %s", *c.Hooknum, *c.Priority, c.Type)
			}
			if c.Policy != nil {
				fmt.Fprintf(&b, " policy %d", *c.Policy)
			}
			b.WriteString("\n")
		}
		for _, r := range tp.Rules {
			fmt.Fprintf(&b, " rule %s", r.Rule.Chain.Name)
			for _, e := range r.Rule.Exprs {
				fmt.Fprintf(&b, " %T%+v", e, e)
			}
			for _, a := range r.Anon {
				for _, e := range a.Elems {
					fmt.Fprintf(&b, " {%x %x %v}", e.Key, e.KeyEnd, e.IntervalEnd)
				}
			}
			b.WriteString("\n")
		}
	}
	return anonSet.ReplaceAllString(b.String(), "__set"), nil
}
