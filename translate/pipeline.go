package translate

import (
	"bytes"
	"sort"

	"github.com/xt2nft/xt2nft/parser"
)

// Input is one named input file.
type Input struct {
	Name string
	Src  []byte
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
func Prepare(inputs []Input, popt parser.Options, opt Options) *Output {
	out := &Output{}
	var dumps []*parser.Dump
	for _, in := range inputs {
		d, warns, err := parser.Parse(in.Name, in.Src, popt)
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
	if out.Failed {
		return out
	}
	opt.release = true
	res := Translate(parser.Merge(dumps...), opt)
	dumps = nil
	if opt.Optimize != nil && (res.Err() == nil || opt.AllowPartial) {
		res.Diags = append(res.Diags, opt.Optimize(res.Ruleset, opt)...)
		sort.SliceStable(res.Diags, func(i, j int) bool { return res.Diags[i].Pos.Before(res.Diags[j].Pos) })
	}
	// The check sees what is rendered or lowered: the optimized ruleset.
	if opt.Check != nil && res.Err() == nil {
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
