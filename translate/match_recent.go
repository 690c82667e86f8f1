package translate

// -m recent (xt_recent): iptables-extensions(8) "recent"; the kernel's
// semantics are net/netfilter/xt_recent.c. Package recentset describes the
// sets a list becomes and what events, checks and removals do to them; this
// file decides each list's layout from the whole ruleset (planRecent), emits
// its sets and event chains, and builds each rule's nft rules around its
// recent matches (match_recent_rules.go).

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/recentset"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// recentOpts is one -m recent match, validated as libxt_recent and the
// kernel validate it.
type recentOpts struct {
	recentset.Use
	pos  parser.Pos
	reap bool
	name string
	mask netip.Addr // invalid: all ones
	dest bool
}

var recentCommands = map[string]recentset.Command{
	"set": recentset.CmdSet, "rcheck": recentset.CmdCheck, "update": recentset.CmdUpdate, "remove": recentset.CmdRemove,
}

func parseRecent(m *parser.Match, fam parser.Family) (*recentOpts, error) {
	r := &recentOpts{pos: m.Pos, name: "DEFAULT"}
	bad := func(o *parser.Option, format string, a ...any) error {
		return &untranslatable{pos: o.Pos, msg: fmt.Sprintf(format, a...)}
	}
	for _, o := range m.Options {
		switch o.Name {
		case "set", "rcheck", "update", "remove":
			if r.Cmd != 0 {
				return nil, bad(o, "recent: only one of --set, --rcheck, --update, --remove may be given")
			}
			r.Cmd, r.Neg = recentCommands[o.Name], o.Negated
		case "seconds":
			n, err := strconv.ParseUint(o.Arg(0), 10, 32)
			if err != nil || n == 0 {
				return nil, bad(o, "recent: bad --seconds %q (1 to 4294967295)", o.Arg(0))
			}
			r.Seconds = uint32(n)
		case "hitcount":
			n, err := strconv.ParseUint(o.Arg(0), 10, 32)
			if err != nil || n > 65535 {
				return nil, bad(o, "recent: bad --hitcount %q (the kernel allows at most 65535)", o.Arg(0))
			}
			r.Hitcount = uint32(n)
		case "reap":
			r.reap = true
		case "rttl":
			r.RTTL = true
		case "name":
			n := o.Arg(0)
			if len(n) > 199 {
				n = n[:199] // iptables truncates silently
			}
			if n == "" || n == "." || n == ".." || strings.Contains(n, "/") {
				return nil, bad(o, "recent: bad list name %q (the kernel refuses it)", o.Arg(0))
			}
			r.name = n
		case "rsource":
			r.dest = false
		case "rdest":
			r.dest = true
		case "mask":
			a, err := netip.ParseAddr(o.Arg(0))
			if err != nil || a.Is6() != (fam == parser.IPv6) {
				return nil, bad(o, "recent: bad --mask %q (an address such as 255.255.255.0)", o.Arg(0))
			}
			if bits, ok := maskBits(a); !ok || bits != a.BitLen() {
				r.mask = a
			}
		}
	}
	if r.Cmd == 0 {
		return nil, &untranslatable{pos: m.Pos, msg: "recent: one of --set, --rcheck, --update or --remove is required"}
	}
	if r.Cmd == recentset.CmdSet || r.Cmd == recentset.CmdRemove {
		if r.Seconds != 0 || r.Hitcount != 0 || r.RTTL || r.reap {
			return nil, &untranslatable{pos: m.Pos, msg: fmt.Sprintf("recent: --seconds, --hitcount, --rttl and --reap cannot be used with --%s (the kernel refuses the rule)", r.Cmd)}
		}
	}
	if r.reap && r.Seconds == 0 {
		return nil, &untranslatable{pos: m.Pos, msg: "recent: --reap requires --seconds"}
	}
	return r, nil
}

// recentList is one list in one nft table: its layout, and what the
// translation has emitted of it so far.
type recentList struct {
	*recentset.List
	fam     parser.Family
	maskPos parser.Pos // the rule that created the list (its mask wins)
	// maskGiven says that rule has --mask (without, the kernel's mask is
	// all ones in all 16 bytes, whatever the family).
	maskGiven bool
	tables    map[string]bool // iptables tables whose rules use it
	uses      []parser.Pos    // the recent matches on it, in order
	// declared is set once the list's sets are in the nft table.
	declared bool
	// events are the event chains made so far, by side (true: --rdest).
	events map[bool]string
	// chains counts the rules whose check has chains of its own (named
	// BASE_rN, the N-th of the list: the same whatever the order of the
	// rules of other lists and chains).
	chains int
}

type recentKey struct {
	fam   parser.Family
	table string // "" in the xt2nft layout (one table per family)
	name  string
}

// recentPlan is every list of the ruleset, and every -m recent match
// parsed once (parse errors are reported when the rule is translated).
type recentPlan struct {
	lists   map[recentKey]*recentList
	bases   map[string]bool
	matches map[*parser.Match]parsedRecent
}

type parsedRecent struct {
	o   *recentOpts
	err error
}

func (tr *translator) recentKeyFor(fam parser.Family, table, name string) recentKey {
	k := recentKey{fam: fam, name: name}
	if tr.opt.Layout == LayoutIPTables {
		k.table = table
	}
	return k
}

// planRecent analyses every -m recent match of the dump before any rule is
// translated: a list's sets depend on every rule that uses it.
func (tr *translator) planRecent(d *parser.Dump) {
	p := &recentPlan{lists: map[recentKey]*recentList{}, bases: map[string]bool{}, matches: map[*parser.Match]parsedRecent{}}
	tr.recent = p
	for _, t := range d.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, m := range r.Matches {
					if m.Name != "recent" {
						continue
					}
					o, err := parseRecent(m, t.Family)
					p.matches[m] = parsedRecent{o, err}
					if err == nil {
						tr.planRecentMatch(t, m, o)
					}
				}
			}
		}
	}
	tr.sharedRecentMasks()
}

// sharedRecentMasks warns about each list both families use. xt_recent
// keeps one list per name for both, with one mask: the one of the rule that
// created the list. iptables-restore writes an IPv4 --mask into the first 4
// bytes of the 16-byte mask and zeros after it (even 255.255.255.255, which
// iptables-save prints for no mask: a list an IPv4 rule created from a dump
// keys IPv6 addresses by their first 32 bits, TestPrivilegedInetRecentMask);
// a list an IPv6 rule created keys IPv4 addresses by the first 4 bytes of
// the IPv6 mask. The translation keys each family by its own rules' mask,
// which is what the kernel does for one of the two load orders at most.
func (tr *translator) sharedRecentMasks() {
	type pair struct{ l4, l6 *recentList }
	var pairs []pair
	for k, l4 := range tr.recent.lists {
		if k.fam != parser.IPv4 {
			continue
		}
		k.fam = parser.IPv6
		if l6 := tr.recent.lists[k]; l6 != nil {
			pairs = append(pairs, pair{l4, l6})
		}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].l4.maskPos.Before(pairs[j].l4.maskPos) })
	for _, p := range pairs {
		m4, m6 := maskBytes(p.l4.Mask, 4), maskBytes(p.l6.Mask, 16)
		// What the kernel's one mask is when a family's rule creates the list.
		by4 := append(m4[:4:4], make([]byte, 12)...)
		if !p.l4.maskGiven {
			by4 = maskBytes(netip.Addr{}, 16) // no --mask: all 16 bytes ones
		}
		v4First := string(by4[:4]) == string(m4) && string(by4) == string(m6)
		v6First := string(m6[:4]) == string(m4)
		if v4First && v6First {
			continue
		}
		const keys6 = "it keys IPv6 addresses by their first 32 bits, masked with the IPv4 mask (iptables-restore writes zeros past it)"
		const keys4 = "it keys IPv4 addresses by the first 32 bits of the IPv6 mask"
		when := "for neither load order: when the IPv4 rules are loaded first " + keys6 + "; when the IPv6 rules are, " + keys4
		if v6First { // (an IPv4 creator keying as the translation does implies an IPv6 one does)
			when = "when the IPv6 rules are loaded first; when the IPv4 rules are, " + keys6
		}
		pos := p.l4.maskPos
		if p.l6.maskPos.Before(pos) {
			pos = p.l6.maskPos
		}
		tr.approxf(pos, "recent: list %q is used by IPv4 rules (%s) and IPv6 rules (%s): xt_recent keeps both families' entries in one list with one mask, the mask of the rule that creates the list; the translation keys each family's sets by its own rules' mask (IPv4 %s, IPv6 %s), as the kernel does %s",
			p.l4.Name, p.l4.maskPos, p.l6.maskPos, maskString(p.l4.Mask, parser.IPv4), maskString(p.l6.Mask, parser.IPv6), when)
		// Every other match on the list is approximate with it (verify
		// finds the difference on whichever of them a probe meets).
		for _, u := range append(append([]parser.Pos(nil), p.l4.uses...), p.l6.uses...) {
			if u != pos {
				tr.approxf(u, "recent: list %q is one xt_recent list for IPv4 and IPv6, keyed with one mask (see the warning at %s): this match keys it by its own family's mask", p.l4.Name, pos)
			}
		}
	}
}

// maskBytes is a list's mask as n bytes (all ones when it has none).
func maskBytes(a netip.Addr, n int) []byte {
	if !a.IsValid() {
		b := make([]byte, n)
		for i := range b {
			b[i] = 0xff
		}
		return b
	}
	return a.AsSlice()
}

// xtRecentListTot is xt_recent's default list size (its ip_list_tot
// parameter): beyond it, the kernel evicts a list's oldest entry.
const xtRecentListTot = 100

func (tr *translator) planRecentMatch(t *parser.Table, m *parser.Match, o *recentOpts) {
	p := tr.recent
	k := tr.recentKeyFor(t.Family, t.Name, o.name)
	l := p.lists[k]
	if l == nil {
		taken := func(b string) bool { return p.bases[b] }
		v6 := t.Family == parser.IPv6
		base := recentset.BaseName(o.name, taken)
		if tr.inet() {
			base = recentset.FamilyBaseName(o.name, v6, taken)
		}
		p.bases[base] = true
		l = &recentList{List: recentset.NewList(o.name, base, v6, o.mask), fam: t.Family,
			maskPos: o.pos, tables: map[string]bool{}, events: map[bool]string{}}
		l.Inet = tr.inet()
		l.maskGiven = m.Opt("mask") != nil
		p.lists[k] = l
		if tr.opt.RecentSize < xtRecentListTot {
			tr.approxf(o.pos, "recent: the sets of list %q hold at most %d addresses (--recent-size), xt_recent's list %d (ip_list_tot, by default): once full, a set refuses new addresses where xt_recent evicts its oldest entry", o.name, tr.opt.RecentSize, xtRecentListTot)
		}
	} else if o.mask != l.Mask && m.Opt("mask") != nil {
		tr.warnf(o.pos, "recent: list %q already has mask %s from %s; the kernel ignores this rule's --mask (the first rule that creates the list wins)", o.name, maskString(l.Mask, t.Family), l.maskPos)
	}
	l.tables[t.Name] = true
	l.uses = append(l.uses, o.pos)
	l.Need(o.Use)
}

func maskString(a netip.Addr, fam parser.Family) string {
	if !a.IsValid() {
		if fam == parser.IPv6 {
			return "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
		}
		return "255.255.255.255"
	}
	return a.String()
}

// declareRecent adds the list's sets to the nft table (once).
func (c *ctx) declareRecent(l *recentList) {
	if l.declared {
		return
	}
	l.declared = true
	t := c.tr.nftTable(c.fam, c.table)
	addrType := desc.IPv4Addr
	if l.IPv6 {
		addrType = desc.IPv6Addr
	}
	for _, s := range l.Sets() {
		set := &Set{Name: l.SetName(s), Type: []*desc.Type{addrType}, Flags: []SetFlag{SetDynamic}, Size: c.tr.opt.RecentSize,
			Comment: l.Comment(s), Origin: l.maskPos}
		if s.Role == recentset.TTL {
			set.Type = nil
			set.Typeof = []Expr{&Payload{Field: c.l3().Saddr}, &Payload{Field: c.l3().TTL}}
		}
		if to := l.Timeout(s); to > 0 {
			set.Flags = append(set.Flags, SetTimeout)
			set.Timeout = to
		}
		t.Sets = append(t.Sets, set)
	}
}

// recentKeyExpr is the address the list is keyed on for this rule (masked
// by the list's mask).
func (c *ctx) recentKeyExpr(l *recentList, dest bool) Expr {
	field := c.l3().Saddr
	if dest {
		field = c.l3().Daddr
	}
	var k Expr = &Payload{Field: field}
	if l.Mask.IsValid() {
		k = &Binop{Op: "&", Left: k, Right: &Addr{Prefix: netip.PrefixFrom(l.Mask, l.Mask.BitLen())}}
	}
	return k
}

// setOps are the packet-path statements of the plan's operations.
var setOps = map[recentset.Op]SetOp{recentset.Add: SetAdd, recentset.Refresh: SetUpdate, recentset.Delete: SetDelete}

// planStmts turns plan steps into set statements on key (the TTL pairs
// are keyed by key . ttl).
func (c *ctx) planStmts(l *recentList, key Expr, steps []recentset.Step) []Stmt {
	var out []Stmt
	for _, st := range steps {
		k := key
		if st.Set.Role == recentset.TTL {
			k = &Concat{Exprs: []Expr{key, &Payload{Field: c.l3().TTL}}}
		}
		out = append(out, &SetStmt{Op: setOps[st.Op], Set: l.SetName(st.Set), Key: k})
	}
	return out
}

// inSet is "key @set" (or "key != @set" when neg).
func inSet(l *recentList, key Expr, s recentset.Set, neg bool) Stmt {
	return &Match{Left: key, Op: eq(neg), Right: &SetRef{Name: l.SetName(s)}}
}

// eventChain returns the chain performing an event on a list, creating it
// on first use: one rule per stamp step (so a full set only fails its own
// update), then with a ring the pointer advance, one rule per pointer
// value, each ending in return so exactly one fires, and last the advance
// of an address with no pointer yet.
func (c *ctx) eventChain(l *recentList, dest bool) string {
	if n, ok := l.events[dest]; ok {
		return n
	}
	side := "src"
	if dest {
		side = "dst"
	}
	name := l.Base + "_event_" + side
	l.events[dest] = name
	key := c.recentKeyExpr(l, dest)
	ch := &Chain{Name: name, Comment: "xt_recent " + l.Name + " event"}
	for _, s := range c.planStmts(l, key, l.Stamp()) {
		ch.Rules = append(ch.Rules, &Rule{Origin: l.maskPos, Stmts: []Stmt{s}})
	}
	if l.Ring() {
		for p := 0; p < l.K; p++ {
			st := []Stmt{inSet(l, key, recentset.Set{Role: recentset.Ptr, Index: p}, false)}
			st = append(st, c.planStmts(l, key, l.Advance(p))...)
			st = append(st, &Verdict{Kind: VerdictReturn})
			ch.Rules = append(ch.Rules, &Rule{Origin: l.maskPos, Stmts: st})
		}
		ch.Rules = append(ch.Rules, &Rule{Origin: l.maskPos, Stmts: c.planStmts(l, key, l.Advance(-1))})
	}
	t := c.tr.nftTable(c.fam, c.table)
	t.Chains = append(t.Chains, ch)
	return name
}

// recentMatch stands in a rule's match statements where a -m recent match
// is, until assembleRecent builds the rule's nft rules around it.
type recentMatch struct {
	o   *recentOpts
	l   *recentList
	key Expr
	// inexact is set when the match's translation is approximate (for
	// --report).
	inexact bool
}

func (*recentMatch) stmt() {}

// matchRecent marks the match's place in the rule; the rule is assembled
// around it once all its matches and its target are translated.
func matchRecent(c *ctx, m *parser.Match) error {
	pr, ok := c.tr.recent.matches[m]
	if !ok {
		return c.unsupported(m.Pos, "recent: match was not analysed (internal error)")
	}
	delete(c.tr.recent.matches, m) // each match is translated once
	if pr.err != nil {
		return pr.err
	}
	o := pr.o
	l := c.tr.recent.lists[c.tr.recentKeyFor(c.fam, c.table, o.name)]
	if c.tr.opt.Layout == LayoutIPTables && len(l.tables) > 1 {
		return c.unsupported(m.Pos, "recent: list %q is shared by several iptables tables; nft sets are per table, use --layout xt2nft", o.name)
	}
	c.declareRecent(l)
	u := &recentMatch{o: o, l: l, key: c.recentKeyExpr(l, o.dest)}
	c.recents = append(c.recents, u)
	c.add(u)
	return nil
}

// approx records an approximation of this match.
func (u *recentMatch) approx(c *ctx, format string, a ...any) {
	u.inexact = true
	c.approx(u.o.pos, format, a...)
}

// recentNotes are --report's notes on the rule's recent matches.
func (c *ctx) recentNotes() []parser.Diagnostic {
	var out []parser.Diagnostic
	for _, u := range c.recents {
		how := "exact"
		if u.inexact {
			how = "approximate (see the warning)"
		}
		out = append(out, parser.Diagnostic{Pos: u.o.pos, Severity: parser.SevNote,
			Msg: fmt.Sprintf("recent --%s on list %q: %s", u.o.Cmd, u.o.name, how)})
	}
	return out
}
