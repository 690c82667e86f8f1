package translate

import (
	"fmt"

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
	var out []Stmt
	for i, u := range uses {
		out = append(out, parts[i]...)
		inl, form := c.recentInline(u)
		if form == notInline {
			return nil, c.unsupported(u.o.pos, "recent: several -m recent matches in one rule can only be combined when each is --set, --rcheck, --update or --remove without \"!\" and without --hitcount above 1")
		}
		out = append(out, inl...)
		if form == inlineStop {
			return []*Rule{{Origin: c.rule.Pos, Stmts: append(out, &Counter{})}}, nil
		}
	}
	out = append(out, parts[len(uses)]...)
	return []*Rule{{Origin: c.rule.Pos, Stmts: append(out, tail...), Comment: c.comment}}, nil
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
		u.approx(c, "recent: --reap is not reproduced: xt_recent frees at most one stale entry per matching packet; nft keeps stale entries in @%s (checks with --seconds are unaffected; window-less checks and the list dump see them)", l.SetName(recentset.Set{Role: recentset.Mem}))
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

// checks returns the alternative conditions of a positive check: the ring
// conditions with --hitcount above 1, else the window (or mem) lookup.
func (c *ctx) checks(u *recentMatch) [][]Stmt {
	o, l := u.o, u.l
	if o.Hitcount <= 1 {
		return [][]Stmt{c.windowCheck(u, false)}
	}
	if o.reap {
		u.approx(c, "recent: --reap is not reproduced (xt_recent frees at most one stale entry per matching packet; windowed checks are unaffected)")
	}
	if o.RTTL {
		u.approx(c, "recent: --rttl is ignored together with --hitcount above 1")
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

// rule is an nft rule of the iptables rule's statements parts.
func (r *recentRule) rule(parts ...[]Stmt) *Rule {
	var all []Stmt
	for _, p := range parts {
		all = append(all, p...)
	}
	return &Rule{Origin: r.c.rule.Pos, Stmts: all, Comment: r.c.comment}
}

func (r *recentRule) in(s recentset.Set) []Stmt    { return []Stmt{inSet(r.u.l, r.u.key, s, false)} }
func (r *recentRule) notIn(s recentset.Set) []Stmt { return []Stmt{inSet(r.u.l, r.u.key, s, true)} }

var recentMem = recentset.Set{Role: recentset.Mem}

// rules picks the encoding: one rule when the match has a single-rule form,
// two for "! --remove" and "! --update" without a ring, else sub-chains.
func (r *recentRule) rules() ([]*Rule, error) {
	c, u := r.c, r.u
	o, l := u.o, u.l
	switch inl, form := c.recentInline(u); form {
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

// chains is the encoding of ring checks and of events on a list with a
// ring: the rule jumps to a sub-chain R holding the check, whose hits go
// to R_hit, which runs the event (a chain of its own) and the xt rule's
// other matches and target.
func (r *recentRule) chains() ([]*Rule, error) {
	c, u := r.c, r.u
	o, l := u.o, u.l
	if t := c.rule.Target; t != nil && (t.Goto || t.Chain && t.Name == "RETURN") {
		return nil, c.unsupported(o.pos, "recent: --hitcount above 1 (or an event on such a list) combined with -j RETURN or -g is not supported yet")
	}
	tbl := c.tr.nftTable(c.fam, c.table)
	name := fmt.Sprintf("%s_r%d", l.Base, len(tbl.Chains))
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
