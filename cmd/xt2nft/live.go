package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/ipt"
	"github.com/xt2nft/xt2nft/backend/live"
	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/internal/progress"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify"
	"github.com/xt2nft/xt2nft/verify/report"
)

// Exit statuses of plan (as terraform plan -detailed-exitcode).
const (
	planNoChanges = 0
	planChanges   = 2
)

// Tests of the commands without root set these: fake replaces the
// kernel's backends by a backend.Fake that receives the translation's
// rules as text lines, and runDir is where the lock, journal and socket
// go.
var (
	fake   *backend.Fake
	runDir = live.DefaultDir
)

// fakeRuleset is the translation as the Fake takes it: each table with
// its rules as nft prints them.
func fakeRuleset(rs *translate.Ruleset) backend.FakeRuleset {
	var out backend.FakeRuleset
	for _, t := range rs.Tables {
		ft := backend.FakeTable{Table: backend.Table{Family: string(t.Family), Name: t.Name}}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				ft.Lines = append(ft.Lines, c.Name+": "+translate.RenderRule(r))
			}
		}
		out = append(out, ft)
	}
	return out
}

// liveFlags are plan's and apply's own flags.
type liveFlags struct {
	netns, backend, variant *string
	confirm                 *time.Duration
	resetSets, foreign      *bool
	whole                   *bool
	json                    *bool
	verify                  *bool // plan: also verify the translation
}

// liveFlagSet is plan's or apply's flag set.
func liveFlagSet(cmd string, stderr io.Writer) (*pflag.FlagSet, *translateFlags, liveFlags) {
	fs := newFlagSet("xt2nft "+cmd, stderr)
	tf := addTranslateFlags(fs)
	lf := liveFlags{
		netns:   fs.String("netns", "", "work in this named network namespace (ip netns) instead of the current one"),
		backend: fs.String("backend", "nft", "nft (netlink, the translation) or iptables (iptables-restore, the dumps as they are)"),
		variant: fs.String("iptables", "", "with --backend iptables: legacy or nft (default: what the iptables command is)"),
		foreign: fs.Bool("replace-foreign", false, "replace tables of the same name that xt2nft did not create (iptables-nft's, with --layout iptables)"),
	}
	if cmd == "plan" {
		lf.json = fs.Bool("json", false, "print the plan as JSON on standard output: tables, chains and rules added, removed and changed, sets carried, warnings with positions, the exit status and its meaning")
		lf.verify = fs.Bool("verify", false, "also verify the translation (as xt2nft verify does, with its defaults) and print the verdict after the plan; exit 1 when it finds a difference")
	}
	if cmd == "apply" {
		lf.confirm = fs.Duration("confirm", 0, "wait `DURATION` (e.g. 60s) for xt2nft confirm or Enter, then roll back")
		lf.resetSets = fs.Bool("reset-sets", false, "do not carry the recent sets' addresses over from the live ruleset")
		lf.whole = fs.Bool("whole", false, "swap xt2nft's tables whole (delete and create them in the batch) instead of editing them in place")
	}
	return fs, tf, lf
}

func runLive(cmd string, argv []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	fs, tf, lf := liveFlagSet(cmd, stderr)
	if code, done := parseFlags(fs, argv, func(w io.Writer) { manual().CommandHelp(w, cmd) }, stdout, stderr); done {
		if code == exitUsage {
			return exitError
		}
		return code
	}
	// plan --json: whatever happens, standard output is one JSON document;
	// a failure's is written from the messages (after the log is flushed:
	// this defer runs last).
	var pj *planJSON
	tty := stderr // the progress line's, before plan --json copies the messages
	if lf.json != nil && *lf.json {
		pj = &planJSON{}
		stderr = io.MultiWriter(stderr, &pj.messages)
		defer func() {
			if !pj.written {
				pj.failed(stdout, code)
			}
		}()
	}
	popt, topt, ok := tf.options(stderr)
	if !ok {
		return exitError
	}
	if *lf.backend != "nft" && *lf.backend != "iptables" {
		fmt.Fprintf(stderr, "xt2nft: bad --backend %q (want nft or iptables)\n", *lf.backend)
		return exitError
	}
	verifying := lf.verify != nil && *lf.verify
	if verifying && *lf.backend != "nft" {
		fmt.Fprintln(stderr, "xt2nft plan: --verify compares the dumps with their translation; --backend iptables loads the dumps themselves")
		return exitError
	}
	if lf.confirm != nil && *lf.confirm < 0 {
		fmt.Fprintln(stderr, "xt2nft: --confirm must be positive")
		return exitError
	}
	if os.Geteuid() != 0 && fake == nil {
		fmt.Fprintf(stderr, "xt2nft %s: reading and changing the firewall needs root (CAP_NET_ADMIN); nothing was changed\n", cmd)
		return exitError
	}
	// From here on nothing may stand between an apply and its rollback:
	// the stop signals mean "no", and messages never block (live.Log). A
	// plan changes nothing, and a signal ends it as usual (its throwaway
	// namespace and its lock die with it).
	ctx := context.Background()
	if cmd == "apply" {
		var stop func()
		ctx, stop = live.SignalContext(ctx)
		defer stop()
	}
	meter := progress.New(tty, "xt2nft "+cmd)
	logw := meter.Out(tty)
	if pj != nil {
		logw = io.MultiWriter(logw, &pj.messages)
	}
	log := live.NewLog(logw)
	defer log.Close(5 * time.Second)
	defer meter.Close()

	ns, err := netns.Open(*lf.netns)
	if err != nil {
		log.Printf("xt2nft: %v", err)
		return exitError
	}
	defer ns.Close()
	var st live.Step
	var warnings []parser.Diagnostic
	var verdict func() (*report.Report, error) // plan --verify
	if *lf.backend == "iptables" {
		d, warns, ok := iptablesDumps(cmd, fs, popt, stdin, log)
		if !ok {
			return exitError
		}
		warnings = warns
		st = live.Step{Backend: &ipt.Namespace{NS: ns, Variant: ipt.Variant(*lf.variant)}, Ruleset: d}
	} else {
		meter.Start("reading and translating the rules", 0, "")
		read := onceInputs(func() ([]input, bool) { return tf.inputs(ns, fs.Args(), stdin, log) })
		out, prog, code := translateLowered(cmd, read, log, popt, topt)
		if prog == nil {
			return code
		}
		// The translation of -m quota depends on the kernel it will run
		// on: asked once, when a quota is there to translate.
		if fake == nil && !fs.Changed("quota-stops-at-limit") && usesQuota(prog) {
			inclusive, err := lab.NFTQuotaInclusive()
			if err != nil {
				log.Printf("xt2nft %s: asking the kernel how its quota counts: %v; nothing was changed (--quota-stops-at-limit=true or =false says it)", cmd, err)
				return exitError
			}
			if !inclusive {
				topt.QuotaStopsAtLimit = true
				if out, prog, code = translateLowered(cmd, read, log, popt, topt); prog == nil {
					return code
				}
			}
		}
		warnings = out.Warnings
		if verifying {
			verdict = func() (*report.Report, error) {
				in, _ := read()
				vin := make([]verify.Input, len(in))
				for i, x := range in {
					vin[i] = verify.Input{Name: x.name, Src: x.src}
				}
				opt, err := verifyOptions(tf, popt, topt)
				if err != nil {
					return nil, err
				}
				meter.Start("verifying the translation in throwaway labs", 0, "")
				opt.Progress = meter
				return verify.Run(vin, opt)
			}
		}
		st = live.Step{Backend: nft.New(ns), Ruleset: prog}
		if fake != nil {
			st = live.Step{Backend: fake, Ruleset: fakeRuleset(out.Ruleset)}
		}
	}
	cfg := liveConfig(ns, *lf.netns, log)
	bopt := backend.ApplyOptions{ReplaceForeign: *lf.foreign, Progress: meter}
	if cmd == "plan" {
		if pj != nil {
			pj.warnings = warnings
		}
		return plan(ctx, cfg, st, bopt, stdout, log, pj, verdict)
	}
	bopt.ResetSets = *lf.resetSets
	bopt.Whole = *lf.whole
	aopt := live.ApplyOptions{ApplyOptions: bopt, Confirm: *lf.confirm, Command: "apply"}
	if f, ok := stdin.(*os.File); ok && progress.IsTerminal(f) {
		aopt.TTY = f
	}
	outcome, err := live.Apply(ctx, cfg, []live.Step{st}, aopt)
	if err != nil {
		log.Printf("xt2nft apply: %v", err)
		return exitError
	}
	if outcome.RolledBack {
		return exitError
	}
	return exitOK
}

// translateLowered translates and lowers the inputs (prog nil: failed,
// with the exit status).
func translateLowered(cmd string, read func() ([]input, bool), log *live.Log, popt parser.Options, topt translate.Options) (*translate.Output, *nft.Program, int) {
	out, code := translateInputs(read, log, popt, topt)
	if out == nil {
		return nil, nil, code
	}
	if out.Failed || out.Ruleset == nil {
		log.Printf("xt2nft %s: the translation failed; nothing was changed", cmd)
		return nil, nil, exitError
	}
	prog, err := nft.Lower(out.Ruleset)
	if err != nil {
		log.Printf("%v\nxt2nft %s: nothing was changed (`xt2nft FILE | nft -f -` loads what the netlink backend cannot send)", err, cmd)
		return nil, nil, exitError
	}
	return out, prog, exitOK
}

// onceInputs reads the inputs once (standard input cannot be read twice).
func onceInputs(read func() ([]input, bool)) func() ([]input, bool) {
	var in []input
	var ok, done bool
	return func() ([]input, bool) {
		if !done {
			in, ok = read()
			done = true
		}
		return in, ok
	}
}

// usesQuota says whether a program counts with nft quota.
func usesQuota(p *nft.Program) bool {
	for _, f := range nft.Features(p) {
		if f.Name == "quota" {
			return true
		}
	}
	return false
}

// liveConfig is where live runs: the namespace, the run directory, the
// backends a journal may name, and the guard (this program, re-executed).
func liveConfig(ns *netns.NS, name string, log *live.Log) live.Config {
	args := []string{"__guard", "--name", name}
	if ns.File() != nil {
		args = append(args, "--netns-fd")
	}
	cfg := live.Config{
		Dir: runDir, NS: ns, NSName: name, Log: log,
		Open:  openBackend(ns),
		Guard: live.StartGuard(ns, "/proc/self/exe", "xt2nft", args...),
	}
	if fake != nil {
		cfg.Guard = nil // a guard process would not share the test's Fake
	}
	return cfg
}

// openBackend gives the backends a journal can name.
func openBackend(ns *netns.NS) func(kind string) (backend.Backend, error) {
	return func(kind string) (backend.Backend, error) {
		switch kind {
		case "nft":
			return nft.New(ns), nil
		case "iptables":
			return &ipt.Namespace{NS: ns}, nil
		case "xt_recent":
			return &recent.Kept{Legacy: recent.Legacy{NS: ns, Dir: migrateProcDir}}, nil
		case "fake":
			if fake != nil {
				return fake, nil
			}
		}
		return nil, fmt.Errorf("a journal names backend %q, which this xt2nft does not have", kind)
	}
}

// plan prints what apply would change; with a verdict (plan --verify),
// then verify's report, and a difference makes the exit status 1.
func plan(ctx context.Context, cfg live.Config, st live.Step, opt backend.ApplyOptions, stdout io.Writer, log *live.Log, pj *planJSON, verdict func() (*report.Report, error)) int {
	c, err := live.PlanChanges(ctx, cfg, []live.Step{st}, opt)
	if err != nil {
		if errors.Is(err, backend.ErrRefused) {
			log.Printf("%v\nxt2nft plan: the kernel refuses the new ruleset; apply would change nothing", err)
		} else {
			log.Printf("xt2nft plan: %v", err)
		}
		return exitError
	}
	log.Printf("xt2nft plan: the kernel accepts the new ruleset (%s; checked in a throwaway namespace)", st.Ruleset.Summary())
	for _, n := range c.Notes {
		log.Printf("xt2nft plan: note: %s", n)
	}
	code := planChanges
	if c.Empty() {
		code = planNoChanges
	}
	var rep *report.Report
	if verdict != nil {
		if rep, err = verdict(); err != nil {
			log.Printf("xt2nft plan: verify: %v", err)
			return exitError
		}
		if !rep.OK() {
			code = exitError
			log.Printf("xt2nft plan: verify found %d difference(s) between the original and the translation", len(rep.Differences))
		}
	}
	if pj != nil {
		pj.verify = rep
		if err := pj.write(stdout, code, st.Ruleset.Summary(), c); err != nil {
			log.Printf("xt2nft plan: writing the plan: %v", err)
			return exitError
		}
		return code
	}
	if c.Empty() {
		log.Printf("xt2nft plan: no changes")
	} else {
		fmt.Fprint(stdout, c.Diff)
		log.Printf("xt2nft plan: changes above (set contents and counters not compared; apply keeps the recent sets' addresses)")
	}
	if rep != nil {
		fmt.Fprintln(stdout, "\nverify:")
		if err := rep.WriteText(stdout); err != nil {
			log.Printf("xt2nft plan: writing the verdict: %v", err)
			return exitError
		}
	}
	return code
}

// iptablesDumps reads the dumps for --backend iptables, after our parser
// has checked them.
func iptablesDumps(cmd string, fs *pflag.FlagSet, popt parser.Options, stdin io.Reader, log *live.Log) (ipt.Dumps, []parser.Diagnostic, bool) {
	if popt.Script {
		log.Printf("xt2nft: --backend iptables loads iptables-save dumps; --script input is not supported")
		return nil, nil, false
	}
	inputs, ok := readInputs(fs.Args(), stdin, log)
	if !ok {
		return nil, nil, false
	}
	var warnings []parser.Diagnostic
	var d ipt.Dumps // (--from-legacy makes no sense here: it would load the dumps that are loaded)
	bad := false
	for _, in := range inputs {
		fam := popt.Family
		if fam == 0 {
			fam = parser.DetectFamily(in.name, in.src)
		}
		if _, diags, err := parser.Parse(in.name, in.src, parser.Options{Family: fam}); err != nil {
			log.Printf("%v", err)
			bad = true
		} else {
			for _, diag := range diags {
				log.Printf("%v", diag)
			}
			warnings = append(warnings, diags...)
		}
		f := 4
		if fam == parser.IPv6 {
			f = 6
		}
		d = append(d, ipt.Dump{Name: in.name, Src: in.src, Family: f})
	}
	if bad {
		log.Printf("xt2nft %s: nothing was changed", cmd)
		return nil, nil, false
	}
	return d, warnings, true
}

// runAnswer is xt2nft confirm and xt2nft rollback.
// answerFlagSet is confirm's or rollback's flag set.
func answerFlagSet(cmd string, stderr io.Writer) (*pflag.FlagSet, *string) {
	fs := newFlagSet("xt2nft "+cmd, stderr)
	return fs, fs.String("netns", "", "the namespace given to apply --netns")
}

func runAnswer(cmd string, argv []string, stderr io.Writer) int {
	fs, name := answerFlagSet(cmd, stderr)
	if code, done := parseFlags(fs, argv, func(w io.Writer) { manual().CommandHelp(w, cmd) }, os.Stdout, stderr); done {
		return code
	}
	log := live.NewLog(stderr)
	defer log.Close(5 * time.Second)
	ns, err := netns.Open(*name)
	if err != nil {
		log.Printf("xt2nft %s: %v", cmd, err)
		return exitError
	}
	defer ns.Close()
	cfg := liveConfig(ns, *name, log)
	answer := live.Confirm
	if cmd == "rollback" {
		answer = live.Rollback
	}
	if err := answer(cfg); err != nil {
		log.Printf("xt2nft %s: %v", cmd, err)
		return exitError
	}
	log.Printf("xt2nft %s: done", cmd)
	return exitOK
}

// runGuard is the hidden `xt2nft __guard`, which live.StartGuard starts.
func runGuard(argv []string, stderr io.Writer) int {
	fs := newFlagSet("xt2nft __guard", stderr)
	dir := fs.String("dir", live.DefaultDir, "")
	token := fs.String("token", "", "")
	name := fs.String("name", "", "")
	nsFd := fs.Bool("netns-fd", false, "")
	if err := fs.Parse(argv); err != nil || *token == "" {
		return exitUsage
	}
	ns := netns.Current()
	if *nsFd {
		ns = netns.FromFile(os.NewFile(4, "netns"), *name)
	}
	log := live.NewLog(stderr)
	defer log.Close(5 * time.Second)
	cfg := live.Config{Dir: *dir, NS: ns, NSName: *name, Log: log, Open: openBackend(ns)}
	if err := live.RunGuard(cfg, *token, os.NewFile(3, "guard pipe")); err != nil {
		log.Printf("xt2nft guard: %v", err)
		return exitError
	}
	return exitOK
}
