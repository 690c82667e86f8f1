package parser

import "strings"

// Family is the address family of a dump: IPv4 (iptables) or IPv6 (ip6tables).
type Family int

const (
	// IPv4 is iptables.
	IPv4 Family = 4
	// IPv6 is ip6tables.
	IPv6 Family = 6
)

func (f Family) String() string {
	if f == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// Dump is the state a set of iptables-save dumps or iptables command scripts
// produce: per family, the tables with their chains and rules, as the kernel
// would hold them after iptables-restore (or after running the script).
type Dump struct {
	Tables []*Table
}

// Table is one iptables table of one family.
type Table struct {
	Family Family
	Name   string // filter, nat, mangle, raw, security
	Pos    Pos
	Chains []*Chain
	// byName indexes Chains by name, so that finding a chain costs the
	// same with 100,000 chains as with 10 (a scan made a dump of N chains
	// with jumps cost N² lookups). The parser keeps it current; for a
	// Table built or changed elsewhere, Chain rebuilds it when the number
	// of chains changed.
	byName map[string]*Chain
}

// Chain returns the chain called name, or nil.
func (t *Table) Chain(name string) *Chain {
	if t.byName == nil || len(t.byName) != len(t.Chains) {
		t.reindex()
	}
	if c := t.byName[name]; c != nil && c.Name == name {
		return c
	}
	return nil
}

// reindex rebuilds the chain index from Chains.
func (t *Table) reindex() {
	t.byName = make(map[string]*Chain, len(t.Chains))
	for _, c := range t.Chains {
		t.byName[c.Name] = c
	}
}

// addChain appends a chain and indexes it.
func (t *Table) addChain(c *Chain) {
	if t.byName == nil || len(t.byName) != len(t.Chains) {
		t.reindex()
	}
	t.Chains = append(t.Chains, c)
	t.byName[c.Name] = c
}

// setChains replaces the chains (after a delete) and reindexes them.
func (t *Table) setChains(cs []*Chain) {
	t.Chains = cs
	t.reindex()
}

// renameChain renames c, keeping the index current.
func (t *Table) renameChain(c *Chain, name string) {
	if t.byName == nil || len(t.byName) != len(t.Chains) {
		t.reindex()
	}
	delete(t.byName, c.Name)
	c.Name = name
	t.byName[name] = c
}

// Chain is a built-in or user-defined chain.
type Chain struct {
	Name     string
	Pos      Pos // where it was declared (zero for implicit built-ins)
	Builtin  bool
	Policy   string // ACCEPT or DROP for built-ins; "" for user chains
	Counters *Counters
	Rules    []*Rule
}

// Counters are packet and byte counters from "[p:b]" or "-c p b".
type Counters struct {
	Packets, Bytes uint64
}

// Rule is one rule: base matches (-s -d -i -o -p -f), extension matches in
// order, and a target.
type Rule struct {
	Pos      Pos    // start of the line (column of the command option)
	Text     string // the rule's words as written, for comments and reports
	Chain    string
	Counters *Counters
	// Base holds -s, -d, -i, -o, -p and -f with their canonical long names
	// ("source", "destination", "in-interface", "out-interface", "protocol",
	// "fragment").
	Base    []*Option
	Matches []*Match
	Target  *Target // nil: no target (counting rule)
	// quotes is what the binder saw of double quotes in the words.
	quotes quoteSeen
}

// quoteSeen says whether a rule's words hold a double quote.
type quoteSeen uint8

const (
	quotesUnknown quoteSeen = iota // not bound by the parser
	quotesNone
	quotesSome
)

// HasQuote reports whether a word of the rule (an option's argument)
// holds a double quote, when the parser noted it as it bound the rule
// (known); a rule made otherwise is not known.
func (r *Rule) HasQuote() (has, known bool) {
	return r.quotes == quotesSome, r.quotes != quotesUnknown
}

// BaseOpt returns the base option name, or nil.
func (r *Rule) BaseOpt(name string) *Option {
	for _, o := range r.Base {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Match is one "-m NAME" with its options, or a protocol match loaded
// implicitly by "-p tcp --dport 22" (Implicit).
type Match struct {
	Pos      Pos
	Name     string
	Implicit bool
	Options  []*Option
	found    found
}

// found is the extension of a match or target as the binder found it,
// for the family it bound the rule in: the checks of every rule need not
// look it up again by name.
type found struct {
	spec *ModuleSpec
	fam  Family
}

// lookup is the spec of extension name for fam: the one found, or lookup's.
func (f found) lookup(name string, fam Family, lookup func(string, Family) *ModuleSpec) *ModuleSpec {
	if f.spec != nil && f.fam == fam {
		return f.spec
	}
	return lookup(name, fam)
}

// specFor is LookupMatch(m.Name, fam), from the binder when it can.
func (m *Match) specFor(fam Family) *ModuleSpec { return m.found.lookup(m.Name, fam, LookupMatch) }

// Opt returns the option called name, or nil.
func (m *Match) Opt(name string) *Option { return findOpt(m.Options, name) }

// Target is "-j NAME" or "-g NAME" with its options. A jump to a user chain
// has Chain set and no options.
type Target struct {
	Pos     Pos
	Name    string
	Goto    bool
	Chain   bool // Name is a chain of the same table (or a standard verdict)
	Options []*Option
	found   found
}

// specFor is LookupTarget(t.Name, fam), from the binder when it can.
func (t *Target) specFor(fam Family) *ModuleSpec { return t.found.lookup(t.Name, fam, LookupTarget) }

// Opt returns the option called name, or nil.
func (t *Target) Opt(name string) *Option { return findOpt(t.Options, name) }

func findOpt(opts []*Option, name string) *Option {
	for _, o := range opts {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Option is one option with its words. Name is the canonical long name
// without dashes, even when the input abbreviated it.
type Option struct {
	Pos     Pos
	Name    string
	Negated bool
	Args    []Arg
}

// Arg returns the i-th word's value, or "".
func (o *Option) Arg(i int) string {
	if i < len(o.Args) {
		return o.Args[i].Value
	}
	return ""
}

// Arg is one word of an option.
type Arg struct {
	Pos    Pos
	Value  string
	Quoted bool
}

// Spec renders the option back as iptables words (for messages).
func (o *Option) Spec() string {
	var b strings.Builder
	if o.Negated {
		b.WriteString("! ")
	}
	b.WriteString("--" + o.Name)
	for _, a := range o.Args {
		b.WriteByte(' ')
		if a.Quoted || a.Value == "" || strings.ContainsAny(a.Value, " \t\"") {
			b.WriteString(`"` + strings.ReplaceAll(a.Value, `"`, `\"`) + `"`)
		} else {
			b.WriteString(a.Value)
		}
	}
	return b.String()
}

// Merge combines dumps read from several files. A table restored again by a
// later file replaces the earlier one, as a second iptables-restore would.
func Merge(dumps ...*Dump) *Dump {
	out := &Dump{}
	for _, d := range dumps {
		for _, t := range d.Tables {
			replaced := false
			for i, old := range out.Tables {
				if old.Family == t.Family && old.Name == t.Name {
					out.Tables[i] = t
					replaced = true
				}
			}
			if !replaced {
				out.Tables = append(out.Tables, t)
			}
		}
	}
	return out
}
