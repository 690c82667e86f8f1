package sandbox

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// Translate translates what a sandboxed run built, as xt2nft translates a
// dump: the saved rulesets are parsed and translated with the options, and
// every diagnostic about a rule names the script line that created it
// (FILE:LINE, then the rule as iptables-save prints it). The ipsets the
// script made (ipset save of the sandbox) become nft sets, unless
// topt.IPSets (--ipsets) gives the sets. The run itself
// adds diagnostics: an error when the script failed or timed out (with
// --allow-partial the translation is still printed, and the exit status
// is still 1), a warning for each command that ran only in the sandbox
// (ip rule, sysctl) or was not run (systemctl restart, modprobe), for each
// iptables command the sandbox's kernel refused, and for rules made with
// nft directly.
func Translate(res *Result, popt parser.Options, topt translate.Options) *translate.Output {
	a := newAttribution(res)
	out := &translate.Output{}
	var diags []parser.Diagnostic
	carried := topt.IPSets == nil && strings.TrimSpace(res.IPSets) != ""
	diags = append(diags, a.events(carried)...)
	failed := false
	if msg := res.failure(); msg != "" {
		out.Diags = append(out.Diags, msg)
		failed = true
	}
	// The ipsets the script made are the ones its rules name (unless
	// --ipsets gives others).
	if topt.IPSets == nil && strings.TrimSpace(res.IPSets) != "" {
		sets, err := ipset.Parse(res.Script+"[ipset save]", []byte(res.IPSets))
		if err != nil {
			out.Diags = append(out.Diags, err.Error())
			failed = true
		}
		topt.IPSets = sets
	}
	for _, name := range slices.Sorted(maps.Keys(res.Recent)) {
		diags = append(diags, parser.Diagnostic{Pos: parser.Pos{File: res.Script, Line: 1}, Severity: parser.SevWarning,
			Msg: fmt.Sprintf("the script left %d entries in recent list %q (it wrote them to /proc/net/xt_recent); a list's entries are not part of the translation (xt2nft migrate carries a live host's lists, recentctl import loads them)", res.Recent[name], name)})
	}
	if nftRules(res.Nft) {
		diags = append(diags, parser.Diagnostic{Pos: parser.Pos{File: res.Script, Line: 1}, Severity: parser.SevWarning,
			Msg: "the script made nftables tables or rules with nft directly; they are not part of the translation"})
	}
	var dumps []*parser.Dump
	type saved struct {
		name  string
		lines []savedLine
	}
	var saves []saved
	for _, s := range res.saves() {
		name := s.name
		text, lines := a.readSaved(s.text, s.fam)
		saves = append(saves, saved{name, lines})
		d, warns, err := parser.Parse(name, []byte(text), parser.Options{Family: s.pfam})
		diags = append(diags, warns...)
		if err != nil {
			failed = true
			if l, ok := err.(parser.ErrorList); ok {
				for _, e := range l {
					diags = append(diags, parser.Diagnostic{Pos: e.Pos, Severity: parser.SevError, Msg: e.Msg})
				}
			} else {
				out.Diags = append(out.Diags, err.Error())
			}
			continue
		}
		dumps = append(dumps, d)
	}
	// Translated even when the script failed: every diagnostic is reported
	// in one run (the output is printed only with --allow-partial then).
	tr := translate.Translate(parser.Merge(dumps...), topt)
	tdiags := tr.Diags
	out.Ruleset = tr.Ruleset
	if tr.Err() != nil {
		failed = true
	}
	// Name the script's lines.
	remap := func(d parser.Diagnostic) parser.Diagnostic {
		for _, s := range saves {
			if d.Pos.File != s.name || d.Pos.Line < 1 || d.Pos.Line > len(s.lines) {
				continue
			}
			l := s.lines[d.Pos.Line-1]
			rule := strings.TrimSpace(l.text)
			if len(rule) > 200 {
				rule = rule[:200] + "..."
			}
			if l.origin == nil || l.origin.pos.Line == 0 {
				d.Msg += fmt.Sprintf(" (rule: %s)", rule)
				return d
			}
			if l.origin.input > 0 {
				d.Msg += fmt.Sprintf(" (rule: %s, line %d of %s's input)", rule, l.origin.input, l.origin.rec.Tool)
			} else {
				d.Msg += fmt.Sprintf(" (rule: %s)", rule)
			}
			d.Pos = l.origin.pos
			return d
		}
		return d
	}
	for i := range diags {
		diags[i] = remap(diags[i])
	}
	for i := range tdiags {
		tdiags[i] = remap(tdiags[i])
	}
	sort.SliceStable(diags, func(i, j int) bool { return diags[i].Pos.Before(diags[j].Pos) })
	sort.SliceStable(tdiags, func(i, j int) bool { return tdiags[i].Pos.Before(tdiags[j].Pos) })
	for _, d := range append(diags, tdiags...) {
		out.Diags = append(out.Diags, d.String())
		if d.Severity == parser.SevError {
			failed = true
		}
	}
	out.Failed = failed
	return out
}

// failure says how the script failed or timed out ("" when it exited 0).
func (res *Result) failure() string {
	if res.TimedOut {
		return fmt.Sprintf("%s: the script did not finish within the --exec-timeout and was killed in the sandbox%s", res.Script, stderrTail(res.Stderr))
	}
	if res.Exit == 0 {
		return ""
	}
	how := fmt.Sprintf("exited with status %d", res.Exit)
	if res.Signal != "" {
		how = "was killed by " + res.Signal
	}
	return fmt.Sprintf("%s: the script %s in the sandbox (%s)%s", res.Script, how, strings.Join(res.Shell, " "), stderrTail(res.Stderr))
}

// savedRuleset is one family's saved ruleset.
type savedRuleset struct {
	fam        int
	pfam       parser.Family
	name, text string
}

// saves are the families' saved rulesets that have a table, IPv4 first,
// named SCRIPT[iptables-save] and SCRIPT[ip6tables-save].
func (res *Result) saves() []savedRuleset {
	var out []savedRuleset
	for _, s := range []savedRuleset{{4, parser.IPv4, "iptables-save", res.Saved4}, {6, parser.IPv6, "ip6tables-save", res.Saved6}} {
		if strings.Contains(s.text, "*") {
			s.name = fmt.Sprintf("%s[%s]", res.Script, s.name)
			out = append(out, s)
		}
	}
	return out
}

// Dump is a ruleset a sandboxed run built, as iptables-save prints it
// without counters (the sandbox's are the shims' tags).
type Dump struct {
	Name   string
	Src    []byte
	Family parser.Family
}

// Dumps returns the rulesets the run built (what xt2nft verify --exec
// loads), or the script's failure: what a failed script built is not the
// firewall it stands for.
func (res *Result) Dumps() ([]Dump, error) {
	if msg := res.failure(); msg != "" {
		return nil, errors.New(msg)
	}
	a := newAttribution(res)
	var out []Dump
	for _, s := range res.saves() {
		text, _ := a.readSaved(s.text, s.fam)
		out = append(out, Dump{Name: s.name, Src: []byte(text), Family: s.pfam})
	}
	return out, nil
}

// stderrTail quotes the last lines of the script's stderr for a message.
func stderrTail(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return "; its standard error ends:\n\t" + strings.Join(lines, "\n\t")
}

// nftRules reports whether nft list ruleset shows anything (the legacy
// tools leave nf_tables empty).
func nftRules(listing string) bool { return strings.TrimSpace(listing) != "" }

// events are the diagnostics of the commands the shims saw: commands that
// ran in the sandbox only or were not run, and iptables commands that
// failed there. ipset commands are not reported when the sandbox's ipsets
// are translated.
func (a *attribution) events(setsCarried bool) []parser.Diagnostic {
	var out []parser.Diagnostic
	for i := range a.res.Log {
		r := &a.res.Log[i]
		pos, ok := a.where(r)
		if !ok {
			pos = parser.Pos{File: a.res.Script, Line: 1}
		}
		cmd := shellJoin(r.Argv)
		if len(cmd) > 80 {
			cmd = cmd[:80] + "..."
		}
		warn := func(format string, args ...any) {
			out = append(out, parser.Diagnostic{Pos: pos, Severity: parser.SevWarning, Msg: fmt.Sprintf(format, args...)})
		}
		switch r.Action {
		case "ran":
			if r.Tool == "ipset" && setsCarried {
				continue // its sets are in the translation
			}
			warn("not an iptables command, ran in the sandbox only: %q", cmd)
		case "skipped":
			warn("not run in the sandbox (it would change the host): %q", cmd)
		case "iptables":
			if !r.Done || r.Exit == 0 {
				continue
			}
			spec := shims[r.Tool]
			if spec.kind == shimIptables {
				switch op, _, _, _ := iptArgs(r.Argv[1:]); op {
				case 'A', 'I', 'R', 'P', 'N', 'E':
				default:
					continue // -C, -D, -X, -F of what a fresh host lacks: expected
				}
			} else if spec.kind == shimSave {
				continue
			}
			msg := failureReason(r.Stderr)
			warn("%q failed in the sandbox (exit status %d: %s); what it would have added is not in the translation", cmd, r.Exit, msg)
		}
	}
	return out
}

// shellJoin writes argv as a shell command line.
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\|&;<>()*?[]{}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// failureReason is the line of a failed command's stderr that says why:
// the first, and the next one when the first is only iptables' prefix
// ("iptables v1.8.9 (legacy): ", with the reason on the line after it).
func failureReason(stderr string) string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	if strings.HasSuffix(lines[0], ":") && len(lines) > 1 {
		return lines[0] + " " + lines[1]
	}
	return lines[0]
}
