// Package nft is the nftables backend: it lowers the translator's IR to
// netlink objects (github.com/google/nftables) and sends a whole ruleset as
// one atomic batch.
//
// The lowering mirrors what the nft command does with the same text
// (nftables' src/evaluate.c and src/netlink_linearize.c): protocol
// dependencies are inserted where nft inserts them, constants are laid out in
// the byte order of their type, flag types test bits, host-order integers
// are converted before ordered comparisons. The proof is a privileged test:
// for every golden case, the ruleset applied through this package and the
// one `nft -f expected.nft` loads list identically.
package nft

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"

	"github.com/xt2nft/xt2nft/internal/par"
	"github.com/xt2nft/xt2nft/internal/slab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// Program is a lowered ruleset, ready to be sent.
type Program struct {
	Tables []*TableProgram
	// Late, when set, is called by Backend.Apply once every rule is queued,
	// just before the batch is sent; the elements it returns (for sets of
	// the program) go into the same batch, before the rules of their table.
	// xt2nft migrate reads the live xt_recent lists there: as late as
	// possible, and so that their timeouts start right after they were
	// read. Checks and plans, in throwaway namespaces, do not call it.
	Late func() (map[*SetProgram][]nftables.SetElement, error)
	// Committed is set by Backend.Apply to the time the kernel acknowledged
	// the batch's commit: the moment the tables went live.
	Committed time.Time
	// layout and name are the translation's (translate.Ruleset): which
	// tables of xt2nft's other layouts the program replaces (retire.go).
	layout translate.Layout
	name   string
}

// TableProgram is one table's objects in the order they must be created.
type TableProgram struct {
	Table  *nftables.Table
	Sets   []*SetProgram
	Objs   []nftables.Obj
	Chains []*nftables.Chain
	Rules  []*RuleProgram
}

// SetProgram is a set with its initial elements.
type SetProgram struct {
	Set   *nftables.Set
	Elems []nftables.SetElement
	key   []loaded
	data  []loaded // a map's value types
	udata []byte   // user data google/nftables cannot add (typeof), see batch.set
}

// RuleProgram is a rule, the anonymous sets it needs, and where it came from.
type RuleProgram struct {
	Rule   *nftables.Rule
	Anon   []*SetProgram
	Origin parser.Pos
	Text   string // the rule as nft text, for messages
}

// Error is a lowering failure tied to the iptables rule it came from.
type Error struct {
	Pos parser.Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

var families = map[translate.Family]nftables.TableFamily{
	translate.FamilyIP: nftables.TableFamilyIPv4, translate.FamilyIP6: nftables.TableFamilyIPv6,
	translate.FamilyInet: nftables.TableFamilyINet,
}

// Lower turns rs into netlink objects. Rules the translator disabled
// (--allow-partial) are skipped, as nft skips the comments they become.
func Lower(rs *translate.Ruleset) (*Program, error) {
	p := &Program{layout: rs.Layout, name: rs.Name}
	for _, t := range rs.Tables {
		tp, err := lowerTable(t)
		if err != nil {
			return nil, err
		}
		p.Tables = append(p.Tables, tp)
	}
	return p, nil
}

func lowerTable(t *translate.Table) (*TableProgram, error) {
	fam, ok := families[t.Family]
	if !ok {
		return nil, fmt.Errorf("table %s %s: family not supported", t.Family, t.Name)
	}
	tp := &TableProgram{Table: &nftables.Table{Name: t.Name, Family: fam}}
	if t.Comment != "" {
		return nil, fmt.Errorf("table %s %s: table comments are not supported by the netlink backend", t.Family, t.Name)
	}
	sets := map[string]*SetProgram{}
	for _, s := range t.Sets {
		sp, err := lowerSet(tp.Table, t.Family, s)
		if err != nil {
			return nil, &Error{Pos: s.Origin, Msg: fmt.Sprintf("set %s: %v", s.Name, err)}
		}
		sets[s.Name] = sp
		tp.Sets = append(tp.Sets, sp)
	}
	for _, o := range t.Objects {
		obj, err := lowerObject(tp.Table, t.Family, o)
		if err != nil {
			return nil, &Error{Pos: o.Origin, Msg: fmt.Sprintf("%s %s: %v", o.Kind, o.Name, err)}
		}
		tp.Objs = append(tp.Objs, obj)
	}
	chains := map[string]*nftables.Chain{}
	for _, c := range t.Chains {
		ch, err := lowerChain(tp.Table, c)
		if err != nil {
			return nil, err
		}
		chains[c.Name] = ch
		tp.Chains = append(tp.Chains, ch)
	}
	// A table's rules, their programs and expression lists are carved
	// from a few big arrays (a re-apply lowers 20,000 rules, and each
	// allocation was work for the collector too); each part of a big
	// table is lowered on a processor of its own (par), one lowerer
	// building each of its rules' expressions in the same scratch list.
	type item struct {
		c *translate.Chain
		r *translate.Rule
	}
	var items []item
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			if r.Disabled == "" {
				items = append(items, item{c, r})
			}
		}
	}
	n := len(items)
	progs, rules := make([]RuleProgram, n), make([]nftables.Rule, n)
	tp.Rules = make([]*RuleProgram, n)
	err := par.Try(n, parallelRules, func(_, lo, hi int) error {
		var exprs slab.Slab[expr.Any]
		l := &lowerer{fam: t.Family, table: tp.Table, sets: sets}
		for k := lo; k < hi; k++ {
			c, r := items[k].c, items[k].r
			l.reset()
			if err := l.rule(r); err != nil {
				return &Error{Pos: r.Origin, Msg: fmt.Sprintf("cannot lower %q: %v", translate.RenderRule(r), err)}
			}
			nr := &rules[k]
			*nr = nftables.Rule{Table: tp.Table, Chain: chains[c.Name], Exprs: exprs.Take(len(l.out))}
			copy(nr.Exprs, l.out)
			if r.Comment != "" {
				nr.UserData = userdata.AppendString(nil, userdata.TypeComment, r.Comment)
			}
			progs[k] = RuleProgram{Rule: nr, Anon: l.anon, Origin: r.Origin}
			tp.Rules[k] = &progs[k]
		}
		return nil
	})
	if err != nil {
		return nil, err // the program's first refusal
	}
	return tp, nil
}

var hooks = map[translate.Hook]*nftables.ChainHook{
	translate.HookPrerouting: nftables.ChainHookPrerouting, translate.HookInput: nftables.ChainHookInput,
	translate.HookForward: nftables.ChainHookForward, translate.HookOutput: nftables.ChainHookOutput,
	translate.HookPostrouting: nftables.ChainHookPostrouting,
}

func lowerChain(t *nftables.Table, c *translate.Chain) (*nftables.Chain, error) {
	ch := &nftables.Chain{Name: c.Name, Table: t}
	if b := c.Base; b != nil {
		ch.Hooknum = hooks[b.Hook]
		prio := nftables.ChainPriority(b.Priority)
		ch.Priority = &prio
		ch.Type = nftables.ChainType(b.Type)
		pol := nftables.ChainPolicyAccept
		if b.Policy == "drop" {
			pol = nftables.ChainPolicyDrop
		}
		ch.Policy = &pol
	}
	return ch, nil
}

// parallelRules is the least number of rules worth lowering, digesting or
// encoding on several processors.
const parallelRules = 4096

// setIDs numbers every set of a batch: rules refer to anonymous sets (and
// to sets created in the same batch) by ID.
var setIDs atomic.Uint32

func nextSetID() uint32 { return setIDs.Add(1) }

// lowerer builds one rule's expressions.
type lowerer struct {
	fam   translate.Family
	table *nftables.Table
	sets  map[string]*SetProgram
	out   []expr.Any
	anon  []*SetProgram
	// Protocol context established by earlier statements of the rule, as
	// nft's evaluator tracks it: a payload of a protocol already matched
	// needs no dependency.
	l3 uint8  // NFPROTO_IPV4 or NFPROTO_IPV6 established; 0 when unknown
	l4 uint64 // transport protocol number, 0 when unknown
	ll bool   // link-layer type established
	a  *arena // made on first need; kept by reset
}

// arena carves the expressions most rules are made of, and their one-byte
// constants, from big arrays (see internal/slab): one per lowerer, which
// lowers a table or a part of one.
type arena struct {
	cmps     slab.Slab[expr.Cmp]
	payloads slab.Slab[expr.Payload]
	metas    slab.Slab[expr.Meta]
	counters slab.Slab[expr.Counter]
	verdicts slab.Slab[expr.Verdict]
	lookups  slab.Slab[expr.Lookup]
	bytes    slab.Slab[byte]
}

func (l *lowerer) arena() *arena {
	if l.a == nil {
		l.a = &arena{}
	}
	return l.a
}

// put returns a pointer to a copy of v carved from s.
func put[T any](s *slab.Slab[T], v T) *T {
	p := s.New()
	*p = v
	return p
}

// cmp is a comparison of register 1 with data.
func (l *lowerer) cmp(op expr.CmpOp, data []byte) *expr.Cmp {
	return put(&l.arena().cmps, expr.Cmp{Op: op, Register: 1, Data: data})
}

// byte1 is a one-byte constant.
func (l *lowerer) byte1(v byte) []byte {
	b := l.arena().bytes.Take(1)
	b[0] = v
	return b
}

func (l *lowerer) meta(m expr.Meta) *expr.Meta { return put(&l.arena().metas, m) }

func (l *lowerer) payload(p expr.Payload) *expr.Payload { return put(&l.arena().payloads, p) }

func (l *lowerer) emit(e ...expr.Any) { l.out = append(l.out, e...) }

// reset readies the lowerer for the next rule of its table: out keeps its
// array, which the rule before no longer uses.
func (l *lowerer) reset() {
	clear(l.out)
	*l = lowerer{fam: l.fam, table: l.table, sets: l.sets, out: l.out[:0], a: l.a}
}

func (l *lowerer) rule(r *translate.Rule) error {
	merges := translate.PayloadMerges(r.Stmts)
	for i, st := range r.Stmts {
		if pm := mergedAt(merges, i); pm != nil {
			if err := l.merged(r.Stmts, pm, i); err != nil {
				return err
			}
			continue
		}
		if err := l.stmt(st); err != nil {
			return err
		}
	}
	return nil
}
