// Package rulegen generates large, realistic iptables-save dumps for
// benchmarks: deterministic for a given seed, rule count and template set.
//
// A dump has three tables (filter about 70% of the rules, nat 20%, mangle
// 10%), built-in chains plus one user chain per 500 rules of a table, and
// rules drawn from Templates by weight. Jumps only go from built-in chains
// to user chains, or from a user chain to one of a later tier, so the dump
// loads (no loops, jumps nested at most 8 deep).
//
// To extend the mix, append a Template: its table, weight, the extensions
// it needs (for documentation and reports) and a function writing the
// rule's options. Probe (or Config.Usable) drops templates whose sample
// rules xt2nft cannot translate yet, so benchmarks only time rules that
// really translate; that mix grows as translators land.
package rulegen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// Template is one kind of rule.
type Template struct {
	Name   string
	Table  string // filter, nat or mangle
	Weight int
	Exts   []string // extensions the rule uses
	// Builtin restricts the built-in chains the rule may go into (nil: any
	// built-in chain of the table).
	Builtin []string
	// NoUser keeps the rule out of user chains (targets valid only in some
	// hooks, such as SNAT).
	NoUser bool
	// Gen writes the rule's options (everything after "-A CHAIN ").
	Gen func(g *Gen) string
}

// Gen is the state templates draw from.
type Gen struct {
	R *rand.Rand
	// chain is the chain the rule goes into; jump targets come after it.
	chain string
	// user is the index of chain in users[table], -1 for a built-in chain.
	user  int
	users map[string][]string // table -> user chains in order
	table string
}

// NewGen returns a generator for rules of a built-in filter chain with no
// user chains to jump to (one template's rules, written by hand into a
// chain of the caller's choice).
func NewGen(r *rand.Rand) *Gen { return &Gen{R: r, user: -1, table: "filter"} }

var ifaces = []string{"eth0", "eth1", "ens3", "bond0", "br-lan", "wg0", "docker0", "veth+", "eth+"}

// Iface returns an interface name.
func (g *Gen) Iface() string { return ifaces[g.R.IntN(len(ifaces))] }

// IP returns a host address in 10.0.0.0/8 or 192.168.0.0/16.
func (g *Gen) IP() string {
	if g.R.IntN(4) == 0 {
		return fmt.Sprintf("192.168.%d.%d", g.R.IntN(256), 1+g.R.IntN(254))
	}
	return fmt.Sprintf("10.%d.%d.%d", g.R.IntN(256), g.R.IntN(256), 1+g.R.IntN(254))
}

// Net returns a network in CIDR form (as iptables-save prints it).
func (g *Gen) Net() string {
	switch g.R.IntN(3) {
	case 0:
		return fmt.Sprintf("10.%d.0.0/16", g.R.IntN(256))
	case 1:
		return fmt.Sprintf("10.%d.%d.0/24", g.R.IntN(256), g.R.IntN(256))
	}
	return g.IP() + "/32"
}

var wellKnown = []int{22, 25, 53, 80, 110, 123, 143, 443, 465, 587, 993, 995, 3306, 5432, 6379, 8080, 8443, 9090}

// Port returns a port, well-known ones more often.
func (g *Gen) Port() int {
	if g.R.IntN(2) == 0 {
		return wellKnown[g.R.IntN(len(wellKnown))]
	}
	return 1024 + g.R.IntN(64000)
}

// Verdict returns ACCEPT, DROP or RETURN (no DROP in the nat table:
// iptables refuses it there).
func (g *Gen) Verdict() string {
	if g.table == "nat" {
		return []string{"ACCEPT", "RETURN"}[g.R.IntN(2)]
	}
	return []string{"ACCEPT", "ACCEPT", "DROP", "RETURN"}[g.R.IntN(4)]
}

// Jump returns a user chain of the rule's table that comes after the rule's
// chain, or "" when there is none. User chains form maxTiers tiers and a
// user chain only jumps to a later tier, so no path of jumps is longer than
// the kernel's limit (nf_tables refuses chains nested deeper than 16 with
// EMLINK).
func (g *Gen) Jump() string {
	us := g.users[g.table]
	start := 0
	if g.user >= 0 {
		// the first chain of the next tier
		t := tier(g.user, len(us))
		start = g.user + 1
		for start < len(us) && tier(start, len(us)) == t {
			start++
		}
	}
	if start >= len(us) {
		return ""
	}
	return us[start+g.R.IntN(len(us)-start)]
}

// maxTiers bounds the depth of user chain jumps.
const maxTiers = 8

func tier(i, n int) int { return i * maxTiers / n }

// VerdictOrJump returns a jump to a later user chain half the time.
func (g *Gen) VerdictOrJump() string {
	if g.R.IntN(2) == 0 {
		if j := g.Jump(); j != "" {
			return j
		}
	}
	return g.Verdict()
}

// Templates returns the rule templates, in a fixed order.
func Templates() []*Template {
	return []*Template{
		// filter, no extension or tcp/udp/comment only
		{Name: "tcp-dport", Table: "filter", Weight: 20, Exts: []string{"tcp"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-s %s -p tcp -m tcp --dport %d -j %s", g.Net(), g.Port(), g.Verdict())
		}},
		{Name: "udp-sport-iface", Table: "filter", Weight: 8, Exts: []string{"udp"}, Builtin: []string{"INPUT", "FORWARD"},
			Gen: func(g *Gen) string {
				return fmt.Sprintf("-i %s -p udp -m udp --sport %d -j %s", g.Iface(), g.Port(), g.Verdict())
			}},
		{Name: "addr-pair", Table: "filter", Weight: 10, Gen: func(g *Gen) string {
			return fmt.Sprintf("-s %s -d %s -j %s", g.Net(), g.Net(), g.Verdict())
		}},
		{Name: "oif-jump", Table: "filter", Weight: 8, Builtin: []string{"FORWARD", "OUTPUT"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-o %s -d %s -j %s", g.Iface(), g.Net(), g.VerdictOrJump())
		}},
		{Name: "tcp-comment", Table: "filter", Weight: 8, Exts: []string{"tcp", "comment"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-d %s -p tcp -m tcp --dport %d -m comment --comment \"svc-%d port %d\" -j ACCEPT",
				g.IP()+"/32", g.Port(), g.R.IntN(10000), g.Port())
		}},
		{Name: "tcp-range", Table: "filter", Weight: 3, Exts: []string{"tcp"}, Gen: func(g *Gen) string {
			p := g.Port()
			return fmt.Sprintf("! -s %s -p tcp -m tcp --sport %d:%d -j DROP", g.Net(), p, p+g.R.IntN(100))
		}},
		// filter, stateful and other extensions
		{Name: "ct-established", Table: "filter", Weight: 4, Exts: []string{"conntrack"}, Gen: func(g *Gen) string {
			return "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
		}},
		{Name: "ct-new-tcp", Table: "filter", Weight: 6, Exts: []string{"tcp", "conntrack"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-p tcp -m conntrack --ctstate NEW -m tcp --dport %d -j ACCEPT", g.Port())
		}},
		{Name: "state-invalid", Table: "filter", Weight: 2, Exts: []string{"state"}, Gen: func(g *Gen) string {
			return "-m state --state INVALID -j DROP"
		}},
		{Name: "multiport", Table: "filter", Weight: 6, Exts: []string{"multiport"}, Gen: func(g *Gen) string {
			ps := make([]string, 2+g.R.IntN(5))
			for i := range ps {
				ps[i] = fmt.Sprint(g.Port())
			}
			return fmt.Sprintf("-s %s -p tcp -m multiport --dports %s -j %s", g.Net(), strings.Join(ps, ","), g.VerdictOrJump())
		}},
		{Name: "reject", Table: "filter", Weight: 4, Exts: []string{"REJECT"}, Builtin: []string{"INPUT", "FORWARD", "OUTPUT"},
			Gen: func(g *Gen) string {
				if g.R.IntN(2) == 0 {
					return fmt.Sprintf("-s %s -p tcp -j REJECT --reject-with tcp-reset", g.Net())
				}
				return fmt.Sprintf("-s %s -j REJECT --reject-with icmp-port-unreachable", g.Net())
			}},
		{Name: "log", Table: "filter", Weight: 3, Exts: []string{"tcp", "LOG"}, Gen: func(g *Gen) string {
			p := g.Port()
			return fmt.Sprintf("-p tcp -m tcp --dport %d -j LOG --log-prefix \"drop-%d: \" --log-level 4", p, p)
		}},
		{Name: "limit-log", Table: "filter", Weight: 1, Exts: []string{"limit", "LOG"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-m limit --limit %d/min --limit-burst 5 -j LOG --log-prefix \"rate: \"", 1+g.R.IntN(30))
		}},
		{Name: "mark-match", Table: "filter", Weight: 2, Exts: []string{"mark"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-m mark --mark 0x%x/0xff -j ACCEPT", 1+g.R.IntN(255))
		}},
		// nat
		{Name: "dnat", Table: "nat", Weight: 8, Exts: []string{"tcp", "DNAT"}, Builtin: []string{"PREROUTING", "OUTPUT"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-d %s/32 -p tcp -m tcp --dport %d -j DNAT --to-destination %s:%d", g.IP(), g.Port(), g.IP(), g.Port())
		}},
		{Name: "snat", Table: "nat", Weight: 3, Exts: []string{"SNAT"}, Builtin: []string{"POSTROUTING"}, NoUser: true, Gen: func(g *Gen) string {
			return fmt.Sprintf("-s %s -o %s -j SNAT --to-source %s", g.Net(), g.Iface(), g.IP())
		}},
		{Name: "masquerade", Table: "nat", Weight: 2, Exts: []string{"MASQUERADE"}, Builtin: []string{"POSTROUTING"}, NoUser: true, Gen: func(g *Gen) string {
			return fmt.Sprintf("-s %s ! -o docker0 -j MASQUERADE", g.Net())
		}},
		{Name: "nat-svc-jump", Table: "nat", Weight: 6, Exts: []string{"tcp"}, Builtin: []string{"PREROUTING", "OUTPUT"},
			Gen: func(g *Gen) string {
				return fmt.Sprintf("-d %s/32 -p tcp -m tcp --dport %d -j %s", g.IP(), g.Port(), g.VerdictOrJump())
			}},
		{Name: "nat-return", Table: "nat", Weight: 2, Gen: func(g *Gen) string {
			return fmt.Sprintf("-s %s -d %s -j RETURN", g.Net(), g.Net())
		}},
		// mangle
		{Name: "mark-set", Table: "mangle", Weight: 5, Exts: []string{"tcp", "MARK"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-p tcp -m tcp --dport %d -j MARK --set-mark 0x%x", g.Port(), 1+g.R.IntN(255))
		}},
		{Name: "mangle-udp", Table: "mangle", Weight: 3, Exts: []string{"udp"}, Builtin: []string{"PREROUTING", "INPUT", "FORWARD"}, Gen: func(g *Gen) string {
			return fmt.Sprintf("-i %s -p udp -m udp --dport %d -j %s", g.Iface(), g.Port(), g.VerdictOrJump())
		}},
	}
}

var builtins = map[string][]string{
	"filter": {"INPUT", "FORWARD", "OUTPUT"},
	"nat":    {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	"mangle": {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
}

// tableShare is each table's share of the rules, in per mille.
var tableShare = map[string]int{"filter": 700, "nat": 200, "mangle": 100}

var tableOrder = []string{"mangle", "nat", "filter"}

// Config controls Generate.
type Config struct {
	N    int    // number of rules
	Seed uint64 // random seed
	// Templates to draw from (nil: Templates()).
	Templates []*Template
	// Share fixes the share of all N rules some templates make, by name
	// (multiport: 1.0/6 for a sixth of the rules); the weights of the
	// other templates of the table share the rest of its rules.
	Share map[string]float64
	// Chains is the number of user chains (split among the tables like
	// the rules, at least 2 per table); 0 means one per 500 rules.
	Chains int
}

// Stats describes a generated dump.
type Stats struct {
	Rules      int
	PerTable   map[string]int
	PerTmpl    map[string]int
	UserChains int
}

// Probe reports whether xt2nft translates a template's rules: 20 sample
// rules (fixed seed) must translate without error with both layouts.
func Probe(t *Template) bool {
	var b strings.Builder
	_, err := Generate(&b, Config{N: 20, Seed: 99, Templates: []*Template{t}})
	if err != nil {
		return false
	}
	d, _, err := parser.Parse("probe", []byte(b.String()), parser.Options{Family: parser.IPv4})
	if err != nil {
		return false
	}
	for _, l := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables} {
		if translate.Translate(d, translate.Options{Layout: l}).Err() != nil {
			return false
		}
	}
	return true
}

// Usable returns the templates Probe accepts, and the names of the others.
func Usable() (ok []*Template, dropped []string) {
	for _, t := range Templates() {
		if Probe(t) {
			ok = append(ok, t)
		} else {
			dropped = append(dropped, t.Name)
		}
	}
	return ok, dropped
}

// Generate writes an iptables-save dump of cfg.N rules to w.
func Generate(w io.Writer, cfg Config) (Stats, error) {
	tmpls := cfg.Templates
	if tmpls == nil {
		tmpls = Templates()
	}
	st := Stats{PerTable: map[string]int{}, PerTmpl: map[string]int{}}
	if len(tmpls) == 0 {
		return st, fmt.Errorf("rulegen: no templates")
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x78743266))
	tmpls, err := shared(tmpls, cfg.Share)
	if err != nil {
		return st, err
	}
	byTable := map[string][]*Template{}
	weight := map[string]int{}
	for _, t := range tmpls {
		byTable[t.Table] = append(byTable[t.Table], t)
		weight[t.Table] += t.Weight
	}
	// Rules per table: tables without templates give their share to the others.
	share, total := map[string]int{}, 0
	for tb := range byTable {
		share[tb] = tableShare[tb]
		total += share[tb]
	}
	count := map[string]int{}
	left := cfg.N
	for i, tb := range tableOrder {
		if share[tb] == 0 {
			continue
		}
		count[tb] = cfg.N * share[tb] / total
		if i == len(tableOrder)-1 {
			count[tb] = left
		}
		left -= count[tb]
	}
	for _, tb := range tableOrder { // remainder from rounding
		if left > 0 && share[tb] > 0 {
			count[tb] += left
			left = 0
		}
	}

	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "# Generated by xt2nft rulegen: %d rules, seed %d\n", cfg.N, cfg.Seed)
	g := &Gen{R: r, users: map[string][]string{}}
	for _, tb := range tableOrder {
		n := count[tb]
		if n == 0 {
			continue
		}
		nusers := n / 500
		if cfg.Chains > 0 {
			nusers = int(int64(cfg.Chains) * int64(n) / int64(cfg.N))
		}
		if nusers < 2 {
			nusers = 2
		}
		prefix := map[string]string{"filter": "FW", "nat": "SVC", "mangle": "MG"}[tb]
		users := make([]string, nusers)
		for i := range users {
			users[i] = fmt.Sprintf("%s-%05d", prefix, i)
		}
		g.users[tb] = users
		st.UserChains += nusers
		rules := map[string][]string{}
		for i := 0; i < n; i++ {
			t := pick(r, byTable[tb], weight[tb])
			chain, user := "", -1
			if r.IntN(10) < 4 && !t.NoUser { // 40% in user chains
				user = r.IntN(len(users))
				chain = users[user]
			} else {
				bs := t.Builtin
				if bs == nil {
					bs = builtins[tb]
				}
				chain = bs[r.IntN(len(bs))]
			}
			g.chain, g.user, g.table = chain, user, tb
			rules[chain] = append(rules[chain], t.Gen(g))
			st.PerTmpl[t.Name]++
		}
		st.PerTable[tb] = n
		st.Rules += n
		fmt.Fprintf(bw, "*%s\n", tb)
		for _, c := range builtins[tb] {
			policy := "ACCEPT"
			if tb == "filter" && c != "OUTPUT" {
				policy = "DROP"
			}
			fmt.Fprintf(bw, ":%s %s [0:0]\n", c, policy)
		}
		for _, u := range users {
			fmt.Fprintf(bw, ":%s - [0:0]\n", u)
		}
		for _, c := range append(append([]string(nil), builtins[tb]...), users...) {
			for _, rule := range rules[c] {
				fmt.Fprintf(bw, "-A %s %s\n", c, rule)
			}
		}
		fmt.Fprintf(bw, "COMMIT\n")
	}
	return st, bw.Flush()
}

// shared returns the templates with the weights that give the templates
// named in share their share of all rules: a template of a table with
// fraction f of the rules, sharing it with others of weight W, gets weight
// W*s/(f-s) for a share s of all rules.
func shared(tmpls []*Template, share map[string]float64) ([]*Template, error) {
	if len(share) == 0 {
		return tmpls, nil
	}
	out := make([]*Template, len(tmpls))
	tableW := map[string]int{}
	found := map[string]bool{}
	for i, t := range tmpls {
		cp := *t
		out[i] = &cp
		if _, ok := share[t.Name]; !ok {
			tableW[t.Table] += t.Weight
		}
	}
	present := map[string]bool{}
	for _, t := range out {
		present[t.Table] = true
	}
	total := 0
	for tb := range present {
		total += tableShare[tb]
	}
	for _, t := range out {
		s, ok := share[t.Name]
		if !ok {
			continue
		}
		found[t.Name] = true
		f := float64(tableShare[t.Table]) / float64(total)
		if s <= 0 || s >= f || tableW[t.Table] == 0 {
			return nil, fmt.Errorf("rulegen: share %g of template %s: want more than 0 and less than its table's %g", s, t.Name, f)
		}
		t.Weight = int(float64(tableW[t.Table])*s/(f-s) + 0.5)
	}
	for name := range share {
		if !found[name] {
			return nil, fmt.Errorf("rulegen: no template %s", name)
		}
	}
	return out, nil
}

func pick(r *rand.Rand, ts []*Template, total int) *Template {
	x := r.IntN(total)
	for _, t := range ts {
		if x < t.Weight {
			return t
		}
		x -= t.Weight
	}
	return ts[len(ts)-1]
}

// String summarises the stats.
func (s Stats) String() string {
	var names []string
	for n := range s.PerTmpl {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%d rules (filter %d, nat %d, mangle %d), %d user chains; templates:", s.Rules,
		s.PerTable["filter"], s.PerTable["nat"], s.PerTable["mangle"], s.UserChains)
	for _, n := range names {
		fmt.Fprintf(&b, " %s=%d", n, s.PerTmpl[n])
	}
	return b.String()
}

// OptionLines returns, for every match and target extension of the
// family, a rule line with the extension and no option, then one line per
// option alone: a flag as it is, an option that takes words once with each
// of words. Robustness tests walk the option tables with it.
func OptionLines(fam parser.Family, chain string, words []string) []string {
	var lines []string
	add := func(pre string, spec *parser.ModuleSpec) {
		lines = append(lines, pre)
		for _, o := range spec.Options {
			if o.MaxArgs == 0 {
				lines = append(lines, pre+" --"+o.Name)
				continue
			}
			for _, w := range words {
				lines = append(lines, pre+" --"+o.Name+" "+strings.TrimSpace(strings.Repeat(" "+w, o.MinArgs)))
			}
		}
	}
	matches, targets := parser.MatchNames(), parser.TargetNames()
	sort.Strings(matches)
	sort.Strings(targets)
	for _, name := range matches {
		if spec := parser.LookupMatch(name, fam); spec != nil {
			add(fmt.Sprintf("-A %s -p tcp -m %s", chain, name), spec)
		}
	}
	for _, name := range targets {
		if spec := parser.LookupTarget(name, fam); spec != nil {
			add(fmt.Sprintf("-A %s -p udp -j %s", chain, name), spec)
		}
	}
	return lines
}
