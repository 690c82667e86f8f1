package translate

// -m recent (xt_recent): iptables-extensions(8) "recent"; the kernel's
// semantics are net/netfilter/xt_recent.c (see shared/design/xt_recent-semantics.md).
//
// The whole ruleset is analysed first (planRecent): for every list name and
// family, which rules touch it, with which windows (--seconds), hitcounts,
// mask, sides and --rttl. Each list then becomes nft sets in the table:
//
//	<L>_mem          type addr; flags dynamic            entry exists (xt: the list entry)
//	<L>_last_<S>     flags dynamic,timeout; timeout S    a stamp within the last S seconds
//	<L>_ptr<p>       one-hot ring pointer (hitcount > 1)
//	<L>_w<S>_s<k>    ring slot k for window S            the k-th stamp's age (hitcount > 1)
//	<L>_ttl          addr . ttl pairs                     --rttl (approximate)
//
// An event (--set, a true --update) refreshes every window set, and with a
// ring advances the pointer and writes the slot (chain <L>_event_src/dst).
// A check "--seconds S --hitcount N" is "the N-th newest stamp is within S":
// key in ptr_p and key in slot (p-N) mod K, for the one p the key has.
// This reproduces xt_recent exactly (up to one jiffy at the window edge)
// except: LRU eviction at ip_list_tot (a full nft set refuses new keys
// instead), lazy --reap (entries are not reaped; windowed checks are not
// affected), and --rttl (any TTL seen within the window matches, not only the
// last one).

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// recentOpts is one -m recent match, validated as libxt_recent and the
// kernel validate it.
type recentOpts struct {
	pos      parser.Pos
	cmd      string // set, rcheck, update, remove
	neg      bool
	seconds  uint32
	hitcount uint32
	reap     bool
	rttl     bool
	name     string
	mask     netip.Addr // invalid: all ones
	dest     bool
}

func parseRecent(m *parser.Match, fam parser.Family) (*recentOpts, error) {
	r := &recentOpts{pos: m.Pos, name: "DEFAULT"}
	bad := func(o *parser.Option, format string, a ...any) error {
		return &untranslatable{pos: o.Pos, msg: fmt.Sprintf(format, a...)}
	}
	for _, o := range m.Options {
		switch o.Name {
		case "set", "rcheck", "update", "remove":
			if r.cmd != "" {
				return nil, bad(o, "recent: only one of --set, --rcheck, --update, --remove may be given")
			}
			r.cmd, r.neg = o.Name, o.Negated
		case "seconds":
			n, err := strconv.ParseUint(o.Arg(0), 10, 32)
			if err != nil || n == 0 {
				return nil, bad(o, "recent: bad --seconds %q (1 to 4294967295)", o.Arg(0))
			}
			r.seconds = uint32(n)
		case "hitcount":
			n, err := strconv.ParseUint(o.Arg(0), 10, 32)
			if err != nil || n > 65535 {
				return nil, bad(o, "recent: bad --hitcount %q (the kernel allows at most 65535)", o.Arg(0))
			}
			r.hitcount = uint32(n)
		case "reap":
			r.reap = true
		case "rttl":
			r.rttl = true
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
	if r.cmd == "" {
		return nil, &untranslatable{pos: m.Pos, msg: "recent: one of --set, --rcheck, --update or --remove is required"}
	}
	if r.cmd == "set" || r.cmd == "remove" {
		if r.seconds != 0 || r.hitcount != 0 || r.rttl || r.reap {
			return nil, &untranslatable{pos: m.Pos, msg: fmt.Sprintf("recent: --seconds, --hitcount, --rttl and --reap cannot be used with --%s (the kernel refuses the rule)", r.cmd)}
		}
	}
	if r.reap && r.seconds == 0 {
		return nil, &untranslatable{pos: m.Pos, msg: "recent: --reap requires --seconds"}
	}
	return r, nil
}

// recentList is the plan for one list name in one nft table.
type recentList struct {
	name    string
	base    string // sanitized prefix of every set and chain name
	fam     parser.Family
	mask    netip.Addr
	maskPos parser.Pos
	windows map[uint32]bool // S of checks with hitcount <= 1 (one "last" set each)
	ring    map[uint32]bool // S of checks with hitcount > 1 (0: no --seconds)
	k       int             // ring size: max hitcount (1: no ring)
	mem     bool
	ttl     bool
	maxS    uint32
	reap    bool
	tables  map[string]bool
	done    bool // sets declared
	events  map[bool]string
}

type recentKey struct {
	fam   parser.Family
	table string // "" in the xt2nft layout (one table per family)
	name  string
}

type recentPlan struct {
	lists map[recentKey]*recentList
	used  map[string]bool
}

func (tr *translator) recentKeyFor(fam parser.Family, table, name string) recentKey {
	k := recentKey{fam: fam, name: name}
	if tr.opt.Layout == LayoutIPTables {
		k.table = table
	}
	return k
}

// planRecent analyses every -m recent match of the dump before any rule is
// translated.
func (tr *translator) planRecent(d *parser.Dump) {
	p := &recentPlan{lists: map[recentKey]*recentList{}, used: map[string]bool{}}
	tr.recent = p
	for _, t := range d.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, m := range r.Matches {
					if m.Name != "recent" {
						continue
					}
					o, err := parseRecent(m, t.Family)
					if err != nil {
						continue // reported when the rule is translated
					}
					k := tr.recentKeyFor(t.Family, t.Name, o.name)
					l := p.lists[k]
					if l == nil {
						base := "recent_" + strings.Map(func(r rune) rune {
							if r < 128 && isIdentChar(byte(r)) && r != '/' && r != ':' && r != '.' {
								return r
							}
							return '_'
						}, o.name)
						for i := 2; p.used[base]; i++ {
							base = fmt.Sprintf("%s_%d", strings.TrimSuffix(base, "_"+strconv.Itoa(i-1)), i)
						}
						p.used[base] = true
						l = &recentList{name: o.name, base: base, fam: t.Family, mask: o.mask, maskPos: o.pos,
							windows: map[uint32]bool{}, ring: map[uint32]bool{}, k: 1,
							tables: map[string]bool{}, events: map[bool]string{}}
						p.lists[k] = l
					} else if o.mask != l.mask && m.Opt("mask") != nil {
						tr.warnf(o.pos, "recent: list %q already has mask %s from %s; the kernel ignores this rule's --mask (the first rule that creates the list wins)", o.name, maskString(l.mask, t.Family), l.maskPos)
					}
					l.tables[t.Name] = true
					if o.seconds > l.maxS {
						l.maxS = o.seconds
					}
					l.reap = l.reap || o.reap
					l.ttl = l.ttl || o.rttl
					switch {
					case o.cmd == "remove":
						l.mem = true
					case o.cmd == "rcheck" || o.cmd == "update":
						if o.hitcount > 1 {
							l.ring[o.seconds] = true
							if int(o.hitcount) > l.k {
								l.k = int(o.hitcount)
							}
						} else if o.seconds > 0 {
							l.windows[o.seconds] = true
						} else {
							l.mem = true
						}
						if o.neg && o.cmd == "update" {
							l.mem = true
						}
					}
				}
			}
		}
	}
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

func sortedKeys(m map[uint32]bool) []uint32 {
	var out []uint32
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (l *recentList) memName() string          { return l.base + "_mem" }
func (l *recentList) lastName(s uint32) string { return fmt.Sprintf("%s_last_%d", l.base, s) }
func (l *recentList) ptrName(p int) string     { return fmt.Sprintf("%s_ptr%d", l.base, p) }
func (l *recentList) ttlName() string          { return l.base + "_ttl" }
func (l *recentList) slotName(s uint32, k int) string {
	if s == 0 {
		return fmt.Sprintf("%s_all_s%d", l.base, k)
	}
	return fmt.Sprintf("%s_w%d_s%d", l.base, s, k)
}

// sets lists every set name of the list (for --remove and recentctl).
func (l *recentList) sets() []string {
	var out []string
	if l.mem {
		out = append(out, l.memName())
	}
	for _, s := range sortedKeys(l.windows) {
		out = append(out, l.lastName(s))
	}
	if l.k > 1 {
		for p := 0; p < l.k; p++ {
			out = append(out, l.ptrName(p))
		}
		for _, s := range sortedKeys(l.ring) {
			for k := 0; k < l.k; k++ {
				out = append(out, l.slotName(s, k))
			}
		}
	}
	return out
}

// declare adds the list's sets to the nft table (once).
func (c *ctx) declareRecent(l *recentList) {
	if l.done {
		return
	}
	l.done = true
	t := c.tr.nftTable(c.fam, c.table)
	addrType := desc.IPv4Addr
	if l.fam == parser.IPv6 {
		addrType = desc.IPv6Addr
	}
	// The comment names the list and the set's role, and the list's mask
	// when it has one, so that recentctl keys its edits as the rules do.
	suffix := ""
	if l.mask.IsValid() {
		suffix = " mask " + l.mask.String()
	}
	mk := func(name, role string, timeout uint32) {
		s := &Set{Name: name, Type: []*desc.Type{addrType}, Flags: []SetFlag{SetDynamic}, Size: c.tr.opt.RecentSize,
			Comment: "xt_recent " + l.name + " " + role + suffix, Origin: l.maskPos}
		if timeout > 0 {
			s.Flags = append(s.Flags, SetTimeout)
			s.Timeout = time.Duration(timeout) * time.Second
		}
		t.Sets = append(t.Sets, s)
	}
	if l.mem {
		mk(l.memName(), "mem", 0)
	}
	for _, s := range sortedKeys(l.windows) {
		mk(l.lastName(s), "last "+strconv.Itoa(int(s)), s)
	}
	if l.k > 1 {
		maxRing := uint32(0)
		forever := false
		for s := range l.ring {
			if s == 0 {
				forever = true
			}
			if s > maxRing {
				maxRing = s
			}
		}
		if forever {
			maxRing = 0
		}
		for p := 0; p < l.k; p++ {
			mk(l.ptrName(p), "ptr "+strconv.Itoa(p)+"/"+strconv.Itoa(l.k), maxRing)
		}
		for _, s := range sortedKeys(l.ring) {
			for k := 0; k < l.k; k++ {
				mk(l.slotName(s, k), "slot "+strconv.Itoa(int(s))+" "+strconv.Itoa(k)+"/"+strconv.Itoa(l.k), s)
			}
		}
	}
	if l.ttl {
		ts := &Set{Name: l.ttlName(), Flags: []SetFlag{SetDynamic, SetTimeout},
			Size: c.tr.opt.RecentSize, Comment: "xt_recent " + l.name + " ttl" + suffix, Origin: l.maskPos}
		ts.Typeof = []Expr{&Payload{Field: c.l3().Saddr}, &Payload{Field: c.l3().TTL}}
		ts.Timeout = time.Duration(max(l.maxS, 1)) * time.Second
		t.Sets = append(t.Sets, ts)
	}
}

// key is the address the list is keyed on for this rule (masked by the
// list's mask).
func (c *ctx) recentKey(l *recentList, dest bool) Expr {
	field := c.l3().Saddr
	if dest {
		field = c.l3().Daddr
	}
	var k Expr = &Payload{Field: field}
	if l.mask.IsValid() {
		k = &Binop{Op: "&", Left: k, Right: &Addr{Prefix: netip.PrefixFrom(l.mask, l.mask.BitLen())}}
	}
	return k
}

// eventStmts are the statements of an event that can be inline (no ring).
func (c *ctx) eventStmts(l *recentList, key Expr) []Stmt {
	var out []Stmt
	if l.mem {
		out = append(out, &SetStmt{Op: SetAdd, Set: l.memName(), Key: key})
	}
	for _, s := range sortedKeys(l.windows) {
		out = append(out, &SetStmt{Op: SetUpdate, Set: l.lastName(s), Key: key})
	}
	if l.ttl {
		out = append(out, &SetStmt{Op: SetUpdate, Set: l.ttlName(), Key: &Concat{Exprs: []Expr{key, &Payload{Field: c.l3().TTL}}}})
	}
	return out
}

// eventChain returns the chain performing an event with a ring (K > 1),
// creating it on first use: one rule per set refresh (so a full set only
// fails its own update), then the pointer advance, one rule per pointer
// value, each ending in return so exactly one fires.
func (c *ctx) eventChain(l *recentList, dest bool) string {
	if n, ok := l.events[dest]; ok {
		return n
	}
	side := "src"
	if dest {
		side = "dst"
	}
	name := l.base + "_event_" + side
	l.events[dest] = name
	key := c.recentKey(l, dest)
	ch := &Chain{Name: name, Comment: "xt_recent " + l.name + " event"}
	for _, s := range c.eventStmts(l, key) {
		ch.Rules = append(ch.Rules, &Rule{Origin: l.maskPos, Stmts: []Stmt{s}})
	}
	advance := func(p int) []Stmt {
		var st []Stmt
		for _, s := range sortedKeys(l.ring) {
			st = append(st, &SetStmt{Op: SetUpdate, Set: l.slotName(s, p), Key: key})
		}
		st = append(st, &SetStmt{Op: SetUpdate, Set: l.ptrName((p + 1) % l.k), Key: key})
		return st
	}
	for p := 0; p < l.k; p++ {
		st := []Stmt{&Match{Left: key, Op: OpEq, Right: &SetRef{Name: l.ptrName(p)}},
			&SetStmt{Op: SetDelete, Set: l.ptrName(p), Key: key}}
		st = append(st, advance(p)...)
		st = append(st, &Verdict{Kind: VerdictReturn})
		ch.Rules = append(ch.Rules, &Rule{Origin: l.maskPos, Stmts: st})
	}
	// No pointer yet: the first event goes to slot 0.
	ch.Rules = append(ch.Rules, &Rule{Origin: l.maskPos, Stmts: advance(0)})
	t := c.tr.nftTable(c.fam, c.table)
	t.Chains = append(t.Chains, ch)
	return name
}

// matchRecent records the match; the rule is assembled around it once all
// its matches and its target are translated (assembleRecent).
func matchRecent(c *ctx, m *parser.Match) error {
	o, err := parseRecent(m, c.fam)
	if err != nil {
		return err
	}
	l := c.tr.recent.lists[c.tr.recentKeyFor(c.fam, c.table, o.name)]
	if l == nil {
		return c.unsupported(m.Pos, "recent: list %q was not analysed (internal error)", o.name)
	}
	if c.tr.opt.Layout == LayoutIPTables && len(l.tables) > 1 {
		return c.unsupported(m.Pos, "recent: list %q is shared by several iptables tables; nft sets are per table, use --layout xt2nft", o.name)
	}
	c.declareRecent(l)
	c.recents = append(c.recents, recentUse{o: o, l: l, at: len(c.stmts)})
	return nil
}

type recentUse struct {
	o  *recentOpts
	l  *recentList
	at int // index into c.stmts where the match stands
}

// assembleRecent builds the nft rule(s) for an iptables rule with -m recent
// matches. body is everything before the counter, split is where each
// recent match stands in body, tail is the counter and target statements.
func (c *ctx) assembleRecent(body []Stmt, offset int, tail []Stmt) ([]*Rule, error) {
	origin := c.rule.Pos
	if len(c.recents) > 1 {
		// Several recent matches: only the single-rule forms combine.
		var out []Stmt
		last := 0
		for _, u := range c.recents {
			at := offset + u.at
			out = append(out, body[last:at]...)
			last = at
			inl, ok := c.recentInline(u)
			if !ok {
				return nil, c.unsupported(u.o.pos, "recent: several -m recent matches in one rule can only be combined when each is --set, --rcheck, --update or --remove without \"!\" and without --hitcount above 1")
			}
			if inl == nil { // "! --set": the rule stops matching here
				return []*Rule{{Origin: origin, Stmts: append(out, &Counter{})}}, nil
			}
			out = append(out, inl...)
		}
		out = append(out, body[last:]...)
		return []*Rule{{Origin: origin, Stmts: append(out, tail...), Comment: c.comment}}, nil
	}
	u := c.recents[0]
	at := offset + u.at
	prefix, suffix := body[:at:at], body[at:]
	rule := func(st ...[]Stmt) *Rule {
		var all []Stmt
		for _, s := range st {
			all = append(all, s...)
		}
		return &Rule{Origin: origin, Stmts: all, Comment: c.comment}
	}
	if inl, ok := c.recentInline(u); ok {
		if inl == nil {
			return []*Rule{rule(prefix, c.eventStmts(u.l, c.recentKey(u.l, u.o.dest)), []Stmt{&Counter{}})}, nil
		}
		return []*Rule{rule(prefix, inl, suffix, tail)}, nil
	}
	o, l := u.o, u.l
	key := c.recentKey(l, o.dest)
	in := func(set string) Stmt { return &Match{Left: key, Op: OpEq, Right: &SetRef{Name: set}} }
	notIn := func(set string) Stmt { return &Match{Left: key, Op: OpNe, Right: &SetRef{Name: set}} }
	if c.statefulAround(prefix, suffix) {
		c.approx(o.pos, "recent: this rule is split into several nft rules and its other stateful matches (limit, quota, ...) may be evaluated more than once per packet")
	}
	switch {
	case o.cmd == "remove" && o.neg:
		// absent: match; present: delete everything, no match.
		return []*Rule{rule(prefix, []Stmt{notIn(l.memName())}, suffix, tail),
			rule(prefix, []Stmt{in(l.memName())}, c.removeStmts(l, key), []Stmt{&Counter{}})}, nil
	case o.cmd == "update" && o.neg && l.k == 1:
		// absent: match without event; present and the check fails: match and stamp.
		cond := c.windowCheck(l, o, key, true)
		return []*Rule{rule(prefix, []Stmt{notIn(l.memName())}, suffix, tail),
			rule(prefix, []Stmt{in(l.memName())}, cond, c.eventStmts(l, key), suffix, tail)}, nil
	}
	// Ring forms (hitcount > 1, or an event on a list with a ring): a
	// sub-chain R holds the check; the xt rule's target runs in R_hit.
	if t := c.rule.Target; t != nil && (t.Goto || t.Chain && t.Name == "RETURN") {
		return nil, c.unsupported(o.pos, "recent: --hitcount above 1 (or an event on such a list) combined with -j RETURN or -g is not supported yet")
	}
	tbl := c.tr.nftTable(c.fam, c.table)
	n := len(tbl.Chains)
	rname := fmt.Sprintf("%s_r%d", l.base, n)
	hit := &Chain{Name: rname + "_hit", Comment: "xt_recent " + l.name + " rule " + origin.String()}
	r := &Chain{Name: rname, Comment: hit.Comment}
	jumpHit := &Verdict{Kind: VerdictGoto, Chain: hit.Name}
	event := []Stmt{&Verdict{Kind: VerdictJump, Chain: c.eventChain(l, o.dest)}}
	finish := rule(suffix, tail)
	switch {
	case o.cmd == "set" && !o.neg:
		hit.Rules = []*Rule{{Origin: origin, Stmts: event}, finish}
		addChains(tbl, hit)
		return []*Rule{rule(prefix, []Stmt{&Counter{}, &Verdict{Kind: VerdictJump, Chain: hit.Name}})}, nil
	case o.cmd == "set" && o.neg:
		return []*Rule{rule(prefix, []Stmt{&Counter{}}, event)}, nil
	case o.cmd == "update" && o.neg:
		// absent: match without event; check holds: no match; else event + match.
		r.Rules = append(r.Rules, &Rule{Origin: origin, Stmts: []Stmt{notIn(l.memName()), jumpHit}})
		for _, cond := range c.checks(l, o, key) {
			r.Rules = append(r.Rules, &Rule{Origin: origin, Stmts: append(cond, &Verdict{Kind: VerdictReturn})})
		}
		r.Rules = append(r.Rules, &Rule{Origin: origin, Stmts: event}, finish)
		noev := &Chain{Name: hit.Name, Comment: hit.Comment, Rules: []*Rule{finish}}
		addChains(tbl, r, noev)
		return []*Rule{rule(prefix, []Stmt{&Counter{}, &Verdict{Kind: VerdictJump, Chain: r.Name}})}, nil
	case o.neg: // ! --rcheck
		for _, cond := range c.checks(l, o, key) {
			r.Rules = append(r.Rules, &Rule{Origin: origin, Stmts: append(cond, &Verdict{Kind: VerdictReturn})})
		}
		r.Rules = append(r.Rules, finish)
		addChains(tbl, r)
		return []*Rule{rule(prefix, []Stmt{&Counter{}, &Verdict{Kind: VerdictJump, Chain: r.Name}})}, nil
	default: // --rcheck / --update with a ring check
		for _, cond := range c.checks(l, o, key) {
			r.Rules = append(r.Rules, &Rule{Origin: origin, Stmts: append(cond, jumpHit)})
		}
		if o.cmd == "update" {
			hit.Rules = append(hit.Rules, &Rule{Origin: origin, Stmts: event})
		}
		hit.Rules = append(hit.Rules, finish)
		addChains(tbl, r, hit)
		return []*Rule{rule(prefix, []Stmt{&Counter{}, &Verdict{Kind: VerdictJump, Chain: r.Name}})}, nil
	}
}

// checks returns the alternative conditions of a positive check: the ring
// conditions with --hitcount above 1, else the window (or mem) lookup.
func (c *ctx) checks(l *recentList, o *recentOpts, key Expr) [][]Stmt {
	if o.hitcount > 1 {
		return c.ringChecks(l, o, key)
	}
	return [][]Stmt{c.windowCheck(l, o, key, false)}
}

// addChains appends the sub-chains of a rule's encoding to its table.
func addChains(t *Table, chs ...*Chain) { t.Chains = append(t.Chains, chs...) }

// recentInline returns the single-rule statements for u, nil statements
// with ok for "! --set" (event, then no match), or ok=false when the
// encoding needs several rules.
func (c *ctx) recentInline(u recentUse) ([]Stmt, bool) {
	o, l := u.o, u.l
	key := c.recentKey(l, o.dest)
	if o.hitcount > 1 || (l.k > 1 && (o.cmd == "set" || o.cmd == "update")) {
		return nil, false
	}
	switch o.cmd {
	case "set":
		if o.neg {
			return nil, true
		}
		return c.eventStmts(l, key), true
	case "rcheck":
		return c.windowCheck(l, o, key, o.neg), true
	case "update":
		if o.neg {
			return nil, false
		}
		return append(c.windowCheck(l, o, key, false), c.eventStmts(l, key)...), true
	case "remove":
		if o.neg {
			return nil, false
		}
		return append([]Stmt{&Match{Left: key, Op: OpEq, Right: &SetRef{Name: l.memName()}}}, c.removeStmts(l, key)...), true
	}
	return nil, false
}

// windowCheck is the check of a --rcheck/--update without a ring: in the
// window's set (or in mem without --seconds), and with --rttl the TTL pair.
func (c *ctx) windowCheck(l *recentList, o *recentOpts, key Expr, neg bool) []Stmt {
	set := l.memName()
	if o.seconds > 0 {
		set = l.lastName(o.seconds)
	}
	if o.reap {
		c.approx(o.pos, "recent: --reap is not reproduced: xt_recent frees at most one stale entry per matching packet; nft keeps stale entries in @%s (checks with --seconds are unaffected; window-less checks and the list dump see them)", l.memName())
	}
	out := []Stmt{&Match{Left: key, Op: eq(neg), Right: &SetRef{Name: set}}}
	if o.rttl {
		if neg {
			c.approx(o.pos, "recent: \"!\" with --rttl is translated without the TTL condition")
			return out
		}
		c.approx(o.pos, "recent: --rttl matches any TTL seen from this address within %ds, not only the TTL of the last event (nft 1.0.6 cannot keep the last TTL per address)", max(l.maxS, 1))
		out = append(out, &Match{Left: &Concat{Exprs: []Expr{key, &Payload{Field: c.l3().TTL}}}, Op: OpEq, Right: &SetRef{Name: l.ttlName()}})
	}
	return out
}

// ringChecks returns the K mutually exclusive conditions "key in ptr_p and
// key in slot (p-N) mod K" of a check with --hitcount N.
func (c *ctx) ringChecks(l *recentList, o *recentOpts, key Expr) [][]Stmt {
	if o.reap {
		c.approx(o.pos, "recent: --reap is not reproduced (xt_recent frees at most one stale entry per matching packet; windowed checks are unaffected)")
	}
	if o.rttl {
		c.approx(o.pos, "recent: --rttl is ignored together with --hitcount above 1")
	}
	n := int(o.hitcount)
	if n < 1 {
		n = 1
	}
	var out [][]Stmt
	for p := 0; p < l.k; p++ {
		slot := ((p-n)%l.k + l.k) % l.k
		out = append(out, []Stmt{
			&Match{Left: key, Op: OpEq, Right: &SetRef{Name: l.ptrName(p)}},
			&Match{Left: key, Op: OpEq, Right: &SetRef{Name: l.slotName(o.seconds, slot)}},
		})
	}
	return out
}

// removeStmts deletes the key from every set of the list.
func (c *ctx) removeStmts(l *recentList, key Expr) []Stmt {
	var out []Stmt
	for _, s := range l.sets() {
		out = append(out, &SetStmt{Op: SetDelete, Set: s, Key: key})
	}
	return out
}

// statefulAround reports whether statements other than the recent match
// have side effects (so duplicating them across rules changes behaviour).
func (c *ctx) statefulAround(parts ...[]Stmt) bool {
	for _, p := range parts {
		for _, s := range p {
			switch s.(type) {
			case *Limit, *Quota, *SetStmt:
				return true
			}
		}
	}
	return false
}
