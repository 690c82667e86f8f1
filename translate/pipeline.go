package translate

import (
	"bytes"
	"sort"

	"github.com/xt2nft/xt2nft/parser"
)

// Input is one named input file.
type Input struct {
	Name string
	// Src is the file's content. The translation's strings refer to it
	// (parser.Parse): it must not change once translated.
	Src []byte
}

// Output is what the xt2nft command prints: the nft script (empty when the
// translation failed, unless AllowPartial), the diagnostics in order, and
// whether the run failed (exit status 1).
type Output struct {
	Script []byte
	Diags  []string
	// Warnings are the diagnostics that are not errors, as data.
	Warnings []parser.Diagnostic
	Failed   bool
	Ruleset  *Ruleset
}

// Files parses and translates inputs as the xt2nft command does and
// renders the script into Output.Script.
func Files(inputs []Input, popt parser.Options, opt Options) *Output {
	out := Prepare(inputs, popt, opt)
	if out.Printable(opt) {
		var b bytes.Buffer
		if err := Render(&b, out.Ruleset); err != nil {
			out.Diags = append(out.Diags, "xt2nft: "+err.Error())
			out.Failed = true
			return out
		}
		out.Script = b.Bytes()
	}
	return out
}

// Printable reports whether the ruleset may be written: the translation
// succeeded, or it failed and opt.AllowPartial asks for what translated.
func (o *Output) Printable(opt Options) bool {
	return o.Ruleset != nil && (!o.Failed || opt.AllowPartial)
}

// Prepare parses and translates inputs without rendering (the command
// streams the script to its output instead). Parse errors of every file
// are reported before anything is translated.
//
// An iptables-save dump is translated as it is parsed, a rule as soon as
// it is read (parser.ParseStream): its parse tree goes once the rule is
// translated, so the trees of a big dump never exist all at once. Inputs
// that need the whole dump first are parsed whole, then translated:
// scripts, dumps with -m recent (the lists' sets are planned from every
// rule that uses them) and any input in the inet layout (its chains'
// names are decided for both families before any helper chain is named).
// So are inputs in which a later file restores a table again (it replaces
// the earlier one), found when the second one is read.
func Prepare(inputs []Input, popt parser.Options, opt Options) *Output {
	if out := prepareStream(inputs, popt, opt); out != nil {
		return out
	}
	return prepareWhole(inputs, popt, opt)
}

// prepareStream is Prepare translating while parsing, or nil when the
// inputs need the whole dump first.
func prepareStream(inputs []Input, popt parser.Options, opt Options) *Output {
	if popt.Script || opt.Layout == LayoutInet {
		// The inet layout names the chains of both families in one table:
		// a helper chain must not take a name a later file's chain wants.
		return nil
	}
	for _, in := range inputs {
		if bytes.Contains(in.Src, []byte("recent")) {
			return nil
		}
	}
	out := &Output{}
	opt.release = true
	tr := newTranslator(opt)
	if opt.RenderAhead && opt.Optimize == nil {
		tr.startAhead()
		defer tr.stopAhead() // when the translation does not finish
	}
	sink := &streamSink{tr: tr, seen: map[tableKey]bool{}}
	dumps := parseInputs(out, inputs, func(in Input) (*parser.Dump, []parser.Diagnostic, error) {
		return parser.ParseStream(in.Name, in.Src, popt, sink)
	})
	if sink.replaced {
		return nil
	}
	if out.Failed {
		return out
	}
	return addResult(out, tr.finish(parser.Merge(dumps...)), opt)
}

// streamSink feeds the rules of the dumps parsed to the translator.
type streamSink struct {
	tr   *translator
	seen map[tableKey]bool
	// replaced is set when a table is restored again by a later file: the
	// earlier one, already translated, is replaced in the dump.
	replaced bool
}

func (s *streamSink) Table(t *parser.Table) {
	k := tableKey{fam: t.Family, table: t.Name}
	if s.seen[k] {
		s.replaced = true
	}
	s.seen[k] = true
	if !s.replaced {
		s.tr.nameTable(t)
		s.tr.startTable(t)
	}
}

func (s *streamSink) Rule(t *parser.Table, c *parser.Chain, r *parser.Rule) {
	if !s.replaced {
		s.tr.addRule(t, c, r)
	}
}

// parseInputs parses each input with parse, its warnings and errors going
// into out (an error marks out failed); it returns the dumps parsed.
func parseInputs(out *Output, inputs []Input, parse func(Input) (*parser.Dump, []parser.Diagnostic, error)) []*parser.Dump {
	var dumps []*parser.Dump
	for _, in := range inputs {
		d, warns, err := parse(in)
		for _, w := range warns {
			out.Diags = append(out.Diags, w.String())
		}
		out.Warnings = append(out.Warnings, warns...)
		if err != nil {
			out.Diags = append(out.Diags, err.Error())
			out.Failed = true
			continue
		}
		dumps = append(dumps, d)
	}
	return dumps
}

// prepareWhole is Prepare parsing every input whole before translating.
func prepareWhole(inputs []Input, popt parser.Options, opt Options) *Output {
	out := &Output{}
	dumps := parseInputs(out, inputs, func(in Input) (*parser.Dump, []parser.Diagnostic, error) {
		return parser.Parse(in.Name, in.Src, popt)
	})
	if out.Failed {
		return out
	}
	opt.release = true
	res := Translate(parser.Merge(dumps...), opt)
	dumps = nil
	return addResult(out, res, opt)
}

// addResult adds a translation's result to out: the optimizer's rewrite,
// the backend's check, the diagnostics in order, the ruleset.
func addResult(out *Output, res *Result, opt Options) *Output {
	if opt.Optimize != nil && (res.Err() == nil || opt.AllowPartial) {
		res.Diags = append(res.Diags, opt.Optimize(res.Ruleset, opt)...)
		sort.SliceStable(res.Diags, func(i, j int) bool { return res.Diags[i].Pos.Before(res.Diags[j].Pos) })
	}
	// The check sees what is rendered or lowered: the optimized ruleset.
	if opt.Check != nil && res.Err() == nil {
		res.Diags = append(res.Diags, res.checked...)
		res.Diags = append(res.Diags, opt.Check(res.Ruleset)...)
		sort.SliceStable(res.Diags, func(i, j int) bool { return res.Diags[i].Pos.Before(res.Diags[j].Pos) })
	}
	for _, d := range res.Diags {
		out.Diags = append(out.Diags, d.String())
		if d.Severity != parser.SevError {
			out.Warnings = append(out.Warnings, d)
		}
	}
	out.Failed = res.Err() != nil
	out.Ruleset = res.Ruleset
	return out
}
