//go:build linux

package verify

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
)

// side is one of the two firewalls of a pair: a lab with the original
// rules (iptables-legacy) or with the translation (nft), and what reads
// its per-rule counters as counts per iptables rule.
type side struct {
	name   string
	lab    *lab.Lab
	counts func() (map[*rule]uint64, error)
	close  func()
}

// pair is a legacy lab and an nft lab with the same topology.
type pair struct {
	legacy, nft *side
	// tail receives the counts of the last reading, after the last step.
	tail func(dl, dn map[*rule]uint64)
	// prevL and prevN are the last counts read.
	prevL, prevN map[*rule]uint64
	// twins are the model's (see foldTwins).
	twins map[*rule]*rule
	// tainted is set once a rule of chance sent the labs' states apart.
	tainted *bool
}

// settle is how long a lab waits after a probe's last observation.
const settle = 3 * time.Millisecond

// topology is the lab the plan needs: every interface with its own and its
// peer's addresses, the remote prefixes behind it, the host routes the
// probes' addresses need, the default routes through the uplink, and the
// extra local addresses on the first neutral link.
func (p *plan) topology() lab.Topology {
	var t lab.Topology
	a := p.alloc
	for _, name := range a.Ifaces() {
		la := a.Link(name)
		lk := lab.Link{Name: name,
			Addrs:     []netip.Prefix{la.FW[0], la.FW[1]},
			PeerAddrs: []netip.Prefix{la.Peer[0], la.Peer[1]},
			Routes:    []netip.Prefix{la.Remote[0], la.Remote[1]}}
		if la.Uplink {
			lk.Routes = append(lk.Routes, netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"))
		}
		lk.Routes = append(lk.Routes, a.Routes[name]...)
		if name == p.in {
			for _, x := range a.SortedLocals() {
				lk.Addrs = append(lk.Addrs, netip.PrefixFrom(x, x.BitLen()))
			}
		}
		t.Links = append(t.Links, lk)
	}
	// Marks the rules set route out of the first neutral link, as a
	// multihomed host routes by fwmark: a packet re-routed after its mark
	// changed (mangle OUTPUT, a route chain) leaves by another link.
	for _, m := range p.marks {
		t.MarkRoutes = append(t.MarkRoutes, lab.MarkRoute{Mark: m, Mask: 0xffffffff, Link: p.in})
	}
	t.Conntrack = p.conntrack
	return t
}

// buildSide builds a lab and loads a firewall into it.
func buildSide(name string, topo lab.Topology, groups map[string][]netip.Addr, load func(*lab.Lab) error, reader func(*lab.Lab) (func() (map[*rule]uint64, error), func(), error)) (*side, error) {
	l, err := lab.Build(topo)
	if err != nil {
		return nil, err
	}
	l.Settle = settle
	for link, gs := range groups {
		for _, g := range gs {
			if err := l.Join(link, g); err != nil {
				l.Close()
				return nil, err
			}
		}
	}
	if err := load(l); err != nil {
		l.Close()
		return nil, err
	}
	counts, closeReader, err := reader(l)
	if err != nil {
		l.Close()
		return nil, err
	}
	return &side{name: name, lab: l, counts: counts, close: func() { closeReader(); l.Close() }}, nil
}

// loadLegacy restores the original dumps with iptables-legacy-restore
// (scripts as the dump their commands leave). A dump iptables-restore
// refuses as written (CRLF line ends, syntax 1.8.9 no longer reads) is
// restored in the canonical form of what xt2nft read, and the report
// says so. The ipsets the rules name are restored first (--ipsets), or
// created empty when none are given, as the translation assumes.
func (v *verifier) loadLegacy(l *lab.Lab) error {
	if sets := v.ipsets(); sets != "" {
		if _, err := l.FW.Run(sets, "ipset", "restore"); err != nil {
			return fmt.Errorf("the ipsets do not load: %w", err)
		}
	}
	for _, in := range v.inputs {
		for _, fam := range []parser.Family{parser.IPv4, parser.IPv6} {
			d := familyDump(in.dump, fam)
			if len(d.Tables) == 0 {
				continue
			}
			src := string(in.src)
			if in.script {
				src = dumpText(d)
			}
			err := l.IPTablesRestore(fam == parser.IPv6, src)
			if err != nil && !in.script {
				if err2 := l.IPTablesRestore(fam == parser.IPv6, dumpText(d)); err2 == nil {
					v.note(fmt.Sprintf("%s: iptables-legacy-restore refuses the file as written (%s); verified the rules as xt2nft read them, restored in canonical form", in.name, firstLine(err.Error())))
					err = nil
				}
			}
			if err != nil {
				return fmt.Errorf("the original does not load in iptables-legacy: %w", err)
			}
		}
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// familyDump is the part of d of one family.
func familyDump(d *parser.Dump, fam parser.Family) *parser.Dump {
	out := &parser.Dump{}
	for _, t := range d.Tables {
		if t.Family == fam {
			out.Tables = append(out.Tables, t)
		}
	}
	return out
}

// ipsets is what `ipset restore` reads before the original is loaded: the
// --ipsets file, plus an empty hash:net set for every set a rule names
// that it does not create.
func (v *verifier) ipsets() string {
	var b strings.Builder
	b.Write(v.opt.IPSets)
	have := map[string]bool{}
	for _, line := range strings.Split(string(v.opt.IPSets), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && (f[0] == "create" || f[0] == "-N") {
			have[f[1]] = true
		}
	}
	for _, r := range v.model.rules {
		for _, name := range setNames(r.src) {
			if have[name] {
				continue
			}
			have[name] = true
			fam := "inet"
			if r.fam == parser.IPv6 {
				fam = "inet6"
			}
			fmt.Fprintf(&b, "\ncreate %s hash:net family %s\n", name, fam)
			v.note(fmt.Sprintf("ipset %q is not in the input: created empty (hash:net) in the iptables lab, as the translation's empty nft set assumes", name))
		}
	}
	return strings.TrimSpace(b.String()) + "\n"
}

// setNames are the ipsets a rule names (-m set --match-set, -j SET).
func setNames(r *parser.Rule) []string {
	var out []string
	for _, m := range r.Matches {
		if m.Name == "set" {
			if o := m.Opt("match-set"); o != nil {
				out = append(out, o.Arg(0))
			}
		}
	}
	if t := r.Target; t != nil && t.Name == "SET" {
		for _, n := range []string{"add-set", "del-set", "map-set"} {
			if o := t.Opt(n); o != nil {
				out = append(out, o.Arg(0))
			}
		}
	}
	return out
}

// loadNFT sends the translation as apply does (nft.Lower, then one
// netlink batch), or loads the --against script with nft -f.
func (v *verifier) loadNFT(l *lab.Lab) error {
	if v.opt.Against != nil {
		if err := l.NFT(string(v.opt.Against)); err != nil {
			return fmt.Errorf("%s does not load: %w", v.opt.AgainstName, err)
		}
		return nil
	}
	prog, err := nft.Lower(v.loaded)
	if err != nil {
		return fmt.Errorf("lowering the translation: %w", err)
	}
	// The lab's namespace has no name: the backend works in it through a
	// descriptor of its own.
	f, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", l.FW.Fd()))
	if err != nil {
		return err
	}
	ns := netns.FromFile(f, "verify lab")
	defer ns.Close()
	if _, err := nft.New(ns).Apply(context.Background(), prog, nil, backend.ApplyOptions{ResetSets: true}); err != nil {
		return fmt.Errorf("applying the translation: %w", err)
	}
	return nil
}

// legacyCounts maps the kernel's counters to iptables rules: a rule that
// iptables-restore expanded (-s a,b) counts the sum of its kernel rules.
func (v *verifier) legacyCounts(l *lab.Lab) (func() (map[*rule]uint64, error), func(), error) {
	tables := map[parser.Family][]string{}
	for _, t := range v.model.dump.Tables {
		tables[t.Family] = append(tables[t.Family], t.Name)
	}
	rd, err := newLegacyReader(l.FW, tables)
	if err != nil {
		return nil, nil, err
	}
	type slot struct {
		chain    xtChain
		from, to int
	}
	slots := map[*rule]slot{}
	next := map[xtChain]int{}
	for _, r := range v.model.rules {
		c := xtChain{r.fam, r.table, r.chain}
		slots[r] = slot{c, next[c], next[c] + r.kernel}
		next[c] += r.kernel
	}
	if v.observed != nil {
		for r := range slots {
			if !v.observed[r] {
				delete(slots, r)
			}
		}
	}
	counts := func() (map[*rule]uint64, error) {
		raw, err := rd.read()
		if err != nil {
			return nil, err
		}
		out := make(map[*rule]uint64, len(slots))
		for r, s := range slots {
			ks := raw[s.chain]
			for i := s.from; i < s.to && i < len(ks); i++ {
				out[r] += ks[i]
			}
		}
		return out, nil
	}
	return counts, rd.close, nil
}

// observe, in a variant's run, sets observed: the rules whose counts are
// read, those of the nft chains that hold the counters of the rules the
// variant is for (a dump per such chain: the kernel dumps a whole
// ruleset per probe otherwise, for rules whose counts are not the
// variant's question).
func (v *verifier) observe() {
	if v.focus == nil || v.loaded == nil {
		return
	}
	v.observed = map[*rule]bool{}
	for _, t := range v.loaded.Tables {
		for _, c := range t.Chains {
			mine := false
			for _, r := range c.Rules {
				if x := v.model.byPos[r.Origin]; x != nil && r.Disabled == "" && ruleCounter(r) >= 0 && v.model.probed(x) {
					mine = true
				}
			}
			if !mine {
				continue
			}
			for _, r := range c.Rules {
				if x := v.model.byPos[r.Origin]; x != nil && r.Disabled == "" && ruleCounter(r) >= 0 {
					v.observed[x] = true
				}
			}
		}
	}
	for x6, x4 := range v.model.twins {
		if v.observed[x4] {
			v.observed[x6] = true
		}
	}
}

// nftCounts maps nft rules to the iptables rules they came from: each
// counts through its rule counter (translate.Counter.Rule), by position
// in its chain. A translation made elsewhere (--against) has no such map:
// only fates are compared.
func (v *verifier) nftCounts(l *lab.Lab) (func() (map[*rule]uint64, error), func(), error) {
	if v.loaded == nil {
		return func() (map[*rule]uint64, error) { return nil, nil }, func() {}, nil
	}
	rd, err := newNFTReader(l.FW)
	if err != nil {
		return nil, nil, err
	}
	type slot struct {
		r   *rule
		ctr int
	}
	slots := map[nftChain][]slot{}
	for _, t := range v.loaded.Tables {
		for _, c := range t.Chains {
			key := nftChain{t.Family, t.Name, c.Name}
			for _, r := range c.Rules {
				if r.Disabled != "" {
					continue
				}
				slots[key] = append(slots[key], slot{v.model.byPos[r.Origin], ruleCounter(r)})
			}
		}
	}
	var only []nftChain
	if v.observed != nil {
		total, kept := 0, 0
		for key, ss := range slots {
			total += len(ss)
			if slices.ContainsFunc(ss, func(s slot) bool { return v.observed[s.r] }) {
				only = append(only, key)
				kept += len(ss)
			} else {
				delete(slots, key)
			}
		}
		switch {
		case 2*kept > total:
			only = nil // one dump of everything costs less than a dump per chain
		case only == nil:
			only = []nftChain{}
		}
	}
	counts := func() (map[*rule]uint64, error) {
		raw, err := rd.read(only)
		if err != nil {
			return nil, err
		}
		out := map[*rule]uint64{}
		for key, ss := range slots {
			ks := raw[key]
			for i, s := range ss {
				if s.r == nil || s.ctr < 0 || i >= len(ks) || s.ctr >= len(ks[i]) {
					continue
				}
				out[s.r] += ks[i][s.ctr]
			}
		}
		return out, nil
	}
	return counts, rd.close, nil
}

// buildPair builds both labs of a pair in parallel.
func (v *verifier) buildPair(topo lab.Topology) (*pair, error) {
	type res struct {
		s   *side
		err error
	}
	lc, nc := make(chan res, 1), make(chan res, 1)
	go func() {
		s, err := buildSide("iptables-legacy", topo, v.plan.alloc.Groups, v.loadLegacy, v.legacyCounts)
		lc <- res{s, err}
	}()
	go func() {
		s, err := buildSide("nft", topo, v.plan.alloc.Groups, v.loadNFT, v.nftCounts)
		nc <- res{s, err}
	}()
	l, n := <-lc, <-nc
	if l.err != nil || n.err != nil {
		if l.s != nil {
			l.s.close()
		}
		if n.s != nil {
			n.s.close()
		}
		if l.err != nil {
			return nil, l.err
		}
		return nil, n.err
	}
	return &pair{legacy: l.s, nft: n.s, twins: v.model.twins}, nil
}

// foldTwins gives the legacy counts as the nft side counts them: a rule
// both families share (--layout inet) is one nft counter, so its IPv6
// rule's count goes to its IPv4 twin. The counts as iptables made them
// (which rule a probe reached) are the hits.
func (p *pair) foldTwins(hits map[*rule]uint64) map[*rule]uint64 {
	if len(p.twins) == 0 {
		return hits
	}
	var out map[*rule]uint64
	for x6, x4 := range p.twins {
		n, ok := hits[x6]
		if !ok {
			continue
		}
		if out == nil {
			out = maps.Clone(hits)
		}
		delete(out, x6)
		out[x4] += n
	}
	if out == nil {
		return hits
	}
	return out
}

func (p *pair) close() {
	p.legacy.close()
	p.nft.close()
}

// dumpText writes a parsed dump in iptables-save form, for scripts: the
// tables their commands leave, rule by rule.
func dumpText(d *parser.Dump) string {
	var b strings.Builder
	for _, t := range d.Tables {
		fmt.Fprintf(&b, "*%s\n", t.Name)
		for _, c := range t.Chains {
			pol := "-"
			if c.Builtin {
				pol = c.Policy
				if pol == "" {
					pol = "ACCEPT"
				}
			}
			fmt.Fprintf(&b, ":%s %s [0:0]\n", c.Name, pol)
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				b.WriteString(ruleText(c.Name, r))
				b.WriteByte('\n')
			}
		}
		b.WriteString("COMMIT\n")
	}
	return b.String()
}

// ruleText is "-A CHAIN" and the rule's options as iptables words.
func ruleText(chain string, r *parser.Rule) string {
	parts := []string{"-A", chain}
	for _, o := range r.Base {
		parts = append(parts, o.Spec())
	}
	for _, m := range r.Matches {
		parts = append(parts, "-m", m.Name)
		for _, o := range m.Options {
			parts = append(parts, o.Spec())
		}
	}
	if t := r.Target; t != nil {
		if t.Goto {
			parts = append(parts, "-g", t.Name)
		} else {
			parts = append(parts, "-j", t.Name)
		}
		for _, o := range t.Options {
			parts = append(parts, o.Spec())
		}
	}
	return strings.Join(parts, " ")
}
