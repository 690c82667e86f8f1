package probe

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// Cond is one condition of a rule, reduced to the form probes are made
// from: the values of one key (or a concatenation of keys) that satisfy
// it. Every relational form of the IR reduces to membership in a set of
// spans (==, !=, <, >=, ranges, prefixes, anonymous and constant named
// sets), a bit test (ct state established,related), or a name pattern
// (iifname "eth*").
type Cond struct {
	Keys []Key // one, or the parts of a concatenation
	Ops  []binop
	V6   bool
	// Elems are the accepted values: for one key, one element of one
	// Spans; for a concatenation, tuples (one Spans per key).
	Elems [][]Spans
	// Neg inverts the membership test.
	Neg bool
	// Flags, when not zero, makes the condition a bit test: it holds when
	// value & Flags != 0 (with Neg, when it is 0).
	Flags Num
	// Names are interface name patterns ("eth0", "eth*") of a string key.
	Names []string
	// Dynamic names the dynamic set (a recent list, a meter) a lookup
	// tests: it depends on earlier packets, not on this one.
	Dynamic string
	// Named is the named set the condition looks up (its elements are the
	// ones the ruleset declares; an ipset's come at run time).
	Named string
	// Text is the condition as nft writes it.
	Text string
}

// Sets resolves a named set of the rule's table (nil: unknown).
type Sets func(name string) *translate.Set

// CondOf reduces a match statement.
func CondOf(m *translate.Match, v6 bool, sets Sets) (*Cond, error) {
	c := &Cond{V6: v6, Text: translate.RenderRule(&translate.Rule{Stmts: []translate.Stmt{m}})}
	if cc, ok := m.Left.(*translate.Concat); ok {
		for _, e := range cc.Exprs {
			k, ops, err := keyOf(e)
			if err != nil {
				return nil, err
			}
			if len(ops) > 0 && k.Kind != KOpaque {
				return nil, fmt.Errorf("%s: masked key in a concatenation", c.Text)
			}
			c.Keys = append(c.Keys, k)
		}
	} else {
		k, ops, err := keyOf(m.Left)
		if err != nil {
			return nil, err
		}
		c.Keys, c.Ops = []Key{k}, ops
	}
	return c, c.fill(m, sets)
}

// width is the width of key i (after the key's operations).
func (c *Cond) width(i int) int { return c.Keys[i].Width(c.V6) }

func (c *Cond) fill(m *translate.Match, sets Sets) error {
	k := c.Keys[0]
	switch m.Op {
	case translate.OpExists:
		c.Elems = [][]Spans{{{{N(1), N(1)}}}}
		return nil
	case translate.OpMissing:
		c.Elems = [][]Spans{{{{N(0), N(0)}}}}
		return nil
	}
	c.Neg = m.Op == translate.OpNe
	if k.IsStr() && len(c.Keys) == 1 {
		return c.names(m)
	}
	switch r := m.Right.(type) {
	case *translate.Bitmask:
		// tcp flags syn / fin,syn,rst,ack: the masked value.
		mask, err := constNum(k, c.V6, r.Mask)
		if err != nil {
			return err
		}
		c.Ops = append(c.Ops, binop{"&", mask})
		return c.elems([]translate.Expr{r.Value})
	case *translate.SetLit:
		return c.elems(r.Elems)
	case *translate.SetRef:
		s := sets(r.Name)
		if s == nil {
			return fmt.Errorf("%s: unknown set @%s", c.Text, r.Name)
		}
		if !staticSet(s) {
			c.Dynamic = r.Name
			return nil
		}
		c.Named = r.Name
		return c.elems(s.Elems)
	}
	if len(c.Keys) > 1 {
		return fmt.Errorf("%s: a concatenation compared with a single value", c.Text)
	}
	t := k.Type()
	_, isInt := m.Right.(*translate.Int)
	if t != nil && t.Flags && len(c.Ops) == 0 && (!isInt || t == desc.CTLabelType) && (m.Op == translate.OpEq || m.Op == "" || m.Op == translate.OpNot) {
		v, err := constNum(k, c.V6, m.Right)
		if err != nil {
			return err
		}
		c.Flags, c.Neg = v, m.Op == translate.OpNot
		return nil
	}
	w := c.width(0)
	switch m.Op {
	case translate.OpLt, translate.OpGt, translate.OpLe, translate.OpGe:
		v, err := constNum(k, c.V6, m.Right)
		if err != nil {
			return err
		}
		var sp Span
		switch m.Op {
		case translate.OpLt:
			prev, ok := v.Sub1()
			if !ok {
				c.Elems = [][]Spans{{nil}} // nothing is below 0
				return nil
			}
			sp = Span{Num{}, prev}
		case translate.OpLe:
			sp = Span{Num{}, v}
		case translate.OpGt:
			next, ok := v.Add1(w)
			if !ok {
				c.Elems = [][]Spans{{nil}}
				return nil
			}
			sp = Span{next, Ones(w)}
		case translate.OpGe:
			sp = Span{v, Ones(w)}
		}
		c.Elems = [][]Spans{{{sp}}}
		return nil
	}
	return c.elems([]translate.Expr{m.Right})
}

// minLife is how long every element of a set with timeouts must have
// left for the set to count as static in a verify run, which lasts
// seconds to minutes (a ban list's elements have hours).
const minLife = 10 * time.Minute

// staticSet says whether s holds, while verify runs, the elements it is
// declared with: no packet writes it, and none of them times out soon (a
// fail2ban, sshguard or crowdsec ban set of hours); its elements are then
// probed as any set's.
func staticSet(s *translate.Set) bool {
	if slices.Contains(s.Flags, translate.SetDynamic) {
		return false
	}
	if !slices.Contains(s.Flags, translate.SetTimeout) {
		return true
	}
	for _, e := range s.Elems {
		life := s.Timeout
		if el, ok := e.(*translate.Elem); ok && el.Timeout > 0 {
			life = el.Timeout
		}
		if life < minLife {
			return false
		}
	}
	return true
}

// elems reads set elements (single values, ranges, prefixes, tuples).
func (c *Cond) elems(es []translate.Expr) error {
	for _, e := range es {
		if el, ok := e.(*translate.Elem); ok {
			e = el.Key
		}
		parts := []translate.Expr{e}
		if cc, ok := e.(*translate.Concat); ok {
			parts = cc.Exprs
		}
		if len(parts) != len(c.Keys) {
			return fmt.Errorf("%s: element %s does not fit the key", c.Text, translate.RenderExpr(e))
		}
		var tuple []Spans
		for i, p := range parts {
			sp, err := c.span(i, p)
			if err != nil {
				return err
			}
			tuple = append(tuple, Spans{sp})
		}
		c.Elems = append(c.Elems, tuple)
	}
	return nil
}

// span is the span of one element part for key i.
func (c *Cond) span(i int, e translate.Expr) (Span, error) {
	k := c.Keys[i]
	switch x := e.(type) {
	case *translate.Range:
		lo, err := constNum(k, c.V6, x.Lo)
		if err != nil {
			return Span{}, err
		}
		hi, err := constNum(k, c.V6, x.Hi)
		return Span{lo, hi}, err
	case *translate.Addr:
		if x.Prefix.Bits() < x.Prefix.Addr().BitLen() {
			return PrefixSpan(x.Prefix), nil
		}
	}
	v, err := constNum(k, c.V6, e)
	return Span{v, v}, err
}

// names reads the patterns of an interface name condition.
func (c *Cond) names(m *translate.Match) error {
	var es []translate.Expr
	switch r := m.Right.(type) {
	case *translate.SetLit:
		es = r.Elems
	default:
		es = []translate.Expr{r}
	}
	for _, e := range es {
		s, ok := e.(*translate.Str)
		if !ok {
			return fmt.Errorf("%s: %s is not a name", c.Text, translate.RenderExpr(e))
		}
		c.Names = append(c.Names, s.V)
	}
	return nil
}

// NameMatches reports whether an interface name matches an nft pattern
// ("eth*" is a prefix; "\*" is a literal star).
func NameMatches(pattern, name string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok && !strings.HasSuffix(p, `\`) {
		return strings.HasPrefix(name, p)
	}
	if pattern == `\*` {
		return name == "*"
	}
	return name == pattern
}

// Holds evaluates the condition on values (one per key; present false
// when the packet has no such value: a socket-less packet's skuid, an
// untracked packet's ct mark). A missing value fails every condition, as
// nft's expressions break the rule when they cannot load. ok is false for
// dynamic sets and opaque keys, which a packet alone does not decide.
func (c *Cond) Holds(vals []Value) (holds, ok bool) {
	if c.Dynamic != "" {
		return false, false
	}
	for i, v := range vals {
		if c.Keys[i].Kind == KOpaque || v.Unknown || v.Unset {
			return false, false
		}
		if !v.Present {
			return false, true
		}
	}
	if c.Names != nil {
		in := false
		for _, p := range c.Names {
			in = in || NameMatches(p, vals[0].Str)
		}
		return in != c.Neg, true
	}
	if !c.Flags.IsZero() {
		set := !apply(vals[0].N, c.Ops).And(c.Flags).IsZero()
		return set != c.Neg, true
	}
	in := false
	for _, tuple := range c.Elems {
		all := true
		for i, sp := range tuple {
			v := vals[i].N
			if i == 0 {
				v = apply(v, c.Ops)
			}
			if !sp.Contains(v) {
				all = false
				break
			}
		}
		if all {
			in = true
			break
		}
	}
	return in != c.Neg, true
}

// Value is what a probe has for a key.
type Value struct {
	N       Num
	Str     string
	Present bool // the packet has the value (a socket, a conntrack entry, the header)
	Unknown bool // nothing the probe sets decides it
	Unset   bool // the allocator has not chosen it yet (addresses, ports)
}

// OpaqueCond is a condition no probe decides: what CondOf cannot reduce.
func OpaqueCond(m *translate.Match) *Cond {
	text := translate.RenderRule(&translate.Rule{Stmts: []translate.Stmt{m}})
	return &Cond{Keys: []Key{{Kind: KOpaque, Name: text}}, Text: text}
}

// Open reports whether no probe decides the condition: a dynamic set's
// membership, an opaque key. Probes are made as if it held.
func (c *Cond) Open() bool {
	if c.Dynamic != "" {
		return true
	}
	for _, k := range c.Keys {
		if k.Kind == KOpaque {
			return true
		}
	}
	return false
}

// Disjoint reports whether no value satisfies both conditions: they test
// the same key (through the same operations) with sets of values that do
// not meet. It answers false when it cannot tell.
func Disjoint(a, b *Cond) bool {
	if len(a.Keys) != 1 || len(b.Keys) != 1 || a.Keys[0] != b.Keys[0] || a.Open() || b.Open() {
		return false
	}
	if len(a.Ops) != len(b.Ops) {
		return false
	}
	for i := range a.Ops {
		if a.Ops[i] != b.Ops[i] {
			return false
		}
	}
	k := a.Keys[0]
	switch {
	case a.Names != nil || b.Names != nil:
		if a.Names == nil || b.Names == nil || a.Neg || b.Neg {
			return false
		}
		for _, x := range a.Names {
			for _, y := range b.Names {
				if x == y || strings.HasSuffix(x, "*") || strings.HasSuffix(y, "*") {
					return false
				}
			}
		}
		return true
	case !a.Flags.IsZero() || !b.Flags.IsZero():
		vals := domain(k, a.V6)
		if k.Kind == KCT && k.CT == desc.CTState {
			vals = append(vals, N(64)) // untracked
		}
		if vals == nil {
			for i := 0; i < k.Width(a.V6) && i < 64; i++ {
				vals = append(vals, Bit(i))
			}
			vals = append(vals, Num{})
		}
		for _, v := range vals {
			ha, _ := a.Holds([]Value{{N: v, Present: true}})
			hb, _ := b.Holds([]Value{{N: v, Present: true}})
			if ha && hb {
				return false
			}
		}
		return true
	}
	return len(a.allowed().Intersect(b.allowed())) == 0
}

// Empty reports whether no value satisfies c: a single-key span
// condition whose set of values is empty (a negated full range, an
// address range that ends before it starts). A named set is never empty
// here: an ipset declared without elements is filled at run time. It
// answers false when it cannot tell.
func Empty(c *Cond) bool {
	if len(c.Keys) != 1 || c.Open() || c.Names != nil || !c.Flags.IsZero() || c.Named != "" {
		return false
	}
	return len(c.allowed()) == 0
}

// allowed is the set of (operated) values a single-key span condition
// accepts.
func (c *Cond) allowed() Spans {
	var s Spans
	for _, t := range c.Elems {
		s = append(s, t[0]...)
	}
	s = s.Norm()
	if c.Neg {
		return s.Complement(c.width(0))
	}
	return s
}

// Implies reports whether every value that satisfies a satisfies b (a
// single key tested through the same operations; false when it cannot
// tell).
func Implies(a, b *Cond) bool {
	if len(a.Keys) != 1 || len(b.Keys) != 1 || a.Keys[0] != b.Keys[0] || a.Open() || b.Open() || len(a.Ops) != len(b.Ops) {
		return false
	}
	for i := range a.Ops {
		if a.Ops[i] != b.Ops[i] {
			return false
		}
	}
	if a.Names != nil || b.Names != nil || !a.Flags.IsZero() || !b.Flags.IsZero() {
		return a.Text == b.Text
	}
	sa, sb := a.allowed(), b.allowed()
	return len(sa) > 0 && len(sa.Intersect(sb)) == len(sa) && equalSpans(sa.Intersect(sb), sa)
}

func equalSpans(a, b Spans) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Protocol is the protocol a protocol test (ip protocol, meta l4proto)
// requires, when it requires one.
func (c *Cond) Protocol() (uint8, bool) {
	if len(c.Keys) != 1 || !isProtoKey(c.Keys[0]) || c.Neg || !c.Flags.IsZero() || len(c.Ops) > 0 {
		return 0, false
	}
	s := c.allowed()
	if len(s) == 1 && s[0].Lo == s[0].Hi {
		return uint8(s[0].Lo.Lo), true
	}
	return 0, false
}

// Transport is the protocol whose header fields the condition tests (tcp
// for tcp dport; none for th, which any port protocol has).
func (c *Cond) Transport() (uint8, bool) {
	for _, k := range c.Keys {
		if k.Kind == KField {
			if p := k.Field.Proto; p.Kind == desc.Payload && p.Base == desc.TransportHeader && p.Implied {
				return p.Number, true
			}
		}
	}
	return 0, false
}
