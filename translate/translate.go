package translate

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/internal/slab"
	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Layout chooses table and chain names.
type Layout string

// Layouts.
const (
	// LayoutXT2NFT puts every iptables table of a family into one nft table
	// (default name "xt2nft"), chains named TABLE_CHAIN. One table lets a set
	// be shared by rules of different iptables tables.
	LayoutXT2NFT Layout = "xt2nft"
	// LayoutIPTables reproduces iptables-restore-translate: one nft table per
	// iptables table (ip filter, ip nat, ...), chains named as in iptables.
	LayoutIPTables Layout = "iptables"
	// LayoutInet puts the IPv4 and IPv6 rules into one inet table (default
	// name "xt2nft"), chains named TABLE_CHAIN as in LayoutXT2NFT: base
	// chains once per hook, a rule both families have written once, the
	// others qualified with their family (inet.go).
	LayoutInet Layout = "inet"
)

// Options control a translation.
type Options struct {
	Layout Layout
	// Table is the table name for LayoutXT2NFT and LayoutInet (default
	// "xt2nft").
	Table string
	// Counters carries iptables' [packets:bytes] counters into the rules.
	Counters bool
	// Strict turns approximations into errors.
	Strict bool
	// AllowPartial keeps untranslatable rules as comments instead of
	// producing no ruleset at all (the error is still returned).
	AllowPartial bool
	// RecentSize is the size of the sets that replace xt_recent lists.
	RecentSize int
	// release lets the translator drop each rule of the dump once it is
	// translated (set by Files, which owns the dumps it parses).
	release bool
	// RenderAhead, in a translation while parsing (Prepare of
	// iptables-save dumps without Optimize), renders each chain in the
	// background as soon as no later rule can change it, and lets its
	// rules go (ahead.go): a big translation is never held whole. The
	// Ruleset that results is for Render alone: the chains rendered ahead
	// have no Rules (CountRules counts them). Set it only to print text
	// (xt2nft does).
	RenderAhead bool
	// Report adds a note for every translated -m recent match saying
	// whether it is exact or approximate (and, with Optimize, for every
	// rule the optimizer changed).
	Report bool
	// Optimize, when set, rewrites the translated ruleset before it is
	// rendered or lowered (xt2nft --optimize sets it to
	// translate/optimize.Hook, which this package cannot import); the
	// notes it returns join the diagnostics.
	Optimize func(*Ruleset, Options) []parser.Diagnostic
	// Check, when set, is run on a translation without errors and its
	// errors join the translation's: a backend's check of what only its
	// lowering knows (the kernel's limit of expressions in a rule; see
	// backend/nft.OversizeRules). The xt2nft command sets it.
	Check func(*Ruleset) []parser.Diagnostic
	// IPSets are the definitions of the ipsets -m set and -j SET name
	// (from `ipset save`); a set not in it becomes an empty set of
	// addresses, with a warning.
	IPSets *ipset.Save
	// QuotaStopsAtLimit targets a kernel whose nft quota refuses the packet
	// that brings its count to the limit (kernels without "netfilter:
	// nft_quota: match correctly when the quota just depleted": before
	// Linux 6.16 and the stable releases of June 2025): --quota N is then
	// written "quota N+1 bytes". lab.NFTQuotaInclusive asks the running
	// kernel.
	QuotaStopsAtLimit bool
}

// ErrUntranslatable marks a rule that cannot be expressed in nftables.
var ErrUntranslatable = errors.New("untranslatable")

// untranslatable is returned by match and target translators.
type untranslatable struct {
	pos parser.Pos
	msg string
}

func (e *untranslatable) Error() string { return e.msg }
func (e *untranslatable) Unwrap() error { return ErrUntranslatable }

// Result is a translation with its diagnostics.
type Result struct {
	Ruleset *Ruleset
	// Diags are warnings (approximations, notes) and, for untranslatable
	// rules, errors; sorted by position.
	Diags []parser.Diagnostic
	// checked are Options.Check's diagnostics of the chains rendered
	// ahead (their rules are gone when the whole ruleset is checked).
	checked []parser.Diagnostic
	// Tracked are the families whose connections an inet table
	// (--layout inet) tracks though their own rules use no conntrack,
	// each with the warning that says so (sharedConntrack): a difference
	// every packet of that family may show, not one rule's.
	Tracked map[parser.Family]string
}

// Err returns the errors among the diagnostics as a parser.ErrorList, or nil.
func (r *Result) Err() error {
	var l parser.ErrorList
	for _, d := range r.Diags {
		if d.Severity == parser.SevError {
			l = append(l, &parser.Error{Pos: d.Pos, Msg: d.Msg})
		}
	}
	return l.Err()
}

// hookInfo is how an iptables built-in chain becomes an nft base chain.
type hookInfo struct {
	typ  ChainType
	hook Hook
	prio int
}

var baseChains = map[string]map[string]hookInfo{
	"filter": {
		"INPUT": {TypeFilter, HookInput, 0}, "FORWARD": {TypeFilter, HookForward, 0}, "OUTPUT": {TypeFilter, HookOutput, 0},
	},
	"nat": {
		"PREROUTING": {TypeNAT, HookPrerouting, -100}, "INPUT": {TypeNAT, HookInput, 100},
		"OUTPUT": {TypeNAT, HookOutput, -100}, "POSTROUTING": {TypeNAT, HookPostrouting, 100},
	},
	"mangle": {
		"PREROUTING": {TypeFilter, HookPrerouting, -150}, "INPUT": {TypeFilter, HookInput, -150},
		"FORWARD": {TypeFilter, HookForward, -150}, "OUTPUT": {TypeRoute, HookOutput, -150},
		"POSTROUTING": {TypeFilter, HookPostrouting, -150},
	},
	"raw": {
		"PREROUTING": {TypeFilter, HookPrerouting, -300}, "OUTPUT": {TypeFilter, HookOutput, -300},
	},
	"security": {
		"INPUT": {TypeFilter, HookInput, 50}, "FORWARD": {TypeFilter, HookForward, 50}, "OUTPUT": {TypeFilter, HookOutput, 50},
	},
}

// translator holds the state of one translation.
type translator struct {
	opt Options
	// portLookups and icmpWrites: checkPortLookups (ipset.go).
	portLookups []portLookup
	icmpWrites  map[*Set]bool
	diags       []parser.Diagnostic
	tables      map[tableKey]*Table
	out         *Ruleset
	// names maps (family, iptables table, chain) to the nft chain name.
	names  map[chainKey]string
	recent *recentPlan
	// tracked is Result.Tracked.
	tracked map[parser.Family]string
	// helpers marks raw tables that assign ct helpers (helpers.go).
	helpers map[helperKey]bool
	// hashlimits are the hashlimit tables made so far (the first rule
	// naming one decides its parameters).
	hashlimits map[hashlimitTable]*hashlimitCfg
	// helperChains are the target helper chains made so far, per table
	// (tgHelperChain).
	helperChains map[*Table]*tableHelpers
	// ipsetNames are the nft names of the ipsets, per table (ipsetName).
	ipsetNames map[*Table]map[string]string
	// replies are the facts checkNotrackReplies needs.
	replies map[parser.Family]*replyFacts
	// used are the chain names taken so far, per nft table (nameTable).
	used map[tableKey]map[string]bool
	// both are the names of the chains in the inet layout, by iptables
	// table and chain: a chain of the same table and name in both
	// families is one nft chain.
	both map[[2]string]string
	// basePolicy is the iptables chain of each base chain in the inet
	// layout, whose policy (position, counters) may become a rule there
	// (inet.go).
	basePolicy map[*Chain]*parser.Chain
	// policyCounters are the rules that carry, under Options.Counters,
	// the counters of base chains' policies in the xt2nft and iptables
	// layouts; each ends its chain once the chain is final (closeChain).
	policyCounters map[*Chain]*Rule
	// cur is the table being translated; chains are the nft chains made
	// so far of its chains (nil for a chain that has none: its rules are
	// skipped), next the index of the next chain to make (chainsUpTo).
	cur    *parser.Table
	chains map[*parser.Chain]*Chain
	next   int
	// The most common pieces of the translated rules, from slabs: a big
	// ruleset keeps them all until it is rendered.
	rules    slab.Slab[Rule]
	stmts    slab.Slab[Stmt]
	matches  slab.Slab[Match]
	counters slab.Slab[Counter]
	// ahead renders the chains that are final in the background
	// (Options.RenderAhead; nil without), and last is the chain of the
	// last rule translated (the chains before it are final).
	ahead *ahead
	last  *parser.Chain
	// lastNC is the nft chain of last (nil when it has none).
	lastNC *Chain
	// ctx is the translation of the rule in progress (rule), kept from
	// rule to rule with its buffers.
	ctx ctx
	// Statements and expressions the rules share (see Ruleset).
	zeroCounter *Counter
	payloads    map[*desc.Field]*Payload
	metas       map[*desc.MetaKey]*Meta
	strs        map[string]*Str
	// Verdicts and port numbers, each rule's own (verdict, int).
	verdictSlab slab.Slab[Verdict]
	intSlab     slab.Slab[Int]
	// Addresses (-s, -d), each rule's own like ints.
	addrSlab slab.Slab[Addr]
}

// meta returns the meta expression of key k, shared.
func (tr *translator) meta(k *desc.MetaKey) *Meta {
	m := tr.metas[k]
	if m == nil {
		m = &Meta{Key: k}
		tr.metas[k] = m
	}
	return m
}

// str returns the string constant v, shared (interface names: a big
// ruleset has few).
func (tr *translator) str(v string) *Str {
	s := tr.strs[v]
	if s == nil {
		s = &Str{V: v}
		tr.strs[v] = s
	}
	return s
}

// int returns the decimal integer constant v, from a slab (ports). Ints
// are not shared: verify's mutants change one rule's value in place.
func (tr *translator) int(v uint64) *Int {
	i := tr.intSlab.New()
	*i = Int{V: v}
	return i
}

// verdict returns the verdict kind (to chain), from a slab. Verdicts are
// not shared: verify's mutants change one rule's verdict in place.
func (tr *translator) verdict(kind VerdictKind, chain string) *Verdict {
	v := tr.verdictSlab.New()
	*v = Verdict{Kind: kind, Chain: chain}
	return v
}

// payload returns the payload expression of field f, shared.
func (tr *translator) payload(f *desc.Field) *Payload {
	p := tr.payloads[f]
	if p == nil {
		p = &Payload{Field: f}
		tr.payloads[f] = p
	}
	return p
}

type tableKey struct {
	fam   parser.Family
	table string // iptables table for LayoutIPTables; "" otherwise
}

type chainKey struct {
	fam          parser.Family
	table, chain string
}

// Translate turns a parsed dump into an nft ruleset.
func Translate(d *parser.Dump, opt Options) *Result {
	tr := newTranslator(opt)
	for _, t := range d.Tables {
		tr.nameTable(t)
	}
	tr.planRecent(d)
	for _, t := range d.Tables {
		tr.table(t)
	}
	return tr.finish(d)
}

func newTranslator(opt Options) *translator {
	if opt.Layout == "" {
		opt.Layout = LayoutXT2NFT
	}
	if opt.Table == "" {
		opt.Table = "xt2nft"
	}
	if opt.RecentSize == 0 {
		opt.RecentSize = 65535
	}
	return &translator{opt: opt, tables: map[tableKey]*Table{}, out: &Ruleset{Layout: opt.Layout, Name: opt.Table},
		names: map[chainKey]string{}, hashlimits: map[hashlimitTable]*hashlimitCfg{}, helperChains: map[*Table]*tableHelpers{},
		used: map[tableKey]map[string]bool{}, both: map[[2]string]string{}, zeroCounter: &Counter{Rule: true},
		payloads: map[*desc.Field]*Payload{}, icmpWrites: map[*Set]bool{},
		metas: map[*desc.MetaKey]*Meta{}, strs: map[string]*Str{}}
}

// finish completes a translation once every table of d is translated: the
// passes over the whole ruleset.
func (tr *translator) finish(d *parser.Dump) *Result {
	tr.endTable()
	tr.stopAhead()
	tr.replicateHelpers(d)
	if tr.inet() {
		tr.mergeInet(d)
	}
	tr.checkDepth()
	tr.checkNotrackReplies()
	tr.checkPortLookups()
	// Each rule is guarded as it is made (rule); this pass is for the
	// helper chains' rules, made elsewhere. Guarding twice changes nothing.
	GuardMerges(tr.out)
	sort.SliceStable(tr.diags, func(i, j int) bool { return tr.diags[i].Pos.Before(tr.diags[j].Pos) })
	res := &Result{Ruleset: tr.out, Diags: tr.diags, Tracked: tr.tracked}
	if tr.ahead != nil {
		res.checked = tr.ahead.checked
	}
	return res
}

func nftFamily(f parser.Family) Family {
	if f == parser.IPv6 {
		return FamilyIP6
	}
	return FamilyIP
}

// nftTable returns (creating) the nft table for an iptables table. In the
// inet layout it is the family's part of the inet table, which mergeInet
// makes the table of the ruleset.
func (tr *translator) nftTable(fam parser.Family, iptTable string) *Table {
	k := tableKey{fam: fam}
	name := tr.opt.Table
	if tr.opt.Layout == LayoutIPTables {
		k.table, name = iptTable, iptTable
	}
	if t, ok := tr.tables[k]; ok {
		return t
	}
	t := &Table{Family: nftFamily(fam), Name: name}
	tr.tables[k] = t
	if tr.inet() {
		t.Family = FamilyInet
		return t
	}
	tr.out.Tables = append(tr.out.Tables, t)
	return t
}

// inet reports whether the translation is for the inet layout.
func (tr *translator) inet() bool { return tr.opt.Layout == LayoutInet }

// nameTable decides the nft names of a table's chains, before any rule is
// translated, so jumps can refer to chains declared later. Tables are
// named in the dump's order: a name is taken by the first chain that
// wants it. In the inet layout both families name chains in one table,
// and a chain of the same iptables table and name in both is one nft
// chain.
func (tr *translator) nameTable(t *parser.Table) {
	k := tableKey{fam: t.Family}
	switch tr.opt.Layout {
	case LayoutIPTables:
		k.table = t.Name
	case LayoutInet:
		k = tableKey{}
	}
	used := tr.used[k]
	if used == nil {
		used = map[string]bool{}
		tr.used[k] = used
	}
	for _, c := range t.Chains {
		if n, ok := tr.both[[2]string{t.Name, c.Name}]; ok {
			tr.names[chainKey{t.Family, t.Name, c.Name}] = n
			continue
		}
		want := c.Name
		if tr.opt.Layout != LayoutIPTables {
			want = t.Name + "_" + c.Name
		}
		name := safeIdent(want)
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s_%d", safeIdent(want), i)
		}
		if name != want {
			tr.warnf(c.Pos, "chain %q is renamed %q in nft (%s)", c.Name, name, identProblem(want))
		}
		used[name] = true
		tr.names[chainKey{t.Family, t.Name, c.Name}] = name
		if tr.inet() {
			tr.both[[2]string{t.Name, c.Name}] = name
		}
	}
}

func (tr *translator) warnf(pos parser.Pos, format string, a ...any) {
	if pos.File == "" {
		return
	}
	tr.diags = append(tr.diags, parser.Diagnostic{Pos: pos, Severity: parser.SevWarning, Msg: fmt.Sprintf(format, a...)})
}

// approxf records an approximation the translator finds across rules (an
// error with --strict, as a rule's approximations are).
func (tr *translator) approxf(pos parser.Pos, format string, a ...any) {
	if tr.opt.Strict {
		tr.errorf(pos, "approximate translation (--strict): "+format, a...)
		return
	}
	tr.warnf(pos, format, a...)
}

func (tr *translator) errorf(pos parser.Pos, format string, a ...any) {
	tr.diags = append(tr.diags, parser.Diagnostic{Pos: pos, Severity: parser.SevError, Msg: fmt.Sprintf(format, a...)})
}

// table translates the rules of a table.
func (tr *translator) table(t *parser.Table) {
	tr.startTable(t)
	for _, c := range t.Chains {
		for i, r := range c.Rules {
			tr.addRule(t, c, r)
			if tr.opt.release {
				c.Rules[i] = nil // Files owns the dump: let the parse tree go
			}
		}
	}
	tr.endTable()
}

// startTable begins the translation of a table (ending the previous one).
// Its chains become nft chains in order, each when its first rule is
// translated or a later chain's is: the helper chains a chain's rules
// need come right after it.
func (tr *translator) startTable(t *parser.Table) {
	tr.endTable()
	tr.cur, tr.next = t, 0
	tr.chains = make(map[*parser.Chain]*Chain, len(t.Chains))
}

// endTable makes the nft chains of the table being translated that no
// rule made yet.
func (tr *translator) endTable() {
	if tr.cur != nil {
		tr.chainsUpTo(nil)
		for _, nc := range tr.chains {
			tr.closeChain(nc)
		}
		tr.aheadUpTo(nil)
		tr.cur, tr.chains = nil, nil
	}
}

// aheadUpTo renders ahead the current table's chains before chain c (all
// of them for nil): with the rules of a table coming chain after chain,
// they are final once a rule of c comes.
func (tr *translator) aheadUpTo(c *parser.Chain) {
	if tr.ahead == nil || tr.cur.Name == "raw" {
		tr.last = c
		return
	}
	if tr.last != nil && tr.last != c {
		t := tr.cur
		tr.closeChain(tr.chains[tr.last])
		tr.renderAhead(tr.nftTable(t.Family, t.Name), tr.chains[tr.last], true)
	}
	tr.last = c
}

// chainsUpTo makes the nft chains of the current table's chains up to c
// (all of them for nil) that are not made yet.
func (tr *translator) chainsUpTo(c *parser.Chain) {
	t := tr.cur
	for tr.next < len(t.Chains) {
		if _, done := tr.chains[c]; done && c != nil {
			return
		}
		pc := t.Chains[tr.next]
		tr.next++
		tr.chains[pc] = tr.newChain(t, pc)
	}
}

// newChain makes the nft chain of chain c of table t (nil when it has
// none, with an error).
func (tr *translator) newChain(t *parser.Table, c *parser.Chain) *Chain {
	nt := tr.nftTable(t.Family, t.Name)
	nc := &Chain{Name: tr.names[chainKey{t.Family, t.Name, c.Name}]}
	if c.Builtin {
		hi, ok := baseChains[t.Name][c.Name]
		if !ok {
			tr.errorf(c.Pos, "no nft hook for chain %q of table %q", c.Name, t.Name)
			return nil
		}
		nc.Base = &BaseChain{Type: hi.typ, Hook: hi.hook, Priority: hi.prio, Policy: strings.ToLower(c.Policy)}
		if nc.Base.Policy == "" {
			nc.Base.Policy = "accept"
		}
		if t.Name == "nat" && c.Policy == "DROP" {
			tr.warnf(c.Pos, "policy DROP on a nat chain is not allowed in nft; kept as accept")
			nc.Base.Policy = "accept"
		}
		if r := tr.policyCounter(c); r != nil && !tr.inet() {
			if tr.policyCounters == nil {
				tr.policyCounters = map[*Chain]*Rule{}
			}
			tr.policyCounters[nc] = r
		}
		if tr.inet() {
			if tr.basePolicy == nil {
				tr.basePolicy = map[*Chain]*parser.Chain{}
			}
			tr.basePolicy[nc] = c
		}
	}
	nt.Chains = append(nt.Chains, nc)
	return nc
}

// policyCounter is the rule that carries the counters of built-in chain
// c's policy (nil without Options.Counters): an nft chain's policy has no
// counter, so the chain's last rule counts what reaches the policy, as
// iptables' policy counter does, starting from iptables' counts (from 0
// when it has counted nothing, or the input gives none: the policy counts
// from then on all the same). The inet layout puts it in place itself
// (inet.go).
func (tr *translator) policyCounter(c *parser.Chain) *Rule {
	if !tr.opt.Counters {
		return nil
	}
	ctr := &Counter{Rule: true}
	if pc := c.Counters; pc != nil {
		ctr.Packets, ctr.Bytes = pc.Packets, pc.Bytes
	}
	policy := strings.ToLower(c.Policy)
	if policy == "" {
		policy = "accept"
	}
	return &Rule{Origin: c.Pos, Comment: "policy " + policy, Stmts: []Stmt{ctr}}
}

// closeChain ends nft chain nc, whose rules are all translated, with the
// rule that carries its policy's counters, if it has one.
func (tr *translator) closeChain(nc *Chain) {
	if r := tr.policyCounters[nc]; r != nil {
		nc.Rules = append(nc.Rules, r)
		delete(tr.policyCounters, nc)
	}
}

// addRule translates rule r of chain c of the table being translated. The
// rules of a table come chain after chain, each chain's in order.
func (tr *translator) addRule(t *parser.Table, c *parser.Chain, r *parser.Rule) {
	if c != tr.last || c == nil {
		tr.chainsUpTo(c)
		tr.aheadUpTo(c)
		tr.lastNC = tr.chains[c]
	}
	if nc := tr.lastNC; nc != nil {
		nc.Rules = tr.rule(t, c, r, nc.Rules)
		if len(nc.Rules) >= aheadBatch && tr.ahead != nil && t.Name != "raw" {
			tr.renderAhead(tr.nftTable(t.Family, t.Name), nc, false)
		}
	}
}

// rule translates one iptables rule into nft rules (usually one), appended
// to dst.
func (tr *translator) rule(t *parser.Table, ch *parser.Chain, r *parser.Rule, dst []*Rule) []*Rule {
	c := &tr.ctx
	c.reset()
	c.tr, c.fam, c.nfam, c.table, c.chain, c.rule = tr, t.Family, nftFamily(t.Family), t.Name, ch.Name, r
	if ch.Builtin {
		c.hook = baseChains[t.Name][ch.Name].hook
	}
	out, err := c.translate(dst)
	if err == nil && quotedArg(r) {
		err = quoteFree(r.Pos, out[len(dst):])
	}
	if err != nil {
		var u *untranslatable
		pos := r.Pos
		msg := err.Error()
		if errors.As(err, &u) {
			pos, msg = u.pos, u.msg
		}
		tr.errorf(pos, "cannot translate rule: %s", msg)
		if tr.opt.AllowPartial {
			return append(dst, &Rule{Origin: r.Pos, Disabled: msg, Source: r.Text})
		}
		return dst
	}
	for _, nr := range out[len(dst):] {
		guardRule(nr)
	}
	if tr.opt.Report {
		tr.diags = append(tr.diags, c.recentNotes()...)
	}
	for _, w := range c.warns {
		if tr.opt.Strict {
			tr.errorf(w.Pos, "approximate translation (--strict): %s", w.Msg)
		} else {
			tr.diags = append(tr.diags, w)
		}
	}
	return out
}
