//go:build linux

package verify

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xt2nft/xt2nft/internal/progress"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify/report"
)

// Input is one file of the original ruleset.
type Input struct {
	Name string
	Src  []byte
	// Family, when set, is the file's family (else Options.Parser's, or
	// detected from the content).
	Family parser.Family
}

// Options control a run.
type Options struct {
	Parser    parser.Options
	Translate translate.Options
	// Against is an nft script to compare with the original instead of
	// xt2nft's translation (loaded with nft -f); AgainstName names it.
	Against     []byte
	AgainstName string
	// IPSets is `ipset save` output for the ipsets the rules name (the
	// --ipsets file): restored in the iptables labs, as the translation
	// carries them into nft sets (Translate.IPSets).
	IPSets []byte
	// Pairs is how many pairs of labs send probes in parallel (0: 2).
	Pairs int
	// MaxWait bounds the pauses of timed probes (recent windows): a
	// longer window's edge is not probed (0: 10s).
	MaxWait time.Duration
	// FirstDifference stops at the first difference found.
	FirstDifference bool
	// Trace, when set, receives every step: the probe and what each
	// side did with it.
	Trace io.Writer
	// Mutate changes the translation before it is lowered (for tests
	// that check verify finds what a mutation breaks).
	Mutate func(*translate.Ruleset)
	// MutateVariants applies Mutate to the variants' translations too
	// (else a run with Mutate makes no variants: a mutant is made for
	// the ruleset's own translation).
	MutateVariants bool
	// Progress, when set, shows the steps and the packets sent.
	Progress *progress.Meter
	// NoVariants: the rules no probe reached are not probed again in
	// variants of the ruleset (variant.go).
	NoVariants bool
}

// input is a parsed input file.
type input struct {
	name   string
	src    []byte
	dump   *parser.Dump
	family parser.Family
	script bool
}

// verifier holds one run.
type verifier struct {
	opt    Options
	inputs []input
	model  *model
	loaded *translate.Ruleset // what the nft labs hold (nil with Against)
	warns  map[string]string  // FILE:LINE -> approximation warning
	// tracked: the families an inet table tracks beyond their own rules
	// (translate.Result.Tracked), with the warning.
	tracked map[parser.Family]string
	plan    *plan
	// reached are the rules iptables matched for some probe; first the
	// fate of each rule's first hit probe.
	reached map[*rule]bool
	first   map[*rule]firstHit
	// reachedBy is the first sequence that reached each rule.
	reachedBy map[*rule]*seq
	// settled counts per-step counter differences that evened out later
	// (packets the kernel handled after their step was read).
	settled int
	// unconfirmed counts differences that did not show again when their
	// probe was sent a second time.
	unconfirmed atomic.Int64
	// buildTime is how long the labs took to build and load.
	buildTime time.Duration
	// focus, in a variant's run, are the rules probes are made for.
	focus func(*rule) bool
	// variantRun marks a variant's run: its probes are single packets and
	// exchanges (timed sequences, run in the ruleset as it is, would meet
	// the traffic of every chain the variant enters), in one round (the
	// next variant is made from what it showed).
	variantRun bool
	// inVariant are the rules no probe reached in the ruleset that a
	// variant's probes reached, with what the variant changed.
	inVariant map[*rule]string
	// observed, in a variant's run, are the rules whose counts are read
	// (labs.go, observe); nil: every rule's.
	observed map[*rule]bool
	// notes for the report, each once.
	mu    sync.Mutex
	notes []string
}

// note adds a note to the report (once).
func (v *verifier) note(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, n := range v.notes {
		if n == s {
			return
		}
	}
	v.notes = append(v.notes, s)
}

// Run verifies the translation of inputs: both firewalls in throwaway
// labs, the same probes through each, every observable difference
// reported. An error means no verdict (bad input, a lab that cannot be
// built, a firewall that does not load).
func Run(inputs []Input, opt Options) (*report.Report, error) {
	start := time.Now()
	v := &verifier{opt: opt, warns: map[string]string{}}
	if err := v.prepare(inputs); err != nil {
		return nil, err
	}

	rep := &report.Report{Original: v.originalName(), Translation: v.translationName()}
	if err := v.run(rep); err != nil {
		return nil, err
	}
	if v.opt.Against == nil && (v.opt.Mutate == nil || v.opt.MutateVariants) && !v.opt.NoVariants && !(v.opt.FirstDifference && len(rep.Differences) > 0) {
		v.variants(rep)
	}
	v.coverage(rep)
	if v.settled > 0 {
		v.note(fmt.Sprintf("%d per-packet counter difference(s) evened out later in the run (a packet the kernel handled after its probe was read, counted with a later one): not differences", v.settled))
	}
	if n := v.unconfirmed.Load(); n > 0 {
		v.note(fmt.Sprintf("%d difference(s) did not show again when their probe was sent a second time (an observation lost or late under load): not reported", n))
	}
	shareWarnings(rep.Differences)
	rep.Notes = v.notes
	rep.Duration = time.Since(start)
	rep.Setup = v.buildTime
	rep.Sort()
	return rep, nil
}

func (v *verifier) originalName() string {
	var names []string
	for _, in := range v.inputs {
		names = append(names, in.name)
	}
	return "iptables-legacy: " + strings.Join(names, ", ")
}

func (v *verifier) translationName() string {
	if v.opt.Against != nil {
		return "nft -f " + v.opt.AgainstName
	}
	return "nft: xt2nft's translation, lowered and sent as xt2nft apply sends it"
}

// prepare parses and translates the inputs and makes the plan.
func (v *verifier) prepare(inputs []Input) error {
	var dumps []*parser.Dump
	var errs []string
	for _, in := range inputs {
		popt := v.opt.Parser
		if in.Family != 0 {
			popt.Family = in.Family
		}
		d, _, err := parser.Parse(in.Name, in.Src, popt)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		fam := parser.IPv4
		if len(d.Tables) > 0 {
			fam = d.Tables[0].Family
		}
		v.inputs = append(v.inputs, input{name: in.Name, src: in.Src, dump: d, family: fam, script: v.opt.Parser.Script})
		dumps = append(dumps, d)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	merged := parser.Merge(dumps...)
	res := translate.Translate(merged, v.opt.Translate)
	for _, d := range res.Diags {
		if d.Severity == parser.SevWarning {
			key := fmt.Sprintf("%s:%d", d.Pos.File, d.Pos.Line)
			if v.warns[key] == "" {
				v.warns[key] = d.Msg
			}
		}
	}
	v.tracked = res.Tracked
	if err := res.Err(); err != nil && !v.opt.Translate.AllowPartial {
		return fmt.Errorf("the translation failed:\n%w", err)
	}
	m, err := newModel(merged, res.Ruleset)
	if err != nil {
		return err
	}
	m.buildTargets()
	m.focus = v.focus
	v.model = m
	if v.opt.Against == nil {
		// A second translation, the one loaded (and mutated by tests):
		// probes come from the first.
		v.loaded = translate.Translate(merged, v.opt.Translate).Ruleset
		if v.opt.Mutate != nil {
			v.opt.Mutate(v.loaded)
		}
	}
	v.observe()
	wait := v.opt.MaxWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	if v.plan, err = newPlan(m, wait, !v.variantRun); err != nil {
		return err
	}
	for _, n := range v.plan.note {
		v.note(n)
	}
	return nil
}
