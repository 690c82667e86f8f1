package parser

import (
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/ipproto"
)

// command is one bound line: an iptables command with its rule.
type command struct {
	pos   Pos
	op    string // canonical long name of the command option: append, insert, ...
	table string // from -t (script mode)
	args  []Arg  // words of the command option (chain, index, policy, ...)
	rule  *Rule
	fam   Family // -4/-6 restriction, 0 if none
	// steps are kernelSteps of rule for the table of family stepsFam
	// called stepsFor, when stepsDone: found by the binder of a dump,
	// beside the goroutine that applies the lines.
	steps     []kernelStep
	stepsFor  string
	stepsFam  Family
	stepsDone bool
}

var commandOps = map[string]bool{
	"append": true, "check": true, "delete": true, "insert": true, "replace": true, "list": true,
	"list-rules": true, "flush": true, "zero": true, "new-chain": true, "delete-chain": true,
	"rename-chain": true, "policy": true,
}

// aliases maps option names to the canonical name they are stored under.
var aliases = map[string]string{
	"src": "source", "dst": "destination",
	"source-port": "sport", "destination-port": "dport",
	"source-ports": "sports", "destination-ports": "dports",
}

func canonical(name string) string {
	if a, ok := aliases[name]; ok {
		return a
	}
	return name
}

// loaded is an extension whose options are currently recognised, as getopt
// sees them after xtables_merge_options.
type loaded struct {
	spec   *ModuleSpec
	match  *Match  // for matches
	target *Target // for targets
}

type binder struct {
	file   string
	line   int
	fam    Family
	script bool
	errs   ErrorList
	warns  []Diagnostic
	toks   []Token
	cmd    *command
	rule   *Rule
	mods   []loaded
	proto  string
	protoM bool // the protocol's match has been loaded (explicitly or implicitly)
	// opts and args are the line's options and words, allocated at once
	// (a line has at most as many of each as it has items and words).
	opts []Option
	args []Arg
	// arena is where the line's tree is allocated (nil: the heap).
	arena *arena
	items int // the line's number of items (the most options an owner can have)
}

// lineAlloc is the command and rule of one line, allocated at once.
type lineAlloc struct {
	cmd  command
	rule Rule
}

func (b *binder) pos(tok int) Pos {
	if tok < 0 || tok >= len(b.toks) {
		return Pos{File: b.file, Line: b.line, Col: 1}
	}
	line := b.line
	if l := b.toks[tok].Line; l != 0 {
		line = l
	}
	return Pos{File: b.file, Line: line, Col: b.toks[tok].Col}
}

func (b *binder) errorf(tok int, format string, a ...any) {
	b.errs = append(b.errs, Errorf(b.pos(tok), format, a...))
}

func (b *binder) errorAt(p Pos, format string, a ...any) {
	b.errs = append(b.errs, Errorf(p, format, a...))
}

func (b *binder) warnf(tok int, format string, a ...any) {
	b.warns = append(b.warns, Diagnostic{Pos: b.pos(tok), Severity: SevWarning, Msg: sprintf(format, a...)})
}

// resolved is an option found in the merged option table.
type resolved struct {
	spec  *OptSpec // the table's entry (not a copy: resolving is per option of every rule)
	owner int      // -1: base option; else index into b.mods
}

// resolve looks an option up as getopt_long does over iptables' merged
// table: base options first, then extensions newest first; an exact name
// wins, otherwise a unique prefix is accepted.
func (b *binder) resolve(name string, short bool) (resolved, []string) {
	if short {
		if len(name) == 1 {
			if o := baseByShort[name[0]]; o != nil {
				return resolved{o, -1}, nil
			}
		}
		return resolved{owner: -2}, nil
	}
	// Exact names first (the common case): base options, then extensions
	// newest first, as getopt_long finds an exact match before prefixes.
	if o, ok := baseByName[name]; ok {
		return resolved{o, -1}, nil
	}
	for i := len(b.mods) - 1; i >= 0; i-- {
		if o, ok := b.mods[i].spec.byName[name]; ok {
			return resolved{o, i}, nil
		}
	}
	type cand struct {
		r   resolved
		key string
	}
	var prefix []cand
	try := func(o *OptSpec, owner int) (resolved, bool) {
		if o.Name == name {
			return resolved{o, owner}, true
		}
		if strings.HasPrefix(o.Name, name) {
			prefix = append(prefix, cand{resolved{o, owner}, strconv.Itoa(owner) + "/" + canonical(o.Name)})
		}
		return resolved{}, false
	}
	for i := range baseOptions {
		if r, ok := try(&baseOptions[i], -1); ok {
			return r, nil
		}
	}
	for i := len(b.mods) - 1; i >= 0; i-- {
		for j := range b.mods[i].spec.Options {
			if r, ok := try(&b.mods[i].spec.Options[j], i); ok {
				return r, nil
			}
		}
	}
	if len(prefix) == 0 {
		return resolved{owner: -2}, nil
	}
	first := prefix[0]
	var names []string
	ambiguous := false
	for _, c := range prefix {
		names = append(names, "--"+c.r.spec.Name)
		if c.key != first.key {
			ambiguous = true
		}
	}
	if ambiguous {
		return resolved{owner: -3}, names
	}
	return first.r, nil
}

func (b *binder) load(spec *ModuleSpec, name string, pos Pos, implicit bool) {
	m := b.arena.match()
	*m = Match{Pos: pos, Name: name, Implicit: implicit, Options: b.arena.optionList(b.items), found: found{spec, b.fam}}
	if b.rule.Matches == nil {
		b.rule.Matches = b.arena.matchList(b.items)
	}
	b.rule.Matches = append(b.rule.Matches, m)
	b.mods = append(b.mods, loaded{spec: spec, match: m})
	if protoModules[b.proto] == name {
		b.protoM = true
	}
}

// bind turns one line's shape into a command.
func (b *binder) bind(sh *shape) *command {
	la := b.arena.line()
	la.cmd.pos = b.pos(0)
	la.rule.Pos = la.cmd.pos
	b.cmd, b.rule = &la.cmd, &la.rule
	b.items = len(sh.items)
	b.opts = b.arena.options(len(sh.items))
	b.args = b.arena.words(sh.words + 1)
	b.mods = b.arena.loadedList()
	b.rule.Base = b.arena.optionList(len(sh.items))
	if sh.counter >= 0 {
		if v, ok := counterValue(b.toks[sh.counter].Value); ok {
			b.rule.Counters = b.arena.counter()
			*b.rule.Counters = v
		}
	}
	for i := 0; i < len(sh.items); i++ {
		var next *shapeItem
		if i+1 < len(sh.items) {
			next = &sh.items[i+1]
		}
		if b.item(sh.items[i], next) {
			i++ // the next item's option was this one's argument
		}
		if len(b.errs) > 0 {
			break // one error per line: later ones are usually consequences
		}
	}
	if b.cmd.op == "" && len(b.errs) == 0 {
		b.errorf(0, "no command specified (expected -A, -I, -N, -P, ...)")
	}
	if len(b.errs) == 0 && (b.cmd.op == "append" || b.cmd.op == "insert" || b.cmd.op == "replace" ||
		b.cmd.op == "check" || (b.cmd.op == "delete" && len(b.cmd.args) < 2)) {
		b.fcheck()
	}
	b.cmd.rule = b.rule
	// Whether a word holds a double quote (the translator refuses what
	// nft cannot write), noted here, where the words are at hand.
	b.rule.quotes = quotesNone
	for _, a := range b.args {
		if strings.IndexByte(a.Value, '"') >= 0 {
			b.rule.quotes = quotesSome
			break
		}
	}
	b.trim()
	if b.arena != nil {
		b.arena.mods = b.mods[:0]
	}
	return b.cmd
}

// trim gives the rule's empty lists as nil, as on the heap.
func (b *binder) trim() {
	r := b.rule
	if len(r.Base) == 0 {
		r.Base = nil
	}
	if len(r.Matches) == 0 {
		r.Matches = nil
	}
	for _, m := range r.Matches {
		if len(m.Options) == 0 {
			m.Options = nil
		}
	}
	if r.Target != nil && len(r.Target.Options) == 0 {
		r.Target.Options = nil
	}
}

// item binds one option with its words. An option that needs an argument
// and has none takes the next word even when it looks like an option, as
// getopt_long does (-o -j MARK: "-j" is the interface, "MARK" a stray
// argument); consumed reports that next was taken.
func (b *binder) item(it shapeItem, next *shapeItem) (consumed bool) {
	raw := b.toks[it.opt].Value
	short := !strings.HasPrefix(raw, "--")
	// --name=VALUE is --name VALUE, as getopt_long reads it.
	var inline *Arg
	if i := strings.IndexByte(raw, '='); !short && i > 2 {
		p := b.pos(it.opt)
		p.Col += i + 1
		inline = &Arg{Pos: p, Value: raw[i+1:], Quoted: b.toks[it.opt].Quoted}
		raw = raw[:i]
	}
	name := strings.TrimLeft(raw, "-")
	if name == "" || (short && len(name) != 1) {
		b.errorf(it.opt, "unknown option %q", raw)
		return false
	}
	r, cands := b.resolve(name, short)
	if r.owner == -2 && b.proto != "" && !b.protoM {
		if mn, ok := protoModules[b.proto]; ok {
			if spec := LookupMatch(mn, b.fam); spec != nil {
				b.load(spec, mn, b.pos(it.opt), true)
				r, cands = b.resolve(name, short)
			}
		}
	}
	switch r.owner {
	case -2:
		b.errorf(it.opt, "unknown option %q%s", raw, b.context())
		return false
	case -3:
		b.errorf(it.opt, "ambiguous option %q (could be %s)", raw, strings.Join(cands, ", "))
		return false
	}
	spec := r.spec
	negated := it.bang >= 0
	first := len(b.args) // the option's words are b.args[first:]
	if inline != nil {
		if spec.MaxArgs == 0 {
			b.errorf(it.opt, "option %q doesn't allow an argument", "--"+spec.Name)
			return false
		}
		b.args = append(b.args, *inline)
	}
	for _, w := range it.words {
		if w.postBang {
			if negated {
				b.errorf(w.tok, "multiple \"!\" flags not allowed")
			}
			negated = true
			b.warnf(w.tok, "postfix \"!\" in %q is deprecated; write \"! --%s ...\"", raw+" !", spec.Name)
			continue
		}
		t := b.toks[w.tok]
		b.args = append(b.args, Arg{Pos: b.pos(w.tok), Value: t.Value, Quoted: t.Kind == TokQWord})
	}
	words := b.args[first:]
	if len(words) == 0 && spec.MinArgs == 1 && next != nil && next.bang < 0 {
		t := b.toks[next.opt]
		b.args = append(b.args, Arg{Pos: b.pos(next.opt), Value: t.Value})
		words = b.args[first:]
		consumed = true
		if len(next.words) > 0 {
			w := b.toks[next.words[0].tok]
			b.errorf(next.words[0].tok, "bad argument %q (option %q took %q as its argument, as iptables' getopt does)", w.Value, raw, t.Value)
			return true
		}
	}
	if negated && !spec.Invert {
		b.errorf(it.opt, "option %q cannot be negated", "--"+spec.Name)
		return false
	}
	if len(words) < spec.MinArgs {
		if spec.MinArgs == 1 {
			b.errorf(it.opt, "option %q requires an argument", "--"+spec.Name)
		} else {
			b.errorf(it.opt, "option %q requires %d arguments", "--"+spec.Name, spec.MinArgs)
		}
		return false
	}
	if len(words) > spec.MaxArgs {
		b.errorAt(words[spec.MaxArgs].Pos, "unexpected argument %q after option %q", words[spec.MaxArgs].Value, "--"+spec.Name)
		return false
	}
	if len(words) == 0 {
		words = nil
	} else {
		words = words[:len(words):len(words)] // later words do not grow into it
	}
	b.opts = append(b.opts, Option{Pos: b.pos(it.opt), Name: spec.canonName(), Negated: negated, Args: words})
	opt := &b.opts[len(b.opts)-1]
	if it.bang >= 0 {
		opt.Pos = b.pos(it.bang)
	}
	if r.owner >= 0 {
		l := b.mods[r.owner]
		for _, o := range l.optionsOf() {
			if o.Name == opt.Name {
				b.errorf(it.opt, "option %q given more than once", "--"+spec.Name)
				return false
			}
		}
		if l.match != nil {
			l.match.Options = append(l.match.Options, opt)
		} else {
			l.target.Options = append(l.target.Options, opt)
		}
		return consumed
	}
	b.base(opt, it)
	return consumed
}

// fcheck applies each extension's option constraints once the rule is
// read, in table order, with iptables' messages (libxtables'
// xtables_options_fcheck): mandatory options, options that need others,
// options that exclude others.
func (b *binder) fcheck() {
	for _, l := range b.mods {
		name, pos := "", Pos{}
		if l.match != nil {
			name, pos = l.match.Name, l.match.Pos
		} else {
			name, pos = l.target.Name, l.target.Pos
		}
		if !l.spec.constrained {
			continue
		}
		opts := l.optionsOf()
		given := func(name string) *Option {
			for _, o := range opts {
				if o.Name == name {
					return o
				}
			}
			return nil
		}
		for _, e := range l.spec.Options {
			if canonical(e.Name) != e.Name {
				continue // an alias: the canonical entry carries the constraints
			}
			o := given(e.Name)
			if e.Mand && o == nil {
				b.errs = append(b.errs, Errorf(pos, "%s: option \"--%s\" must be specified", name, e.Name))
				return
			}
			if o == nil {
				continue
			}
			for _, a := range e.Also {
				if given(a) == nil {
					b.errs = append(b.errs, Errorf(o.Pos, "%s: option \"--%s\" also requires \"--%s\".", name, e.Name, a))
					return
				}
			}
			for _, x := range e.Excl {
				if given(x) != nil {
					b.errs = append(b.errs, Errorf(o.Pos, "%s: option \"--%s\" cannot be used together with \"--%s\".", name, e.Name, x))
					return
				}
			}
		}
	}
}

func (l loaded) optionsOf() []*Option {
	if l.match != nil {
		return l.match.Options
	}
	return l.target.Options
}

func (b *binder) context() string {
	if len(b.mods) == 0 {
		return ""
	}
	l := b.mods[len(b.mods)-1]
	if l.target != nil {
		return " for target " + strconv.Quote(l.target.Name)
	}
	return " for match " + strconv.Quote(l.match.Name)
}

func (b *binder) base(opt *Option, it shapeItem) {
	switch name := opt.Name; {
	case commandOps[name]:
		if b.cmd.op != "" {
			b.errorf(it.opt, "only one command allowed per line (have --%s and --%s)", b.cmd.op, name)
			return
		}
		b.cmd.op = name
		b.cmd.pos = opt.Pos
		b.cmd.args = opt.Args
		b.rule.Pos = opt.Pos
		if len(opt.Args) > 0 {
			b.rule.Chain = opt.Args[0].Value
		}
	case name == "table":
		if !b.script {
			b.errorf(it.opt, "option \"-t\" cannot be used in an iptables-restore dump; use a *table line")
			return
		}
		b.cmd.table = opt.Arg(0)
	case name == "source" || name == "destination" || name == "in-interface" || name == "out-interface" ||
		name == "protocol" || name == "fragment":
		if b.rule.BaseOpt(name) != nil {
			b.errorf(it.opt, "multiple --%s options not allowed", name)
			return
		}
		if name == "fragment" && b.fam == IPv6 {
			b.errorf(it.opt, "option \"-f\" is not available in ip6tables (use -m frag)")
			return
		}
		if name == "protocol" {
			p := strings.ToLower(opt.Arg(0))
			if !isNumber(p) {
				// a name (checked first: a failed ParseUint allocates its error)
			} else if n, err := strconv.ParseUint(p, 10, 8); err == nil {
				// -p 6 is -p tcp (iptables looks the number up the same way)
				if pr, ok := ipproto.ByNumber(uint8(n)); ok {
					p = pr.Name
				}
			}
			b.proto = p
			opt.Args[0].Value = p
		}
		b.rule.Base = append(b.rule.Base, opt)
	case name == "match":
		mn := opt.Arg(0)
		spec := LookupMatch(mn, b.fam)
		if spec == nil {
			other := IPv6
			if b.fam == IPv6 {
				other = IPv4
			}
			if LookupMatch(mn, other) != nil {
				b.errorAt(opt.Args[0].Pos, "match %q exists only in %s, and this rule is read as %s", mn, toolName(other), famName(b.fam))
				return
			}
			b.errorAt(opt.Args[0].Pos, "unknown match %q", mn)
			return
		}
		b.load(spec, mn, opt.Pos, false)
	case name == "jump" || name == "goto":
		if b.rule.Target != nil {
			b.errorf(it.opt, "multiple targets (-j/-g) not allowed")
			return
		}
		tn := opt.Arg(0)
		t := b.arena.target()
		*t = Target{Pos: opt.Args[0].Pos, Name: tn, Goto: name == "goto"}
		b.rule.Target = t
		if standardTargets[tn] {
			if name == "goto" {
				// iptables: "goto 'ACCEPT' is not a chain".
				b.errorAt(opt.Args[0].Pos, "goto %q is not a chain", tn)
				return
			}
			t.Chain = true
			return
		}
		if spec := LookupTarget(tn, b.fam); spec != nil && name == "jump" {
			t.Options = b.arena.optionList(b.items)
			t.found = found{spec, b.fam}
			b.mods = append(b.mods, loaded{spec: spec, target: t})
			return
		}
		t.Chain = true
	case name == "set-counters":
		v, ok := counterWords(opt.Args)
		if !ok {
			b.errorf(it.opt, "bad counters %q (expected \"-c PACKETS BYTES\")", strings.TrimPrefix(opt.Spec(), "--set-counters "))
			return
		}
		b.rule.Counters = b.arena.counter()
		*b.rule.Counters = v
	case name == "ipv4":
		b.cmd.fam = IPv4
	case name == "ipv6":
		b.cmd.fam = IPv6
	default:
		// numeric, verbose, exact, wait, line-numbers, modprobe, version, help:
		// they change how iptables runs, not the ruleset.
	}
}

// toolName is the iptables program of a family.
func toolName(f Family) string {
	if f == IPv6 {
		return "ip6tables"
	}
	return "iptables"
}

func parseCounter(w string) *Counters {
	v, ok := counterValue(w)
	if !ok {
		return nil
	}
	return &v
}

// counterValue reads "[packets:bytes]".
func counterValue(w string) (Counters, bool) {
	p, by, _ := strings.Cut(w[1:len(w)-1], ":")
	pn, err1 := strconv.ParseUint(p, 10, 64)
	bn, err2 := strconv.ParseUint(by, 10, 64)
	if err1 != nil || err2 != nil {
		return Counters{}, false
	}
	return Counters{Packets: pn, Bytes: bn}, true
}

// counterWords reads the words of -c: "PACKETS BYTES", "PACKETS:BYTES" or
// "PACKETS,BYTES".
func counterWords(a []Arg) (Counters, bool) {
	var p, by string
	switch len(a) {
	case 1:
		var ok bool
		if p, by, ok = strings.Cut(a[0].Value, ":"); !ok {
			p, by, ok = strings.Cut(a[0].Value, ",")
			if !ok {
				return Counters{}, false
			}
		}
	case 2:
		p, by = a[0].Value, a[1].Value
	default:
		return Counters{}, false
	}
	pn, err1 := strconv.ParseUint(p, 10, 64)
	bn, err2 := strconv.ParseUint(by, 10, 64)
	if err1 != nil || err2 != nil {
		return Counters{}, false
	}
	return Counters{Packets: pn, Bytes: bn}, true
}
