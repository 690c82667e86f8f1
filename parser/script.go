package parser

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Script mode reads a shell script statically (shell.go finds its
// commands). Plain iptables command lines are translated; every other way
// the script may run an iptables-family command (through a variable, in a
// function, loop, if or && list, iptables-restore, another script, ...) is
// an error that points to xt2nft --exec, which runs the script in a sandbox
// and translates what it built. Commands that are not firewall commands
// (ip rule, sysctl, echo) are reported and skipped.

// scriptCommands are the programs whose lines script mode reads.
var scriptCommands = map[string]Family{
	"iptables": IPv4, "iptables-legacy": IPv4, "iptables-nft": IPv4,
	"ip6tables": IPv6, "ip6tables-legacy": IPv6, "ip6tables-nft": IPv6,
}

// execHint ends every refusal: the way out.
const execHint = "xt2nft cannot read that statically: run the script with xt2nft --exec (in a sandbox)"

// iptKind classifies the iptables family's programs.
type iptKind int

const (
	notIpt      iptKind = iota
	iptRule             // iptables, ip6tables, -legacy, -nft: one command
	iptReadOnly         // -save, -translate: change nothing
	iptRestore          // -restore, -apply, xtables-*-multi: a ruleset from input
)

// iptProgram classifies a program name (a path's base name).
func iptProgram(name string) iptKind {
	if _, ok := scriptCommands[name]; ok {
		return iptRule
	}
	switch name {
	case "xtables-legacy-multi", "xtables-nft-multi", "xtables-multi", "iptables-apply", "ip6tables-apply":
		return iptRestore
	case "iptables-translate", "ip6tables-translate", "iptables-restore-translate", "ip6tables-restore-translate",
		"iptables-xml":
		return iptReadOnly
	}
	for _, suffix := range []string{"-save", "-restore"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if _, ok := scriptCommands[base]; ok {
				if suffix == "-save" {
					return iptReadOnly
				}
				return iptRestore
			}
		}
	}
	return notIpt
}

// mentionsIpt finds an iptables-family program name in shell text.
var mentionsIpt = regexp.MustCompile(`(^|[^A-Za-z0-9_-])(ip6?tables(-legacy|-nft)?(-save|-restore|-apply)?|xtables(-legacy|-nft)?-multi)($|[^A-Za-z0-9_-])`)

// scriptReader holds what the whole script tells about its commands.
type scriptReader struct {
	p       *fileParser
	sh      *shScript
	vars    map[string][]varDef // assignments anywhere in the script
	aliases map[string][]varDef
	exited  *Pos // a plain top-level exit: nothing after it runs
	// budget bounds the classifications of one command (variables and
	// aliases that name each other).
	budget int
	// bodies marks the here-documents already read as scripts.
	bodies map[int]bool
}

// varDef is one assignment of a variable (or alias).
type varDef struct {
	pos    Pos
	value  string
	static bool
}

// script reads a shell script; see the comment at the top of this file.
func (p *fileParser) script(src []byte) {
	sh := readShell(p.name, string(src))
	for _, e := range sh.Errs {
		p.errs = append(p.errs, Errorf(e.Pos, "%s; %s", e.Msg, execHint))
	}
	if tb := sh.TrailingBackslash; tb != nil {
		p.errs = append(p.errs, Errorf(*tb, "the file ends with a continued line (a last \"\\\"): bash runs the command, dash keeps the \"\\\", and the rest of the command may be missing; remove the \"\\\" or run the script with xt2nft --exec"))
	}
	r := &scriptReader{p: p, sh: sh, vars: map[string][]varDef{}, aliases: map[string][]varDef{}}
	r.collect()
	// Commands read from here-documents run as scripts are appended while
	// reading, so index the slice.
	for i := 0; i < len(sh.Cmds); i++ {
		r.command(sh.Cmds[i])
	}
	sort.SliceStable(p.warns, func(i, j int) bool { return p.warns[i].Pos.Before(p.warns[j].Pos) })
}

// collect records every assignment and alias of the script.
func (r *scriptReader) collect() {
	add := func(m map[string][]varDef, w shWord, name, value string) {
		m[name] = append(m[name], varDef{pos: w.Pos, value: value, static: w.Static})
	}
	for _, c := range append(append([]*shCmd{}, r.sh.Assigns...), r.sh.Cmds...) {
		for _, w := range c.Assigns {
			name, value := assignment(w)
			add(r.vars, w, name, value)
		}
		if len(c.Words) == 0 || !c.Words[0].Static {
			continue
		}
		switch c.Words[0].Lit {
		case "export", "local", "readonly", "declare", "typeset":
			for _, w := range c.Words[1:] {
				if isAssignment(w) {
					name, value := assignment(w)
					add(r.vars, w, name, value)
				}
			}
		case "alias":
			for _, w := range c.Words[1:] {
				if name, value, ok := strings.Cut(w.Lit, "="); ok {
					add(r.aliases, w, name, value)
				}
			}
		case "read":
			// read VAR: a value from input, unknown here.
			for _, w := range c.Words[1:] {
				if !strings.HasPrefix(w.Lit, "-") {
					r.vars[w.Lit] = append(r.vars[w.Lit], varDef{pos: w.Pos})
				}
			}
		}
	}
}

// verdict is what script mode does with one command.
type verdict int

const (
	vSkip      verdict = iota // not a firewall command: reported and skipped
	vQuiet                    // nothing to report (a test, an assignment)
	vHarmless                 // an iptables-family command that changes nothing
	vTranslate                // a plain iptables command
	vRefuse                   // may run iptables in a way xt2nft cannot read
)

// decision is a verdict with what it needs: the program and its words for
// vTranslate, the position and reason for vRefuse and vHarmless.
type decision struct {
	v    verdict
	pos  Pos
	msg  string
	fam  Family
	prog shWord
	args []shWord
}

func (r *scriptReader) command(c *shCmd) {
	p := r.p
	if len(c.Words) == 0 {
		return
	}
	r.budget = 256
	d := r.classify(c, c.Words, "", 0)
	if r.exited != nil && c.Ctx == nil && (d.v == vTranslate || d.v == vRefuse) {
		p.warns = append(p.warns, Diagnostic{Pos: c.Pos, Severity: SevWarning,
			Msg: sprintf("never runs (after the exit at line %d), skipped: %q", r.exited.Line, truncate(r.sh.text(c.start, c.end), 60))})
		return
	}
	switch d.v {
	case vQuiet:
	case vSkip:
		p.warns = append(p.warns, Diagnostic{Pos: c.Pos, Severity: SevWarning,
			Msg: sprintf("not an iptables command, skipped: %q", truncate(r.sh.text(c.start, c.end), 60))})
	case vHarmless:
		p.warns = append(p.warns, Diagnostic{Pos: d.pos, Severity: SevWarning, Msg: d.msg})
	case vRefuse:
		p.errs = append(p.errs, Errorf(d.pos, "%s; %s", d.msg, execHint))
	case vTranslate:
		r.translate(c, d)
	}
	if c.Ctx == nil && c.List == "" && c.Words[0].Static && c.Words[0].Lit == "exit" && r.exited == nil {
		r.exited = &c.Pos
	}
}

// where describes the construct around a command, or "" for a command that
// runs on its own.
func where(c *shCmd) string {
	switch {
	case c.Ctx != nil:
		return c.Ctx.describe()
	case c.List == "!":
		return "negated with !"
	case strings.Contains(c.List, "&&") || strings.Contains(c.List, "||"):
		return "in a && / || list, so it runs only depending on another command"
	case strings.Contains(c.List, "|"):
		return "in a pipeline"
	case c.List == "&":
		return "run in the background (&)"
	}
	return ""
}

// Commands that run the command given as their arguments. The flag keeps
// a command plain (it runs once, unconditionally, with the same effect).
var prefixCommands = map[string]bool{
	"sudo": true, "doas": true, "command": true, "exec": true, "env": true, "nice": true, "nohup": true,
	"time": true, "builtin": true, "stdbuf": true, "ionice": true, "flock": false,
	"timeout": false, "xargs": false, "watch": false, "setsid": false, "chroot": false, "nsenter": false,
	"unshare": false, "parallel": false, "strace": false, "ltrace": false, "busybox": false, "catchsegv": false,
	"su": false, "runuser": false, "firejail": false, "systemd-run": false, "chrt": false, "taskset": false,
}

// prefixArgs lists the options of prefix commands that take an argument.
var prefixArgs = map[string]string{
	"sudo": "-u -g -C -D -h -p -r -t -U -T", "doas": "-u -C", "exec": "-a", "env": "-u -C -S",
	"nice": "-n", "stdbuf": "-i -o -e", "ionice": "-c -n -p -t", "timeout": "-s -k",
}

// shells run shell code given with -c, in a file, or on standard input.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "ksh": true, "mksh": true, "zsh": true, "busybox": true}

// firewallManagers change the firewall through their own programs.
var firewallManagers = map[string]bool{
	"ufw": true, "firewall-cmd": true, "firewall-offline-cmd": true, "shorewall": true, "shorewall6": true,
	"ferm": true, "firehol": true, "csf": true, "apf": true, "arno-iptables-firewall": true,
	"fail2ban-client": true, "iptables-persistent": true, "netfilter-persistent": true,
}

// firewallServices are service names whose start restores saved rules.
var firewallServices = map[string]bool{
	"iptables": true, "ip6tables": true, "netfilter-persistent": true, "iptables-persistent": true, "ufw": true,
	"firewalld": true, "shorewall": true, "shorewall6": true, "ferm": true, "firehol": true, "csf": true,
	"arno-iptables-firewall": true, "iptables.service": true, "ip6tables.service": true,
	"netfilter-persistent.service": true, "ufw.service": true, "firewalld.service": true,
}

// classify decides what to do with a command run as words. via names what
// the words came through (a variable, a runner such as xargs), which makes
// a translation impossible.
func (r *scriptReader) classify(c *shCmd, words []shWord, via string, depth int) decision {
	if r.budget--; r.budget < 0 && len(words) > 0 {
		return decision{v: vRefuse, pos: words[0].Pos, msg: "variables and aliases name each other too deeply"}
	}
	plain := via == "" && where(c) == ""
	for len(words) > 0 {
		w := words[0]
		if !w.Static {
			return r.variable(c, w, words[1:], depth)
		}
		name := filepath.Base(w.Lit)
		if defs, ok := r.aliases[w.Lit]; ok && depth < 8 && !w.Quoted {
			return r.resolved(c, w, "alias "+w.Lit, w.Lit, defs, words[1:], depth)
		}
		keep, isPrefix := prefixCommands[name]
		if !isPrefix || strings.Contains(w.Lit, "/") && name != w.Lit && name == "busybox" {
			break
		}
		if name == "command" && len(words) > 1 && (words[1].Lit == "-v" || words[1].Lit == "-V") {
			return decision{v: vSkip}
		}
		if name == "su" || name == "runuser" {
			return r.shellString(c, w, words[1:], "-c")
		}
		if !keep {
			plain = false
			if via == "" {
				via = name
			}
		}
		words = r.skipPrefix(name, words[1:])
	}
	if len(words) == 0 {
		return decision{v: vSkip}
	}
	prog := words[0]
	name := filepath.Base(prog.Lit)
	args := words[1:]
	switch kind := iptProgram(name); kind {
	case iptRule:
		return r.iptables(c, prog, args, via, plain, scriptCommands[name])
	case iptReadOnly:
		return decision{v: vHarmless, pos: prog.Pos, msg: sprintf("%s does not change the ruleset, skipped", name)}
	case iptRestore:
		why := "loads a whole ruleset"
		if strings.HasPrefix(name, "xtables") {
			why = "runs iptables"
		}
		return decision{v: vRefuse, pos: prog.Pos, msg: sprintf("%s %s (translate an iptables-save file with plain xt2nft FILE)", name, why)}
	}
	if via != "" && via != name {
		// xargs iptables, timeout 5 iptables, find -exec iptables: find
		// the program among the arguments.
		for _, a := range args {
			if iptProgram(filepath.Base(a.Lit)) != notIpt || !a.Static && mentionsIpt.MatchString(a.Lit) {
				return decision{v: vRefuse, pos: a.Pos, msg: sprintf("%s runs %s through %s", a.Lit, a.Lit, via)}
			}
		}
	}
	switch {
	case shells[name]:
		return r.shellString(c, prog, args, "-c")
	case name == "." || name == "source":
		return decision{v: vRefuse, pos: prog.Pos, msg: sprintf("%q reads another file into the script, which may run iptables commands", r.sh.text(c.start, c.end))}
	case name == "eval":
		for _, a := range args {
			if !a.Static || mentionsIpt.MatchString(a.Lit) {
				return decision{v: vRefuse, pos: prog.Pos, msg: "eval runs shell code built at run time"}
			}
		}
		return decision{v: vSkip}
	case name == "ip" && len(args) >= 3 && args[0].Lit == "netns" && args[1].Lit == "exec":
		if len(args) > 3 {
			d := r.classify(c, args[3:], "ip netns exec", depth+1)
			if d.v == vTranslate || d.v == vRefuse {
				return decision{v: vRefuse, pos: args[3].Pos, msg: sprintf("%s runs in network namespace %s", args[3].Lit, args[2].Lit)}
			}
		}
		return decision{v: vSkip}
	case name == "ipset":
		// The sets the rules match: their types and elements come from
		// these commands, which script mode does not run (an empty set of
		// an assumed type would stand in for what the script fills).
		if ipsetReadOnly(args) {
			return decision{v: vSkip}
		}
		return decision{v: vRefuse, pos: prog.Pos, msg: "ipset makes or fills the sets the rules match, and script mode does not run it"}
	case firewallManagers[name]:
		if len(args) > 0 && (args[0].Lit == "save" || args[0].Lit == "status" || args[0].Lit == "version" || args[0].Lit == "--version" || args[0].Lit == "show") {
			return decision{v: vSkip}
		}
		return decision{v: vRefuse, pos: prog.Pos, msg: sprintf("%s changes the firewall with rules xt2nft cannot see here", name)}
	case name == "systemctl" || name == "service" || name == "invoke-rc.d" || strings.HasPrefix(prog.Lit, "/etc/init.d/"):
		return r.service(prog, args)
	}
	if d := r.otherScript(c, prog); d.v == vRefuse {
		return d
	}
	if c.Arith || name == "[" || name == "test" || name == "true" || name == ":" {
		return decision{v: vQuiet}
	}
	return decision{v: vSkip}
}

// skipPrefix drops a prefix command's options (and env's assignments)
// up to the command it runs.
func (r *scriptReader) skipPrefix(name string, words []shWord) []shWord {
	withArg := " " + prefixArgs[name] + " "
	for len(words) > 0 {
		w := words[0].Lit
		switch {
		case w == "--":
			return words[1:]
		case name == "env" && isAssignment(words[0]):
			words = words[1:]
		case strings.HasPrefix(w, "-") && len(w) > 1:
			words = words[1:]
			if strings.Contains(withArg, " "+w+" ") && len(words) > 0 {
				words = words[1:]
			}
		case name == "timeout" || name == "flock" || name == "chroot" || name == "taskset" || name == "chrt":
			// Their first operand (duration, lock file, directory, mask,
			// priority) precedes the command.
			return words[1:]
		default:
			return words
		}
	}
	return words
}

// iptables decides about one iptables/ip6tables command.
func (r *scriptReader) iptables(c *shCmd, prog shWord, args []shWord, via string, plain bool, fam Family) decision {
	op, found := iptOperation(args)
	readOnly := found && (op == "check" || op == "list" || op == "list-rules" || op == "version" || op == "help" || op == "zero")
	if !plain {
		if readOnly {
			return decision{v: vHarmless, pos: prog.Pos, msg: sprintf("command --%s does not change the ruleset, skipped", op)}
		}
		ctx := where(c)
		if via != "" {
			ctx = "run through " + via
		}
		return decision{v: vRefuse, pos: prog.Pos, msg: sprintf("%s command %s", filepath.Base(prog.Lit), ctx)}
	}
	for _, a := range args {
		if !a.Static {
			return decision{v: vRefuse, pos: a.Pos, msg: sprintf("%q is a shell expansion", a.Lit)}
		}
	}
	for _, rd := range c.Redirs {
		if !rd.Target.Static && rd.Op != "<<" && rd.Op != "<<-" {
			return decision{v: vRefuse, pos: rd.Target.Pos, msg: sprintf("redirection to %q (when it fails, the command does not run)", rd.Target.Lit)}
		}
	}
	return decision{v: vTranslate, fam: fam, prog: prog, args: args}
}

// iptCommands are iptables' command options (long names) by short letter.
var iptCommands = map[byte]string{
	'A': "append", 'C': "check", 'D': "delete", 'E': "rename-chain", 'F': "flush", 'I': "insert", 'L': "list",
	'N': "new-chain", 'P': "policy", 'R': "replace", 'S': "list-rules", 'V': "version", 'X': "delete-chain",
	'Z': "zero", 'h': "help",
}

// iptOperation finds the command of an iptables argument list.
func iptOperation(args []shWord) (string, bool) {
	for _, a := range args {
		w := a.Lit
		if !a.Static || len(w) < 2 || w[0] != '-' {
			continue
		}
		if strings.HasPrefix(w, "--") {
			name, _, _ := strings.Cut(w[2:], "=")
			if name == "" {
				return "", false
			}
			var hit string
			for _, long := range iptCommands {
				if long == name {
					return long, true
				}
				if strings.HasPrefix(long, name) && len(name) >= 2 {
					hit = long
				}
			}
			if hit != "" {
				return hit, true
			}
			continue
		}
		// A short cluster such as -nvL: the first command letter counts;
		// letters with an argument end the cluster.
		for i := 1; i < len(w); i++ {
			if long, ok := iptCommands[w[i]]; ok {
				return long, true
			}
			if strings.IndexByte("cdijopstgmMw", w[i]) >= 0 {
				break
			}
		}
	}
	return "", false
}

// variable decides about a command whose name is an expansion ($IPT,
// "$ipi", $(which iptables), ${IPT:-iptables}).
func (r *scriptReader) variable(c *shCmd, w shWord, rest []shWord, depth int) decision {
	name := ""
	if m := simpleVar.FindStringSubmatch(w.Lit); m != nil {
		name = m[1] + m[2]
	}
	if name == "" {
		if mentionsIpt.MatchString(w.Lit) {
			return decision{v: vRefuse, pos: w.Pos, msg: sprintf("%q runs iptables", w.Lit)}
		}
		return decision{v: vRefuse, pos: w.Pos, msg: sprintf("the command %q is computed when the script runs", w.Lit)}
	}
	defs := r.vars[name]
	if len(defs) == 0 || depth >= 8 {
		if ctx := where(c); ctx != "" {
			// for ipt in iptables ip6tables; do $ipt ...: the loop sets it.
			return decision{v: vRefuse, pos: w.Pos, msg: sprintf("what %q runs is set as the script runs: the command is %s", w.Lit, ctx)}
		}
		return decision{v: vRefuse, pos: w.Pos, msg: sprintf("what %q runs is not assigned in the script", w.Lit)}
	}
	return r.resolved(c, w, w.Lit, name, defs, rest, depth)
}

// simpleVar matches $NAME and ${NAME} (quote removal already done).
var simpleVar = regexp.MustCompile(`^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})$`)

// resolved decides about a command run through a variable or alias with
// these definitions: iptables through it is refused, naming the assignment;
// a command that is not iptables in every definition is classified as such.
func (r *scriptReader) resolved(c *shCmd, w shWord, what, name string, defs []varDef, rest []shWord, depth int) decision {
	var first *decision
	seen := map[string]bool{}
	for _, def := range defs {
		if seen[def.value] && def.static {
			continue
		}
		seen[def.value] = true
		if !def.static {
			if mentionsIpt.MatchString(def.value) {
				return decision{v: vRefuse, pos: w.Pos, msg: sprintf("%s runs iptables (%s=%s at line %d)", what, name, truncate(def.value, 40), def.pos.Line)}
			}
			return decision{v: vRefuse, pos: w.Pos, msg: sprintf("what %s runs is computed when the script runs (line %d)", what, def.pos.Line)}
		}
		var words []shWord
		for _, f := range strings.Fields(def.value) {
			words = append(words, shWord{Pos: w.Pos, Lit: f, Static: true})
		}
		d := r.classify(c, append(words, rest...), what, depth+1)
		switch d.v {
		case vTranslate, vRefuse:
			return decision{v: vRefuse, pos: w.Pos, msg: sprintf("%s runs iptables (%s=%s at line %d)", what, name, truncate(shellQuote(def.value), 40), def.pos.Line)}
		}
		if first == nil {
			first = &d
		}
	}
	return *first
}

// shellString decides about a shell (or su) running code from -c STRING,
// a file or its input.
func (r *scriptReader) shellString(c *shCmd, prog shWord, args []shWord, flag string) decision {
	name := filepath.Base(prog.Lit)
	for i, a := range args {
		if a.Lit == flag || strings.HasPrefix(a.Lit, "-") && strings.HasSuffix(a.Lit, "c") && len(a.Lit) > 1 && a.Lit[1] != '-' {
			if i+1 < len(args) {
				code := args[i+1]
				if !code.Static || mentionsIpt.MatchString(code.Lit) {
					return decision{v: vRefuse, pos: code.Pos, msg: sprintf("%s runs shell code given as a string", name)}
				}
			}
			return decision{v: vSkip}
		}
		if !strings.HasPrefix(a.Lit, "-") {
			if name == "su" || name == "runuser" {
				continue // a user name
			}
			return decision{v: vRefuse, pos: a.Pos, msg: sprintf("%s runs another script, %s", name, a.Lit)}
		}
	}
	if name == "su" || name == "runuser" {
		return decision{v: vSkip}
	}
	for _, rd := range c.Redirs {
		if rd.Op == "<<" || rd.Op == "<<-" {
			if r.bodies[rd.body.start] {
				return decision{v: vQuiet}
			}
			if r.bodies == nil {
				r.bodies = map[int]bool{}
			}
			r.bodies[rd.body.start] = true
			before := len(r.sh.Cmds)
			r.sh.parseBody(rd, c.Ctx)
			for _, cmd := range r.sh.Cmds[before:] {
				if cmd.Ctx != nil && cmd.Ctx.Up == c.Ctx && cmd.Ctx.Kind == "here-document" && !rd.bodyStatic {
					// Expansions in the body are the outer script's: the
					// code is only known when it runs.
					if strings.ContainsAny(r.sh.src[rd.body.start:rd.body.end], "$`") {
						return decision{v: vRefuse, pos: rd.Target.Pos, msg: sprintf("%s runs a here-document with expansions", name)}
					}
				}
			}
			return decision{v: vQuiet}
		}
		if rd.Op == "<" || rd.Op == "<<<" {
			return decision{v: vRefuse, pos: prog.Pos, msg: sprintf("%s runs shell code from its input", name)}
		}
	}
	if c.List != "" && strings.Contains(c.List, "|") {
		return decision{v: vRefuse, pos: prog.Pos, msg: sprintf("%s runs shell code from a pipe", name)}
	}
	return decision{v: vSkip}
}

// service decides about systemctl/service/init scripts: starting a
// firewall service restores rules saved somewhere else.
func (r *scriptReader) service(prog shWord, args []shWord) decision {
	name := filepath.Base(prog.Lit)
	var verb string
	var units []shWord
	switch {
	case name == "systemctl":
		for _, a := range args {
			if strings.HasPrefix(a.Lit, "-") {
				continue
			}
			if verb == "" {
				verb = a.Lit
			} else {
				units = append(units, a)
			}
		}
	case name == "service" || name == "invoke-rc.d":
		if len(args) >= 2 {
			units, verb = args[:1], args[1].Lit
		}
	default: // /etc/init.d/NAME verb
		units = []shWord{prog}
		if len(args) > 0 {
			verb = args[0].Lit
		}
	}
	switch verb {
	case "start", "restart", "reload", "try-restart", "reload-or-restart", "force-reload", "condrestart", "enable":
	default:
		return decision{v: vSkip}
	}
	for _, u := range units {
		if !u.Static || firewallServices[filepath.Base(u.Lit)] {
			return decision{v: vRefuse, pos: u.Pos, msg: sprintf("%s %s: the service loads rules saved elsewhere", name, strings.Join(words(append([]shWord{}, args...)), " "))}
		}
	}
	return decision{v: vSkip}
}

// words returns the words' texts.
func words(ws []shWord) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Lit
	}
	return out
}

// otherScript refuses running a local script (./x, dir/x, *.sh, /etc/...):
// it may run iptables commands xt2nft cannot see.
func (r *scriptReader) otherScript(c *shCmd, prog shWord) decision {
	lit := prog.Lit
	if !strings.Contains(lit, "/") && !strings.HasSuffix(lit, ".sh") {
		return decision{}
	}
	if strings.HasPrefix(lit, "/") && !strings.HasSuffix(lit, ".sh") && systemProgram(lit) {
		return decision{}
	}
	return decision{v: vRefuse, pos: prog.Pos, msg: sprintf("%s runs another script, which may run iptables commands", lit)}
}

// translate binds a plain iptables command and applies it.
func (r *scriptReader) translate(c *shCmd, d decision) {
	p := r.p
	toks := make([]Token, len(d.args))
	for _, w := range d.args {
		if w.Glob {
			p.warns = append(p.warns, Diagnostic{Pos: w.Pos, Severity: SevWarning,
				Msg: sprintf("%q is read as written; the shell would put the names of matching files in its place, if any", w.Lit)})
		}
	}
	for i, w := range d.args {
		k := TokWord
		switch v := w.Lit; {
		case v == "!":
			k = TokBang
		case len(v) > 1 && v[0] == '-' && !isNumber(v[1:]):
			k = TokOpt
		case w.Quoted:
			k = TokQWord
		}
		toks[i] = Token{Kind: k, Value: w.Lit, Col: w.Pos.Col, Quoted: k == TokOpt && w.Quoted}
		if w.Pos.Line != d.prog.Pos.Line {
			toks[i].Line = w.Pos.Line
		}
	}
	text := ""
	if len(d.args) > 0 {
		end := c.end
		if last := d.args[len(d.args)-1]; last.end > 0 {
			end = last.end
		}
		text = r.sh.text(d.args[0].start, end)
	}
	if err := scriptLimits(p.name, d.prog.Pos.Line, d.prog.Lit, toks); err != nil {
		p.errs = append(p.errs, err)
		return
	}
	b := bindTokens(p.name, d.prog.Pos.Line, text, toks, false, d.fam, true, nil)
	p.warns = append(p.warns, b.warns...)
	p.errs = append(p.errs, b.errs...)
	cmd := b.cmd
	if cmd == nil {
		return
	}
	if cmd.fam != 0 && cmd.fam != d.fam {
		return // "-4" on an ip6tables line (or vice versa): iptables ignores the rule
	}
	table := cmd.table
	if table == "" {
		table = "filter"
	}
	if _, ok := builtinChains[table]; !ok {
		p.errs = append(p.errs, Errorf(cmd.pos, "unknown table %q", table))
		return
	}
	ts := p.st.table(d.fam, table, cmd.pos)
	p.st.apply(ts, cmd, text, &p.errs, &p.warns)
}

// shellQuote quotes a value as the script would have written it.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " \t'\"$`\\") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// ipsetReadOnly reports whether an ipset command only reads: its command
// (the first word that is not -!, -exist, -q or -quiet) lists, saves,
// tests or prints the version or help.
func ipsetReadOnly(args []shWord) bool {
	for _, a := range args {
		switch a.Lit {
		case "-!", "-exist", "-q", "-quiet":
			continue
		case "list", "-L", "save", "-S", "test", "-T", "version", "-V", "-v", "help", "-h":
			return true
		}
		return false
	}
	return true
}

// systemProgram reports whether an absolute path is a system program's
// (/usr/sbin/ip): anywhere else (/tmp, /opt, /etc, /usr/local) it may be
// a script, such as the one strongSwan's wrapper writes to /tmp and runs.
func systemProgram(path string) bool {
	for _, dir := range []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/lib/", "/usr/libexec/", "/lib/"} {
		if strings.HasPrefix(path, dir) {
			return true
		}
	}
	return false
}
