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
}

func (b *binder) pos(tok int) Pos {
	if tok < 0 || tok >= len(b.toks) {
		return Pos{File: b.file, Line: b.line, Col: 1}
	}
	return Pos{File: b.file, Line: b.line, Col: b.toks[tok].Col}
}

func (b *binder) errorf(tok int, format string, a ...any) {
	b.errs = append(b.errs, Errorf(b.pos(tok), format, a...))
}

func (b *binder) warnf(tok int, format string, a ...any) {
	b.warns = append(b.warns, Diagnostic{Pos: b.pos(tok), Severity: SevWarning, Msg: sprintf(format, a...)})
}

// resolved is an option found in the merged option table.
type resolved struct {
	spec  OptSpec
	owner int // -1: base option; else index into b.mods
}

// resolve looks an option up as getopt_long does over iptables' merged
// table: base options first, then extensions newest first; an exact name
// wins, otherwise a unique prefix is accepted.
func (b *binder) resolve(name string, short bool) (resolved, []string) {
	if short {
		for _, o := range baseOptions {
			if o.Short != 0 && string(o.Short) == name {
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
	try := func(o OptSpec, owner int) (resolved, bool) {
		if o.Name == name {
			return resolved{o, owner}, true
		}
		if strings.HasPrefix(o.Name, name) {
			prefix = append(prefix, cand{resolved{o, owner}, strconv.Itoa(owner) + "/" + canonical(o.Name)})
		}
		return resolved{}, false
	}
	for _, o := range baseOptions {
		if r, ok := try(o, -1); ok {
			return r, nil
		}
	}
	for i := len(b.mods) - 1; i >= 0; i-- {
		for _, o := range b.mods[i].spec.Options {
			if r, ok := try(o, i); ok {
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
	m := &Match{Pos: pos, Name: name, Implicit: implicit}
	b.rule.Matches = append(b.rule.Matches, m)
	b.mods = append(b.mods, loaded{spec: spec, match: m})
	if protoModules[b.proto] == name {
		b.protoM = true
	}
}

// bind turns one line's shape into a command.
func (b *binder) bind(sh *shape) *command {
	b.cmd = &command{pos: b.pos(0)}
	b.rule = &Rule{Pos: b.pos(0)}
	if sh.counter >= 0 {
		b.rule.Counters = parseCounter(b.toks[sh.counter].Value)
	}
	for _, it := range sh.items {
		b.item(it)
		if len(b.errs) > 0 {
			break // one error per line: later ones are usually consequences
		}
	}
	if b.cmd.op == "" && len(b.errs) == 0 {
		b.errorf(0, "no command specified (expected -A, -I, -N, -P, ...)")
	}
	b.cmd.rule = b.rule
	return b.cmd
}

func (b *binder) item(it shapeItem) {
	raw := b.toks[it.opt].Value
	short := !strings.HasPrefix(raw, "--")
	name := strings.TrimLeft(raw, "-")
	if name == "" || (short && len(name) != 1) {
		b.errorf(it.opt, "unknown option %q", raw)
		return
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
		return
	case -3:
		b.errorf(it.opt, "ambiguous option %q (could be %s)", raw, strings.Join(cands, ", "))
		return
	}
	spec := r.spec
	negated := it.bang >= 0
	var words []Arg
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
		words = append(words, Arg{Pos: b.pos(w.tok), Value: t.Value, Quoted: t.Kind == TokQWord})
	}
	if negated && !spec.Invert {
		b.errorf(it.opt, "option %q cannot be negated", "--"+spec.Name)
		return
	}
	if len(words) < spec.MinArgs {
		if spec.MinArgs == 1 {
			b.errorf(it.opt, "option %q requires an argument", "--"+spec.Name)
		} else {
			b.errorf(it.opt, "option %q requires %d arguments", "--"+spec.Name, spec.MinArgs)
		}
		return
	}
	if len(words) > spec.MaxArgs {
		b.errorf(it.words[spec.MaxArgs].tok, "unexpected argument %q after option %q", words[spec.MaxArgs].Value, "--"+spec.Name)
		return
	}
	opt := &Option{Pos: b.pos(it.opt), Name: canonical(spec.Name), Negated: negated, Args: words}
	if it.bang >= 0 {
		opt.Pos = b.pos(it.bang)
	}
	if r.owner >= 0 {
		l := b.mods[r.owner]
		for _, o := range l.optionsOf() {
			if o.Name == opt.Name {
				b.errorf(it.opt, "option %q given more than once", "--"+spec.Name)
				return
			}
		}
		if l.match != nil {
			l.match.Options = append(l.match.Options, opt)
		} else {
			l.target.Options = append(l.target.Options, opt)
		}
		return
	}
	b.base(opt, it)
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
			if n, err := strconv.ParseUint(p, 10, 8); err == nil {
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
			b.errorf(it.words[0].tok, "unknown match %q", mn)
			return
		}
		b.load(spec, mn, opt.Pos, false)
	case name == "jump" || name == "goto":
		if b.rule.Target != nil {
			b.errorf(it.opt, "multiple targets (-j/-g) not allowed")
			return
		}
		tn := opt.Arg(0)
		t := &Target{Pos: opt.Args[0].Pos, Name: tn, Goto: name == "goto"}
		b.rule.Target = t
		if standardTargets[tn] {
			t.Chain = true
			return
		}
		if spec := LookupTarget(tn, b.fam); spec != nil && name == "jump" {
			b.mods = append(b.mods, loaded{spec: spec, target: t})
			return
		}
		t.Chain = true
	case name == "set-counters":
		c := parseCounterWords(opt.Args)
		if c == nil {
			b.errorf(it.opt, "bad counters %q (expected \"-c PACKETS BYTES\")", strings.TrimPrefix(opt.Spec(), "--set-counters "))
			return
		}
		b.rule.Counters = c
	case name == "ipv4":
		b.cmd.fam = IPv4
	case name == "ipv6":
		b.cmd.fam = IPv6
	default:
		// numeric, verbose, exact, wait, line-numbers, modprobe, version, help:
		// they change how iptables runs, not the ruleset.
	}
}

func parseCounter(w string) *Counters {
	p, by, _ := strings.Cut(w[1:len(w)-1], ":")
	pn, err1 := strconv.ParseUint(p, 10, 64)
	bn, err2 := strconv.ParseUint(by, 10, 64)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &Counters{Packets: pn, Bytes: bn}
}

func parseCounterWords(a []Arg) *Counters {
	var p, by string
	switch len(a) {
	case 1:
		var ok bool
		if p, by, ok = strings.Cut(a[0].Value, ":"); !ok {
			p, by, ok = strings.Cut(a[0].Value, ",")
			if !ok {
				return nil
			}
		}
	case 2:
		p, by = a[0].Value, a[1].Value
	default:
		return nil
	}
	pn, err1 := strconv.ParseUint(p, 10, 64)
	bn, err2 := strconv.ParseUint(by, 10, 64)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &Counters{Packets: pn, Bytes: bn}
}
