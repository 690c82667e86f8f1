package mutate

import (
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
	"github.com/xt2nft/xt2nft/verify/probe"
)

// Equivalent says why mutant m of rs cannot change what any packet does,
// or "" when it may. Only what can be argued from the program is
// claimed equivalent:
//
//   - a mutant of a chain no base chain reaches (dead code);
//   - a moved base chain that is empty, or that passes no other chain of
//     its hook on the way and uses no conntrack state where it passes
//     conntrack (-200 in prerouting and output, where conntrack takes a
//     packet; the lab's observer sits at the ends, its preset of marks at
//     -180 only sets what such a chain does not read);
//   - two swapped rules that no packet matches both of (their conditions
//     on one key are disjoint), or that both let every packet go on and
//     change nothing (counting rules, jumps to chains that do the same).
//
// A mutated rule counts as dead only when no packet reaches it in the
// original (rs) nor in the mutant (mut, rs with m applied): dropping a
// match can make a dead rule live.
//
// Mutants whose lowered program equals the original's are the caller's to
// find (the netlink program is the proof).
func Equivalent(rs, mut *translate.Ruleset, m Mutant) string {
	if m.Table >= len(rs.Tables) || m.Chain < 0 {
		return ""
	}
	t := rs.Tables[m.Table]
	if m.Chain >= len(t.Chains) {
		return ""
	}
	c := t.Chains[m.Chain]
	if !reachable(t)[c.Name] {
		return "its chain is never reached from a base chain"
	}
	if m.Rule >= 0 && m.Rule < len(c.Rules) && m.Op != "swap rules" && m.Table < len(mut.Tables) && m.Chain < len(mut.Tables[m.Table].Chains) {
		mt := mut.Tables[m.Table]
		if mc := mt.Chains[m.Chain]; m.Rule < len(mc.Rules) {
			if why := Dead(t, c, m.Rule); why != "" && Dead(mt, mc, m.Rule) != "" {
				return why + " (in the mutant too)"
			}
		}
	}
	switch m.Op {
	case "filter for route":
		if !changesRouting(t, c, map[string]bool{}) {
			return "the chain changes nothing routing depends on (mark, addresses, TOS), so it never re-routes"
		}
	case "move priority":
		return priorityEquivalent(rs, t, c)
	case "swap rules":
		if m.Rule+1 < len(c.Rules) {
			return swapEquivalent(t, c, m.Rule)
		}
	case "drop match":
		if m.Rule >= 0 && m.Rule < len(c.Rules) {
			return dropEquivalent(t, c, m.Rule, m.Stmt)
		}
	}
	return ""
}

// dropEquivalent says why dropping match si of rule ri changes nothing:
// the packets the mutant matches besides the rule's are the rule with
// that match inverted, and no packet reaches that rule there (an earlier
// rule takes them, the ways into the chain exclude them).
func dropEquivalent(t *translate.Table, c *translate.Chain, ri, si int) string {
	r := c.Rules[ri]
	if si < 0 || si >= len(r.Stmts) {
		return ""
	}
	mt, ok := r.Stmts[si].(*translate.Match)
	if !ok {
		return ""
	}
	op, ok := inverse[mt.Op]
	if !ok {
		return ""
	}
	inv := *mt
	inv.Op = op
	other := *r
	other.Stmts = append(append(append([]translate.Stmt(nil), r.Stmts[:si]...), &inv), r.Stmts[si+1:]...)
	oc := *c
	oc.Rules = append(append(append([]*translate.Rule(nil), c.Rules[:ri]...), &other), c.Rules[ri+1:]...)
	if why := Dead(t, &oc, ri); why != "" {
		return "the packets it adds, those of the rule with the match inverted, reach no rule there: " + why
	}
	return ""
}

// reachable are the chains of t a base chain reaches (through jumps and
// gotos).
func reachable(t *translate.Table) map[string]bool {
	byName := map[string]*translate.Chain{}
	var queue []*translate.Chain
	seen := map[string]bool{}
	for _, c := range t.Chains {
		byName[c.Name] = c
		if c.Base != nil {
			seen[c.Name] = true
			queue = append(queue, c)
		}
	}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, r := range c.Rules {
			for _, s := range r.Stmts {
				if v, ok := s.(*translate.Verdict); ok && v.Chain != "" && !seen[v.Chain] && byName[v.Chain] != nil {
					seen[v.Chain] = true
					queue = append(queue, byName[v.Chain])
				}
			}
		}
	}
	return seen
}

// conntrack is where conntrack takes packets, per hook.
var conntrack = map[translate.Hook]int{translate.HookPrerouting: -200, translate.HookOutput: -200}

func priorityEquivalent(rs *translate.Ruleset, t *translate.Table, c *translate.Chain) string {
	b := c.Base
	if b == nil {
		return ""
	}
	if len(c.Rules) == 0 {
		return "the chain is empty"
	}
	from, to := b.Priority, MovedPriority(b.Priority)
	lo, hi := min(from, to), max(from, to)
	for _, ot := range rs.Tables {
		if ot.Family != t.Family && ot.Family != translate.FamilyInet && t.Family != translate.FamilyInet {
			continue
		}
		for _, oc := range ot.Chains {
			if oc == c || oc.Base == nil || oc.Base.Hook != b.Hook || len(oc.Rules) == 0 {
				continue
			}
			if p := oc.Base.Priority; p >= lo && p <= hi && !(transparentBase(t, c) && transparentBase(ot, oc)) {
				return "" // the order with another chain changes
			}
		}
	}
	if p, ok := conntrack[b.Hook]; ok && p >= lo && p <= hi && usesConntrack(t, c, map[string]bool{}) {
		return ""
	}
	return "it passes no other chain of its hook, and conntrack only where it uses no conntrack state"
}

// transparentBase reports whether every rule of base chain c lets every
// packet go on and changes nothing: two such chains count the same
// packets in either order.
func transparentBase(t *translate.Table, c *translate.Chain) bool {
	memo := map[string]bool{}
	for _, r := range c.Rules {
		if !transparent(t, r, memo) {
			return false
		}
	}
	return c.Base.Policy == "" || c.Base.Policy == "accept"
}

// usesConntrack reports whether c (or a chain it jumps to) reads or
// writes conntrack state or needs it (NAT, notrack, helpers, ct count).
func usesConntrack(t *translate.Table, c *translate.Chain, seen map[string]bool) bool {
	if seen[c.Name] {
		return false
	}
	seen[c.Name] = true
	for _, r := range c.Rules {
		for _, s := range r.Stmts {
			switch x := s.(type) {
			case *translate.NAT, *translate.Notrack, *translate.ObjRef, *translate.CtCount:
				return true
			case *translate.Match:
				if hasCT(x.Left) {
					return true
				}
			case *translate.Assign:
				if hasCT(x.Left) || hasCT(x.Value) {
					return true
				}
			case *translate.SetStmt:
				if hasCT(x.Key) {
					return true
				}
				for _, in := range x.Stmts {
					if _, ok := in.(*translate.CtCount); ok {
						return true
					}
				}
			case *translate.Verdict:
				if oc := chainNamed(t, x.Chain); x.Chain != "" && oc != nil && usesConntrack(t, oc, seen) {
					return true
				}
			}
		}
	}
	return false
}

func hasCT(e translate.Expr) bool {
	switch x := e.(type) {
	case *translate.CT:
		return true
	case *translate.Binop:
		return hasCT(x.Left) || hasCT(x.Right)
	case *translate.Concat:
		for _, p := range x.Exprs {
			if hasCT(p) {
				return true
			}
		}
	}
	return false
}

func swapEquivalent(t *translate.Table, c *translate.Chain, ri int) string {
	a, b := c.Rules[ri], c.Rules[ri+1]
	// A rule an earlier one takes every packet of stays dead before or
	// after its neighbour, and the neighbour meets the same packets.
	if why := dead(t, c, ri); why != "" {
		return "the first is dead: " + why
	}
	if why := dead(t, &translate.Chain{Rules: append(append([]*translate.Rule(nil), c.Rules[:ri]...), b)}, ri); why != "" {
		return "the second is dead: " + why
	}
	if disjoint(t, a, b) {
		return "no packet matches both rules (their conditions on one key are disjoint)"
	}
	if pa, ok := protocolOf(t, a); ok {
		if pb, ok := protocolOf(t, b); ok && pa != pb {
			return "no packet matches both rules (they test different transport protocols)"
		}
	}
	if transparent(t, a, map[string]bool{}) && transparent(t, b, map[string]bool{}) {
		return "both rules let every packet go on and change nothing"
	}
	if commute(a, b) {
		return "both rules let every packet go on, and neither writes a mark bit the other reads or writes"
	}
	if bareCounter(a) && goesOn(t, b, map[string]bool{}) || bareCounter(b) && goesOn(t, a, map[string]bool{}) {
		return "one rule counts every packet, and the other lets every packet go on"
	}
	return ""
}

// bareCounter reports whether r only counts every packet that reaches it.
func bareCounter(r *translate.Rule) bool {
	for _, s := range r.Stmts {
		if _, ok := s.(*translate.Counter); !ok {
			return false
		}
	}
	return len(r.Stmts) > 0
}

// goesOn reports whether every packet r meets comes back to the rule
// after it: r ends no packet (no accept, drop, reject, NAT, queue, goto),
// and a chain it jumps to only returns to it, whatever it changes on the
// way. seen holds the chains being decided (a loop is not proven).
func goesOn(t *translate.Table, r *translate.Rule, seen map[string]bool) bool {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Reject, *translate.NAT, *translate.Queue, *translate.Synproxy:
			return false
		case *translate.Verdict:
			switch x.Kind {
			case translate.VerdictContinue:
			case translate.VerdictJump:
				if !chainGoesOn(t, x.Chain, seen) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

// chainGoesOn reports whether every packet that enters chain name comes
// back out of it to its caller: its rules end no packet, and a return or a
// goto (to a chain that goes on likewise) only ends the walk early.
func chainGoesOn(t *translate.Table, name string, seen map[string]bool) bool {
	c := chainNamed(t, name)
	if c == nil || seen[name] {
		return false
	}
	seen[name] = true
	defer delete(seen, name)
	for _, r := range c.Rules {
		if r.Disabled != "" || len(r.Stmts) == 0 {
			continue
		}
		v, _ := r.Stmts[len(r.Stmts)-1].(*translate.Verdict)
		rest := *r
		rest.Stmts = r.Stmts[:len(r.Stmts)-1]
		switch {
		case v != nil && v.Kind == translate.VerdictReturn:
			if !goesOn(t, &rest, seen) {
				return false
			}
		case v != nil && v.Kind == translate.VerdictGoto:
			if !goesOn(t, &rest, seen) || !chainGoesOn(t, v.Chain, seen) {
				return false
			}
		case !goesOn(t, r, seen):
			return false
		}
	}
	return true
}

// bits are the bits of the packet mark and the conntrack mark a rule
// reads or writes.
type bits struct{ meta, ct uint64 }

func (x bits) and(y bits) bool { return x.meta&y.meta != 0 || x.ct&y.ct != 0 }

func (x *bits) add(k *desc.MetaKey, c *desc.CTKey, v uint64) bool {
	switch {
	case k == desc.MetaMark:
		x.meta |= v
	case c == desc.CTMark:
		x.ct |= v
	default:
		return false
	}
	return true
}

// markKey returns which mark e is (meta mark or ct mark), or nils.
func markKey(e translate.Expr) (*desc.MetaKey, *desc.CTKey) {
	switch x := e.(type) {
	case *translate.Meta:
		if x.Key == desc.MetaMark {
			return x.Key, nil
		}
	case *translate.CT:
		if x.Key == desc.CTMark && x.Dir == "" {
			return nil, x.Key
		}
	}
	return nil, nil
}

// markEffects returns the mark bits r reads and writes, when r lets every
// packet go on and does nothing but match, count and set marks in forms
// whose bits are known: ok false otherwise.
func markEffects(r *translate.Rule) (read, write bits, ok bool) {
	const all = ^uint64(0) >> 32
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Counter:
		case *translate.Verdict:
			if x.Kind != translate.VerdictContinue {
				return read, write, false
			}
		case *translate.Match:
			markReads(x.Left, &read)
			markReads(x.Right, &read)
		case *translate.Assign:
			mk, ck := markKey(x.Left)
			if mk == nil && ck == nil {
				return read, write, false
			}
			b, ok := x.Value.(*translate.Binop)
			if !ok {
				// A constant, or the other mark: every bit written (and
				// the other mark's read).
				if _, isInt := x.Value.(*translate.Int); !isInt {
					om, oc := markKey(x.Value)
					if om == nil && oc == nil {
						return read, write, false
					}
					read.add(om, oc, all)
				}
				write.add(mk, ck, all)
				continue
			}
			sm, sc := markKey(b.Left)
			n, isInt := b.Right.(*translate.Int)
			if !isInt || sm != mk || sc != ck {
				return read, write, false
			}
			switch b.Op {
			case "^": // flips the bits of n: reads and writes them
				read.add(mk, ck, n.V)
				write.add(mk, ck, n.V)
			case "&": // clears the bits outside n
				write.add(mk, ck, all&^n.V)
			case "|": // sets the bits of n
				write.add(mk, ck, n.V)
			default:
				return read, write, false
			}
		default:
			return read, write, false
		}
	}
	return read, write, true
}

// markReads adds to read the mark bits e reads: those of a mask for
// `mark & N`, every bit of a mark read any other way.
func markReads(e translate.Expr, read *bits) {
	const all = ^uint64(0) >> 32
	switch x := e.(type) {
	case *translate.Binop:
		if n, ok := x.Right.(*translate.Int); ok && x.Op == "&" {
			if mk, ck := markKey(x.Left); mk != nil || ck != nil {
				read.add(mk, ck, n.V)
				return
			}
		}
		markReads(x.Left, read)
		markReads(x.Right, read)
	case *translate.Concat:
		for _, y := range x.Exprs {
			markReads(y, read)
		}
	default:
		if mk, ck := markKey(e); mk != nil || ck != nil {
			read.add(mk, ck, all)
		}
	}
}

// commute reports whether rules a and b give the same result in either
// order: both let every packet go on, and neither writes a mark bit the
// other reads or writes (the counters count the same packets, since what
// each matches is not changed by the other).
func commute(a, b *translate.Rule) bool {
	ra, wa, ok := markEffects(a)
	if !ok {
		return false
	}
	rb, wb, ok := markEffects(b)
	if !ok {
		return false
	}
	return !wa.and(rb) && !wa.and(wb) && !wb.and(ra)
}

// transparent reports whether r lets every packet go on to the next rule
// and changes nothing about it (a counting rule, a jump to a chain of such
// rules). memo holds the chains decided (false while one is being
// decided: a loop is not transparent).
func transparent(t *translate.Table, r *translate.Rule, memo map[string]bool) bool {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Match, *translate.Counter, *translate.Log, *translate.Limit:
		case *translate.Verdict:
			if x.Kind != translate.VerdictJump && x.Kind != translate.VerdictGoto && x.Kind != translate.VerdictContinue {
				return false
			}
			// A goto ends the rest of its chain, but a chain of rules that
			// all go on makes that the same as a jump.
			if x.Kind != translate.VerdictContinue && !transparentChain(t, x.Chain, memo) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func transparentChain(t *translate.Table, name string, memo map[string]bool) bool {
	if v, ok := memo[name]; ok {
		return v
	}
	memo[name] = false
	if c := chainNamed(t, name); c != nil {
		for _, cr := range c.Rules {
			if !transparent(t, cr, memo) {
				return false
			}
		}
	}
	memo[name] = true
	return true
}

// disjoint reports whether two rules test one key with conditions no
// value satisfies both of.
func disjoint(t *translate.Table, a, b *translate.Rule) bool {
	sets := func(name string) *translate.Set {
		for _, s := range t.Sets {
			if s.Name == name {
				return s
			}
		}
		return nil
	}
	v6 := t.Family == translate.FamilyIP6
	for _, sa := range a.Stmts {
		ma, ok := sa.(*translate.Match)
		if !ok {
			continue
		}
		ca, err := probe.CondOf(ma, v6, sets)
		if err != nil || ca.Open() {
			continue
		}
		for _, sb := range b.Stmts {
			mb, ok := sb.(*translate.Match)
			if !ok {
				continue
			}
			cb, err := probe.CondOf(mb, v6, sets)
			if err != nil || cb.Open() {
				continue
			}
			if probe.Disjoint(ca, cb) {
				return true
			}
		}
	}
	return false
}

// changesRouting reports whether c (or a chain it jumps to) changes what
// routing looks at: the mark, an address, the TOS or DSCP.
func changesRouting(t *translate.Table, c *translate.Chain, seen map[string]bool) bool {
	if seen[c.Name] {
		return false
	}
	seen[c.Name] = true
	for _, r := range c.Rules {
		for _, s := range r.Stmts {
			switch x := s.(type) {
			case *translate.Assign:
				switch k := x.Left.(type) {
				case *translate.Meta:
					if k.Key.Name == "mark" {
						return true
					}
				case *translate.Payload, *translate.Raw:
					return true
				}
			case *translate.NAT:
				return true
			case *translate.Verdict:
				if oc := chainNamed(t, x.Chain); x.Chain != "" && oc != nil && changesRouting(t, oc, seen) {
					return true
				}
			}
		}
	}
	return false
}

// dead says why no packet reaches rule ri of c, or "": an earlier rule of
// the chain ends the way of every packet it matches (drop, accept,
// reject, NAT, a goto or a return), and each of its conditions is implied
// by one of the rule's, so every packet the rule matches it takes first.
func dead(t *translate.Table, c *translate.Chain, ri int) string {
	r := c.Rules[ri]
	rc := condsOf(t, r)
	if rc == nil {
		return ""
	}
	for _, x := range rc {
		if probe.Empty(x) {
			return "no packet matches " + x.Text
		}
	}
	if why := deadByState(t, c, ri, rc); why != "" {
		return why
	}
	for _, e := range c.Rules[:ri] {
		if e.Disabled != "" || !ends(t, e) {
			continue
		}
		ec := condsOf(t, e)
		if ec == nil {
			continue
		}
		all := true
		for _, x := range ec {
			implied := false
			for _, y := range rc {
				implied = implied || probe.Implies(y, x)
			}
			if !implied && !impliedProtocol(x, rc) {
				all = false
				break
			}
		}
		if all {
			return "an earlier rule (" + e.Origin.String() + ": " + translate.RenderRule(e) + ") takes every packet it matches"
		}
	}
	return ""
}

// ends reports whether a matching packet goes no further in the chain:
// a verdict other than a jump, a reject or NAT, or a jump to a chain that
// ends every packet.
func ends(t *translate.Table, r *translate.Rule) bool {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Verdict:
			switch x.Kind {
			case translate.VerdictContinue:
				return false
			case translate.VerdictJump:
				return EndsAll(t, x.Chain)
			}
			return true
		case *translate.Reject, *translate.NAT, *translate.Queue, *translate.Synproxy:
			return true
		case *translate.Limit, *translate.Quota, *translate.SetStmt:
			return false // not every matching packet
		}
	}
	return false
}

// EndsAll reports whether every packet that enters chain name of t ends
// its way there (accepted, dropped, rejected, NAT, queued): an
// unconditional rule ends it, and no rule before it can send a packet
// back to the caller (a return, a goto to a chain that may).
func EndsAll(t *translate.Table, name string) bool {
	return endsAll(t, name, map[string]bool{})
}

func endsAll(t *translate.Table, name string, seen map[string]bool) bool {
	if seen[name] {
		return false // a loop: not proven
	}
	seen[name] = true
	defer delete(seen, name)
	c := chainNamed(t, name)
	if c == nil {
		return false
	}
	for _, r := range c.Rules {
		if r.Disabled != "" {
			continue
		}
		v := verdictOf(r)
		if v != nil && (v.Kind == translate.VerdictReturn || v.Kind == translate.VerdictGoto && !endsAll(t, v.Chain, seen)) {
			return false
		}
		if conditional(r) {
			continue
		}
		if v != nil && v.Kind == translate.VerdictJump {
			if endsAll(t, v.Chain, seen) {
				return true
			}
			continue
		}
		if ends(t, r) {
			return true
		}
	}
	return false
}

// conditional reports whether r acts on only some of the packets that
// reach it (a match, a limit, a quota, a set test).
func conditional(r *translate.Rule) bool {
	for _, s := range r.Stmts {
		switch s.(type) {
		case *translate.Match, *translate.Limit, *translate.Quota, *translate.SetStmt:
			return true
		}
	}
	return false
}

func verdictOf(r *translate.Rule) *translate.Verdict {
	for _, s := range r.Stmts {
		if v, ok := s.(*translate.Verdict); ok {
			return v
		}
	}
	return nil
}

func chainNamed(t *translate.Table, name string) *translate.Chain {
	for _, c := range t.Chains {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// condsOf reduces the rule's matches; nil when one cannot be reduced.
func condsOf(t *translate.Table, r *translate.Rule) []*probe.Cond {
	sets := func(name string) *translate.Set {
		for _, s := range t.Sets {
			if s.Name == name {
				return s
			}
		}
		return nil
	}
	out := []*probe.Cond{}
	for _, s := range r.Stmts {
		if m, ok := s.(*translate.Match); ok {
			c, err := probe.CondOf(m, t.Family == translate.FamilyIP6, sets)
			if err != nil || c.Open() {
				return nil
			}
			out = append(out, c)
		}
	}
	return out
}

// impliedProtocol reports whether x is a protocol test the transport
// fields of rc imply (ip protocol tcp, when rc tests tcp dport).
func impliedProtocol(x *probe.Cond, rc []*probe.Cond) bool {
	p, ok := x.Protocol()
	if !ok {
		return false
	}
	for _, y := range rc {
		if q, ok := y.Transport(); ok && q == p {
			return true
		}
	}
	return false
}

// protocolOf is the one transport protocol every packet r matches has.
func protocolOf(t *translate.Table, r *translate.Rule) (uint8, bool) {
	for _, c := range condsOf(t, r) {
		if p, ok := c.Transport(); ok {
			return p, true
		}
		if p, ok := c.Protocol(); ok {
			return p, true
		}
	}
	return 0, false
}

// ctStates are the ct state bits of new, established, related, invalid
// and untracked packets.
var ctStates = []uint64{8, 2, 4, 1, 64}

// deadByState says why no packet reaches a rule that tests the ct state:
// the states it accepts are all taken by earlier rules that test only the
// ct state and end the packet's way, but for untracked, which no packet
// is when no rule of the table makes it so (notrack).
func deadByState(t *translate.Table, c *translate.Chain, ri int, rc []*probe.Cond) string {
	var state *probe.Cond
	for _, x := range rc {
		if x.Keys[0].Kind == probe.KCT && x.Keys[0].CT.Name == "state" {
			state = x
		}
	}
	if state == nil {
		return ""
	}
	left := map[uint64]bool{}
	for _, v := range ctStates {
		if h, _ := state.Holds([]probe.Value{{N: probe.N(v), Present: true}}); h {
			left[v] = true
		}
	}
	if !Notracks(t) {
		delete(left, 64)
	}
	for _, e := range c.Rules[:ri] {
		ec := condsOf(t, e)
		if e.Disabled != "" || !ends(t, e) || len(ec) != 1 || ec[0].Keys[0] != state.Keys[0] {
			continue
		}
		for v := range left {
			if h, _ := ec[0].Holds([]probe.Value{{N: probe.N(v), Present: true}}); h {
				delete(left, v)
			}
		}
	}
	if len(left) == 0 {
		return "the conntrack states it accepts are all taken by earlier rules (and no rule makes a packet untracked)"
	}
	return ""
}

// Notracks reports whether a rule of t exempts packets from conntrack.
func Notracks(t *translate.Table) bool {
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			for _, s := range r.Stmts {
				if _, ok := s.(*translate.Notrack); ok {
					return true
				}
			}
		}
	}
	return false
}

// Dead says why no packet reaches rule ri of chain c of table t ("" when
// it cannot tell): its chain is reached from no base chain, an earlier
// rule takes every packet it matches, or the conntrack states it accepts
// are all taken earlier.
//
// A rule of a chain is dead, too, when every rule that jumps or goes to
// its chain is dead or tests a key the rule tests with values the rule
// does not match (tcp dport 1 jump c; in c: tcp dport 2), and no rule on
// the way changes the packet (keeps) — through the callers' own callers.
func Dead(t *translate.Table, c *translate.Chain, ri int) string {
	if !reachable(t)[c.Name] {
		return "its chain is never reached from a base chain"
	}
	if why := dead(t, c, ri); why != "" {
		return why
	}
	if ri < len(c.Rules) && entriesExclude(t, c, ri, c.Rules[ri], map[string]bool{}) {
		return "every way into its chain tests a field with values the rule does not match"
	}
	return ""
}

// entriesExclude reports whether no packet that reaches rule ri of c can
// match r: c is no base chain, rules 0..ri-1 of c change no packet, and
// each rule that jumps or goes to c is dead, or changes no packet and
// tests a key r tests with values r does not match, or sits in a chain
// whose own ways in exclude r likewise. seen breaks loops (not proven).
func entriesExclude(t *translate.Table, c *translate.Chain, ri int, r *translate.Rule, seen map[string]bool) bool {
	if c.Base != nil || seen[c.Name] {
		return false
	}
	seen[c.Name] = true
	defer delete(seen, c.Name)
	memo := map[string]bool{}
	for _, e := range c.Rules[:ri] {
		if e.Disabled == "" && !keeps(t, e, memo) {
			return false
		}
	}
	callers := 0
	var reach map[string]bool // of the table, once a caller needs it
	for _, ce := range t.Chains {
		for ei, e := range ce.Rules {
			v := verdictOf(e)
			if e.Disabled != "" || v == nil || v.Chain != c.Name || v.Kind != translate.VerdictJump && v.Kind != translate.VerdictGoto {
				continue
			}
			callers++
			if reach == nil {
				reach = reachable(t)
			}
			if !reach[ce.Name] || dead(t, ce, ei) != "" {
				continue
			}
			if !keepsBut(e) {
				return false
			}
			if disjoint(t, e, r) || entriesExclude(t, ce, ei, r, seen) || entriesExclude(t, ce, ei, e, seen) {
				continue
			}
			return false
		}
	}
	return callers > 0
}

// keepsBut reports whether r changes nothing in a packet before its
// verdict (matches, counters, logs, limits only).
func keepsBut(r *translate.Rule) bool {
	for _, s := range r.Stmts {
		switch s.(type) {
		case *translate.Match, *translate.Counter, *translate.Log, *translate.Limit, *translate.Quota, *translate.Verdict:
		default:
			return false
		}
	}
	return true
}

// keeps reports whether a packet that r lets go on is unchanged: r only
// matches, counts, logs, ends the packet's way (accept, drop, reject,
// return), or jumps to a chain whose rules all keep.
func keeps(t *translate.Table, r *translate.Rule, memo map[string]bool) bool {
	for _, s := range r.Stmts {
		switch x := s.(type) {
		case *translate.Match, *translate.Counter, *translate.Log, *translate.Limit, *translate.Quota, *translate.Reject, *translate.SetStmt, *translate.CtCount:
		case *translate.Verdict:
			if x.Chain == "" {
				continue
			}
			if v, ok := memo[x.Chain]; ok {
				if !v {
					return false
				}
				continue
			}
			memo[x.Chain] = false // a loop: not proven
			jc := chainNamed(t, x.Chain)
			if jc == nil {
				return false
			}
			for _, jr := range jc.Rules {
				if jr.Disabled == "" && !keeps(t, jr, memo) {
					return false
				}
			}
			memo[x.Chain] = true
		default:
			return false
		}
	}
	return true
}
