package translate

import (
	"bytes"

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
	Script  []byte
	Diags   []string
	Failed  bool
	Ruleset *Ruleset
}

// Files parses and translates inputs as the xt2nft command does. Parse
// errors of every file are reported before anything is translated.
func Files(inputs []Input, popt parser.Options, opt Options) *Output {
	out := &Output{}
	var dumps []*parser.Dump
	for _, in := range inputs {
		d, warns, err := parser.Parse(in.Name, in.Src, popt)
		for _, w := range warns {
			out.Diags = append(out.Diags, w.String())
		}
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
	res := Translate(parser.Merge(dumps...), opt)
	for _, d := range res.Diags {
		out.Diags = append(out.Diags, d.String())
	}
	out.Failed = res.Err() != nil
	out.Ruleset = res.Ruleset
	if out.Failed && !opt.AllowPartial {
		return out
	}
	var b bytes.Buffer
	if err := Render(&b, res.Ruleset); err != nil {
		out.Diags = append(out.Diags, "xt2nft: "+err.Error())
		out.Failed = true
		return out
	}
	out.Script = b.Bytes()
	return out
}
