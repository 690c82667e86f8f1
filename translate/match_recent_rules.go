package translate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/recentset"
)

// assembleRecent builds the nft rules of an iptables rule with -m recent
// matches: stmts are its match statements with a *recentMatch where each
// recent match stands, tail its counter and target statements.
func (c *ctx) assembleRecent(stmts, tail []Stmt) ([]*Rule, error) {
	// parts[i] are the statements before the i-th recent match, the last
	// part those after the last one.
	var parts [][]Stmt
	var uses []*recentMatch
	last := 0
	for i, s := range stmts {
		if u, ok := s.(*recentMatch); ok {
			parts = append(parts, stmts[last:i:i])
			uses = append(uses, u)
			last = i + 1
		}
	}
	parts = append(parts, stmts[last:])
	if len(uses) == 1 {
		r := &recentRule{c: c, u: uses[0], prefix: parts[0], suffix: parts[1], tail: tail}
		return r.rules()
	}
	// Several recent matches: only the single-rule forms combine.
	inls := make([][]Stmt, len(uses))
	forms := make([]inlineForm, len(uses))
	cut := false
	for i, u := range uses {
		if inls[i], forms[i] = c.recentInline(u); forms[i] == notInline {
			return nil, c.unsupported(u.o.pos, "recent: several -m recent matches in one rule can only be combined when none is \"! --update\" or \"! --remove\", has a --hitcount above 1 or is an event on a list with one")
		}
		cut = cut || cutShort(u, forms[i], i < len(uses)-1 || len(parts[len(uses)]) > 0 || !onlyCounters(tail))
	}
	if cut {
		if out := c.eventsApart(parts, uses, inls, forms, tail); out != nil {
			return out, nil
		}
	}
	var out []Stmt
	for i, u := range uses {
		out = append(out, parts[i]...)
		if cut && (u.o.Cmd == recentset.CmdSet || u.o.Cmd == recentset.CmdUpdate) {
			c.fullSetApprox(u)
		}
		out = append(out, inls[i]...)
		if forms[i] == inlineStop {
			return []*Rule{{Origin: c.rule.Pos, Stmts: append(out, &Counter{})}}, nil
		}
	}
	out = append(out, parts[len(uses)]...)
	return []*Rule{{Origin: c.rule.Pos, Stmts: append(out, tail...), Comment: c.comment}}, nil
}

// eventsApart is a rule of recent matches in their inline forms (inls,
// forms; parts as in assembleRecent) with each event apart, so that a full
// set cannot cut the rule short (cutShort): per event a rule of the
// statements up to it (the checks of the matches before it included) and
// a jump to the list's event chain, one rule per update (eventChain); the
// last rule has all the matches and the target. It evaluates the
// statements before an event again, so it is nil (not exact) when one has
// side effects: a limit or quota, or a --remove (its deletes would make
// its own check fail the second time). A positive check that held before
// an event holds after it (events only add and refresh), so every rule
// matches exactly when xt_recent reached that point of the rule.
func (c *ctx) eventsApart(parts [][]Stmt, uses []*recentMatch, inls [][]Stmt, forms []inlineForm, tail []Stmt) []*Rule {
	if c.statefulAround(parts[:len(uses)]...) {
		return nil
	}
	for _, u := range uses {
		if u.o.Cmd == recentset.CmdRemove {
			return nil
		}
	}
	var rules []*Rule
	var upto []Stmt
	for i, u := range uses {
		upto = append(upto, parts[i]...)
		for _, s := range inls[i] {
			if _, ok := s.(*SetStmt); !ok {
				upto = append(upto, s)
			}
		}
		if u.o.Cmd != recentset.CmdSet && u.o.Cmd != recentset.CmdUpdate || len(u.l.Stamp()) == 0 {
			continue // no event, or one without a step
		}
		jump := []Stmt{&Verdict{Kind: VerdictJump, Chain: c.eventChain(u.l, u.o.dest)}}
		if forms[i] == inlineStop {
			return append(rules, c.ruleOf(upto, []Stmt{&Counter{}}, jump))
		}
		rules = append(rules, c.ruleOf(upto, jump))
	}
	return append(rules, c.ruleOf(upto, parts[len(uses)], tail))
}

// inlineForm says how a recent match fits in a single nft rule.
type inlineForm uint8

const (
	// notInline: the encoding needs several rules.
	notInline inlineForm = iota
	// inline: the statements stand where the match was.
	inline
	// inlineStop: "! --set": the statements (the event) run, then the rule
	// stops matching.
	inlineStop
)

// recentInline returns the single-rule statements for u and how they fit.
func (c *ctx) recentInline(u *recentMatch) ([]Stmt, inlineForm) {
	o, l := u.o, u.l
	if o.Hitcount > 1 || (l.Ring() && (o.Cmd == recentset.CmdSet || o.Cmd == recentset.CmdUpdate)) {
		return nil, notInline
	}
	switch {
	case o.Cmd == recentset.CmdSet && o.Neg:
		return c.planStmts(l, u.key, l.Stamp()), inlineStop
	case o.Cmd == recentset.CmdSet:
		return c.planStmts(l, u.key, l.Stamp()), inline
	case o.Cmd == recentset.CmdCheck:
		return c.windowCheck(u, o.Neg), inline
	case o.Neg: // "! --update", "! --remove"
		return nil, notInline
	case o.Cmd == recentset.CmdUpdate:
		return append(c.windowCheck(u, false), c.planStmts(l, u.key, l.Stamp())...), inline
	default: // --remove
		return append([]Stmt{inSet(l, u.key, recentMem, false)}, c.planStmts(l, u.key, l.Remove())...), inline
	}
}

// windowCheck is the check of a --rcheck/--update without a ring: in the
// window's set (or in mem without --seconds), and with --rttl the TTL pair.
func (c *ctx) windowCheck(u *recentMatch, neg bool) []Stmt {
	o, l := u.o, u.l
	if o.reap {
		c.reapApprox(u)
	}
	out := []Stmt{inSet(l, u.key, l.CheckSet(o.Seconds), neg)}
	if o.RTTL {
		if neg {
			u.approx(c, "recent: \"!\" with --rttl is translated without the TTL condition")
			return out
		}
		u.approx(c, "recent: --rttl matches any TTL seen from this address within %ds, not only the TTL of the last event (nft 1.0.6 cannot keep the last TTL per address)", l.TTLWindow)
		pair := &Concat{Exprs: []Expr{u.key, &Payload{Field: c.l3().TTL}}}
		out = append(out, &Match{Left: pair, Op: OpEq, Right: &SetRef{Name: l.SetName(recentset.Set{Role: recentset.TTL})}})
	}
	return out
}

// reapApprox is the warning of --reap: xt_recent removes, per packet the
// check finds in the list, the list's least recently stamped entry if its
// newest stamp is older than --seconds. nft has no such step; the entries
// stay in the list's sets that outlive the window (mem, longer windows and
// rings) until those expire them, and only checks reading those sets, and
// the list's dump, can see the difference.
func (c *ctx) reapApprox(u *recentMatch) {
	o, l := u.o, u.l
	var kept []string
	for _, s := range l.Sets() {
		if to := l.Timeout(s); s.Role != recentset.TTL && (to == 0 || to > time.Duration(o.Seconds)*time.Second) {
			kept = append(kept, "@"+l.SetName(s))
		}
	}
	if len(kept) == 0 {
		u.approx(c, "recent: --reap is not reproduced: xt_recent frees at most one entry older than %ds per packet the check finds, nft expires the list's entries after %ds anyway (every set of list %q times out within it); only which entries a full xt_recent list evicts may differ", o.Seconds, o.Seconds, l.Name)
		return
	}
	u.approx(c, "recent: --reap is not reproduced: xt_recent frees at most one entry older than %ds per packet the check finds; nft keeps such entries in %s until they expire there, so checks of list %q with a longer --seconds or none, and its listing, still see them", o.Seconds, strings.Join(kept, ", "), l.Name)
}

// checks returns the alternative conditions of a positive check: the ring
// conditions with --hitcount above 1, else the window (or mem) lookup.
func (c *ctx) checks(u *recentMatch) [][]Stmt {
	o, l := u.o, u.l
	if o.Hitcount <= 1 {
		return [][]Stmt{c.windowCheck(u, false)}
	}
	if o.reap {
		c.reapApprox(u)
	}
	if o.RTTL {
		u.approx(c, "recent: with --hitcount above 1, --rttl is translated without its TTL test (the kernel also requires the TTL of the last event from the address): a packet with another TTL matches the translation only")
	}
	var out [][]Stmt
	for _, rc := range l.RingChecks(o.Seconds, o.Hitcount) {
		out = append(out, []Stmt{inSet(l, u.key, rc.Ptr, false), inSet(l, u.key, rc.Slot, false)})
	}
	return out
}

// recentRule is an iptables rule with one recent match on its way to nft
// rules: prefix and suffix are its other matches before and after the
// recent one, tail its counter and target.
type recentRule struct {
	c                    *ctx
	u                    *recentMatch
	prefix, suffix, tail []Stmt
}

// ruleOf is an nft rule of the iptables rule's statements parts.
func (c *ctx) ruleOf(parts ...[]Stmt) *Rule {
	var all []Stmt
	for _, p := range parts {
		all = append(all, p...)
	}
	return &Rule{Origin: c.rule.Pos, Stmts: all, Comment: c.comment}
}

// rule is ruleOf for the recent rule's iptables rule.
func (r *recentRule) rule(parts ...[]Stmt) *Rule { return r.c.ruleOf(parts...) }

func (r *recentRule) in(s recentset.Set) []Stmt    { return []Stmt{inSet(r.u.l, r.u.key, s, false)} }
func (r *recentRule) notIn(s recentset.Set) []Stmt { return []Stmt{inSet(r.u.l, r.u.key, s, true)} }

var recentMem = recentset.Set{Role: recentset.Mem}

// rules picks the encoding: one rule when the match has a single-rule form,
// two for "! --remove" and "! --update" without a ring, else sub-chains.
func (r *recentRule) rules() ([]*Rule, error) {
	c, u := r.c, r.u
	o, l := u.o, u.l
	inl, form := c.recentInline(u)
	if cutShort(u, form, len(r.suffix) > 0 || !onlyCounters(r.tail)) {
		switch {
		case form == inlineStop:
			return []*Rule{r.rule(r.prefix, []Stmt{&Counter{}, &Verdict{Kind: VerdictJump, Chain: c.eventChain(l, o.dest)}})}, nil
		case form == inline:
			if out := c.eventsApart([][]Stmt{r.prefix, r.suffix}, []*recentMatch{u}, [][]Stmt{inl}, []inlineForm{form}, r.tail); out != nil {
				return out, nil
			}
		}
		if r.chainable() {
			return r.chains()
		}
		c.fullSetApprox(u)
	}
	switch form {
	case inlineStop:
		return []*Rule{r.rule(r.prefix, inl, []Stmt{&Counter{}})}, nil
	case inline:
		return []*Rule{r.rule(r.prefix, inl, r.suffix, r.tail)}, nil
	}
	if c.statefulAround(r.prefix, r.suffix) {
		u.approx(c, "recent: this rule is split into several nft rules and its other stateful matches (limit, quota, ...) may be evaluated more than once per packet")
	}
	switch {
	case o.Cmd == recentset.CmdRemove && o.Neg:
		// absent: match; present: delete everything, no match.
		return []*Rule{r.rule(r.prefix, r.notIn(recentMem), r.suffix, r.tail),
			r.rule(r.prefix, r.in(recentMem), c.planStmts(l, u.key, l.Remove()), []Stmt{&Counter{}})}, nil
	case o.Cmd == recentset.CmdUpdate && o.Neg && !l.Ring():
		// absent: match without event; present and the check fails: match and stamp.
		cond := c.windowCheck(u, true)
		return []*Rule{r.rule(r.prefix, r.notIn(recentMem), r.suffix, r.tail),
			r.rule(r.prefix, r.in(recentMem), cond, c.planStmts(l, u.key, l.Stamp()), r.suffix, r.tail)}, nil
	}
	return r.chains()
}

// cutShort reports whether the encoding of u in form would put an event's
// set updates in the same nft rule as something that must happen whether
// they succeed or not (followed: more than a counter comes after it in
// its nft rule). nft cannot add an address to a full set (a set's size
// is --recent-size; xt_recent evicts its oldest entry instead), and a
// failed update ends the nft rule: the event's other updates, the xt
// rule's matches after the recent one and its target would not happen,
// and "--set -j DROP" would let the packet through (proven with packets,
// golden/recent-full-set). A single update with only a counter after it
// may stay inline. rules and assembleRecent then take the events apart
// (eventsApart), or into sub-chains (chains), and warn where neither is
// exact.
func cutShort(u *recentMatch, form inlineForm, followed bool) bool {
	o, l := u.o, u.l
	steps := len(l.Stamp())
	switch {
	case form == inlineStop:
		return steps > 1
	case form == inline && (o.Cmd == recentset.CmdSet || o.Cmd == recentset.CmdUpdate),
		form == notInline && o.Cmd == recentset.CmdUpdate && o.Neg && !l.Ring():
		return steps > 1 || steps == 1 && followed
	}
	return false
}

func onlyCounters(st []Stmt) bool {
	return !slices.ContainsFunc(st, func(s Stmt) bool { _, ok := s.(*Counter); return !ok })
}

// fullSetApprox is the warning of an event left inline where cutShort says
// a full set would cut the rule short.
func (c *ctx) fullSetApprox(u *recentMatch) {
	u.approx(c, "recent: when a set of list %q is full (%d addresses), nft cannot add a new address to it and ends the rule there, so that this rule's other updates, matches and target do not happen for that packet (xt_recent evicts its oldest entry instead and goes on)", u.l.Name, c.tr.opt.RecentSize)
}

// chainable reports whether the xt rule's target can move into a sub-chain
// (chains): -j RETURN and -g would then return from, or go on after, the
// sub-chain instead of the rule's chain.
func (r *recentRule) chainable() bool {
	t := r.c.rule.Target
	return t == nil || !(t.Goto || t.Chain && t.Name == "RETURN")
}

// chains is the encoding of ring checks and of events on a list with a
// ring: the rule jumps to a sub-chain R holding the check, whose hits go
// to R_hit, which runs the event (a chain of its own) and the xt rule's
// other matches and target.
func (r *recentRule) chains() ([]*Rule, error) {
	c, u := r.c, r.u
	o, l := u.o, u.l
	if !r.chainable() {
		return nil, c.unsupported(o.pos, "recent: --hitcount above 1 (or an event on such a list) combined with -j RETURN or -g is not supported yet")
	}
	tbl := c.tr.nftTable(c.fam, c.table)
	l.chains++
	name := fmt.Sprintf("%s_r%d", l.Base, l.chains)
	comment := "xt_recent " + l.Name + " rule " + c.rule.Pos.String()
	check := &Chain{Name: name, Comment: comment}
	hit := &Chain{Name: name + "_hit", Comment: comment}
	event := []Stmt{&Verdict{Kind: VerdictJump, Chain: c.eventChain(l, o.dest)}}
	finish := r.rule(r.suffix, r.tail)
	enter := func(ch *Chain) []*Rule {
		return []*Rule{r.rule(r.prefix, []Stmt{&Counter{}, &Verdict{Kind: VerdictJump, Chain: ch.Name}})}
	}
	add := func(rules *[]*Rule, st ...Stmt) { *rules = append(*rules, &Rule{Origin: c.rule.Pos, Stmts: st}) }
	switch {
	case o.Cmd == recentset.CmdSet && !o.Neg:
		add(&hit.Rules, event...)
		hit.Rules = append(hit.Rules, finish)
		tbl.Chains = append(tbl.Chains, hit)
		return enter(hit), nil
	case o.Cmd == recentset.CmdSet: // "! --set": the event, then no match
		return []*Rule{r.rule(r.prefix, []Stmt{&Counter{}}, event)}, nil
	case o.Cmd == recentset.CmdUpdate && o.Neg:
		// absent: match without event; check holds: no match; else event + match.
		add(&check.Rules, append(r.notIn(recentMem), &Verdict{Kind: VerdictGoto, Chain: hit.Name})...)
		for _, cond := range c.checks(u) {
			add(&check.Rules, append(cond, &Verdict{Kind: VerdictReturn})...)
		}
		add(&check.Rules, event...)
		check.Rules = append(check.Rules, finish)
		hit.Rules = []*Rule{finish}
	case o.Neg: // ! --rcheck: check holds: no match; else match.
		for _, cond := range c.checks(u) {
			add(&check.Rules, append(cond, &Verdict{Kind: VerdictReturn})...)
		}
		check.Rules = append(check.Rules, finish)
		tbl.Chains = append(tbl.Chains, check)
		return enter(check), nil
	default: // --rcheck / --update with a ring check
		for _, cond := range c.checks(u) {
			add(&check.Rules, append(cond, &Verdict{Kind: VerdictGoto, Chain: hit.Name})...)
		}
		if o.Cmd == recentset.CmdUpdate {
			add(&hit.Rules, event...)
		}
		hit.Rules = append(hit.Rules, finish)
	}
	tbl.Chains = append(tbl.Chains, check, hit)
	return enter(check), nil
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
