package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/internal/version"
	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/sandbox"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // bad input, untranslatable rules, backend failure
	exitUsage = 2
)

func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(argv) > 0 {
		switch argv[0] {
		case "plan":
			return runLive("plan", argv[1:], stdin, stdout, stderr)
		case "apply":
			return runLive("apply", argv[1:], stdin, stdout, stderr)
		case "migrate":
			return runMigrate(argv[1:], stdin, stdout, stderr)
		case "check":
			return runCheck(argv[1:], stdin, stdout, stderr)
		case "confirm", "rollback":
			return runAnswer(argv[0], argv[1:], stderr)
		case "verify":
			return runVerify(argv[1:], stdin, stdout, stderr)
		case "__guard":
			return runGuard(argv[1:], stderr)
		}
	}
	fs, tf, xf, format := mainFlags(stderr)
	if code, done := parseFlags(fs, argv, func(w io.Writer) { manual().Help(w) }, stdout, stderr); done {
		return code
	}
	popt, topt, ok := tf.options(stderr)
	if !ok {
		if tf.badInput {
			return exitError
		}
		return exitUsage
	}
	render := translate.Render
	switch *format {
	case "text":
		// Only printed: each chain is rendered as soon as it is final,
		// and its rules go (translate.Options.RenderAhead).
		topt.RenderAhead = true
	case "json":
		render = translate.RenderJSON
	default:
		fmt.Fprintf(stderr, "xt2nft: bad --format %q (want text or json)\n", *format)
		return exitUsage
	}
	var out *translate.Output
	if *xf.script != "" {
		if popt.Script {
			fmt.Fprintln(stderr, "xt2nft: --exec runs a script, --script reads one: use one of them")
			return exitUsage
		}
		if out = runExec(*xf.script, fs.Args(), *xf.timeout, stderr, popt, topt); out == nil {
			return exitError
		}
	} else {
		var code int
		read := func() ([]input, bool) { return tf.inputs(netns.Current(), fs.Args(), stdin, stderr) }
		if out, code = translateInputs(read, stderr, popt, topt); out == nil {
			return code
		}
	}
	if out.Printable(topt) {
		// Streamed: nothing is written unless the translation succeeded
		// (or --allow-partial), so a failure leaves stdout empty.
		if err := render(stdout, out.Ruleset); err != nil {
			var pe *parser.Error
			if errors.As(err, &pe) {
				fmt.Fprintln(stderr, pe) // refused before anything was written
			} else {
				fmt.Fprintf(stderr, "xt2nft: writing output: %v\n", err)
			}
			return exitError
		}
	}
	if out.Failed {
		return exitError
	}
	return exitOK
}

func newFlagSet(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	fs.BoolP("help", "h", false, "show this help")
	fs.Bool("version", false, "print the version (and the nft, iptables and kernel versions it is tested with)")
	return fs
}

// mainFlags are the flags of plain xt2nft (translate).
func mainFlags(stderr io.Writer) (*pflag.FlagSet, *translateFlags, *execFlags, *string) {
	fs := newFlagSet("xt2nft", stderr)
	tf := addTranslateFlags(fs)
	xf := addExecFlags(fs)
	format := fs.String("format", "text", "output: text (an nft script) or json (the libnftables JSON schema, for nft -j -f)")
	return fs, tf, xf, format
}

// parseFlags parses argv; done says the command should stop with code
// (help or version printed, or a usage error).
func parseFlags(fs *pflag.FlagSet, argv []string, help func(io.Writer), stdout, stderr io.Writer) (code int, done bool) {
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, true
		}
		fmt.Fprintf(stderr, "xt2nft: %v\n", err)
		return exitUsage, true
	}
	if h, _ := fs.GetBool("help"); h {
		help(stderr)
		return exitOK, true
	}
	if v, _ := fs.GetBool("version"); v {
		fmt.Fprintln(stdout, version.String("xt2nft"))
		return exitOK, true
	}
	return 0, false
}

// translateFlags are the flags that choose how input is read and translated.
type translateFlags struct {
	script, counters, strict, allowPartial, report, optimize *bool
	fromLegacy, quotaStops                                   *bool
	family, layout, table, ipsets                            *string
	recentSize                                               *int
	// badInput is set when options failed on a file's content (exit 1),
	// not on the command line (exit 2).
	badInput bool
}

func addTranslateFlags(fs *pflag.FlagSet) *translateFlags {
	return &translateFlags{
		script:       fs.Bool("script", false, "read iptables/ip6tables command lines instead of an iptables-save dump"),
		family:       fs.String("family", "", "family of the input: ipv4 or ipv6 (default: detect from content and name)"),
		layout:       fs.String("layout", "xt2nft", "table layout: xt2nft (one table per family), inet (one table for IPv4 and IPv6) or iptables (as iptables-restore-translate)"),
		table:        fs.String("table", "xt2nft", "table name for --layout xt2nft and inet"),
		counters:     fs.Bool("counters", false, "carry [packets:bytes] counters into the nft rules"),
		strict:       fs.Bool("strict", false, "treat approximate translations as errors"),
		allowPartial: fs.Bool("allow-partial", false, "emit untranslatable rules as comments (still exits 1)"),
		recentSize:   fs.Int("recent-size", 65535, "size of the nft sets that replace xt_recent lists"),
		report:       fs.Bool("report", false, "note for every -m recent match whether its translation is exact or approximate, and every fold of --optimize"),
		optimize:     fs.Bool("optimize", false, "fold rules into sets, maps and verdict maps, and share identical anonymous sets (same behaviour, loads and runs faster; see README)"),
		fromLegacy:   fs.Bool("from-legacy", false, "read the running legacy ruleset (iptables-legacy-save and ip6tables-legacy-save, with -c when --counters) instead of FILEs"),
		quotaStops:   fs.Bool("quota-stops-at-limit", false, "target a kernel whose nft quota refuses the packet that reaches the limit (before Linux 6.16; plan and apply ask the running kernel)"),
		ipsets:       fs.String("ipsets", "", "`FILE` of `ipset save` output: the ipsets -m set and -j SET name become nft sets with their types and elements"),
	}
}

func (tf *translateFlags) options(stderr io.Writer) (parser.Options, translate.Options, bool) {
	popt := parser.Options{Script: *tf.script}
	switch *tf.family {
	case "":
	case "ipv4", "4", "ip":
		popt.Family = parser.IPv4
	case "ipv6", "6", "ip6":
		popt.Family = parser.IPv6
	default:
		fmt.Fprintf(stderr, "xt2nft: bad --family %q (want ipv4 or ipv6)\n", *tf.family)
		return popt, translate.Options{}, false
	}
	topt := translate.Options{Layout: translate.Layout(*tf.layout), Table: *tf.table, Counters: *tf.counters,
		Strict: *tf.strict, AllowPartial: *tf.allowPartial, RecentSize: *tf.recentSize, Report: *tf.report,
		QuotaStopsAtLimit: *tf.quotaStops}
	if *tf.optimize {
		topt.Optimize = optimize.Hook
	}
	if topt.Layout != translate.LayoutXT2NFT && topt.Layout != translate.LayoutIPTables && topt.Layout != translate.LayoutInet {
		fmt.Fprintf(stderr, "xt2nft: bad --layout %q (want xt2nft, inet or iptables)\n", *tf.layout)
		return popt, topt, false
	}
	if *tf.ipsets != "" {
		b, err := os.ReadFile(*tf.ipsets)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft: %v\n", err)
			tf.badInput = true
			return popt, topt, false
		}
		if topt.IPSets, err = ipset.Parse(*tf.ipsets, b); err != nil {
			fmt.Fprintln(stderr, err)
			tf.badInput = true
			return popt, topt, false
		}
	}
	return popt, topt, true
}

// execFlags are the flags of xt2nft --exec.
type execFlags struct {
	script  *string
	timeout *time.Duration
}

func addExecFlags(fs *pflag.FlagSet) *execFlags {
	return &execFlags{
		script:  fs.String("exec", "", "run the shell script `SCRIPT` in a sandbox (needs root) and translate what it built; further arguments are the script's"),
		timeout: fs.Duration("exec-timeout", 60*time.Second, "stop an --exec script that runs longer (it is an error)"),
	}
}

// runExec runs the script in the sandbox and translates what it built,
// printing the diagnostics; nil means the sandbox could not run it.
func runExec(script string, args []string, timeout time.Duration, stderr io.Writer, popt parser.Options, topt translate.Options) *translate.Output {
	res, err := sandbox.Run(context.Background(), script, sandbox.Options{Timeout: timeout, Args: args})
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft: %v\n", err)
		return nil
	}
	out := sandbox.Translate(res, popt, topt)
	for _, d := range out.Diags {
		fmt.Fprintln(stderr, d)
	}
	return out
}

// inputs reads what the translation reads: the running legacy ruleset of
// ns with --from-legacy, else the files (standard input when none).
func (tf *translateFlags) inputs(ns *netns.NS, files []string, stdin io.Reader, stderr io.Writer) ([]input, bool) {
	if !*tf.fromLegacy {
		return readInputs(files, stdin, stderr)
	}
	if len(files) > 0 {
		fmt.Fprintln(stderr, "xt2nft: --from-legacy reads the running ruleset; give no FILEs")
		return nil, false
	}
	in, err := legacyInputs(ns, *tf.counters)
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft: --from-legacy: %v\n", err)
		return nil, false
	}
	if len(in) == 0 {
		fmt.Fprintln(stderr, "xt2nft: --from-legacy: the legacy ruleset is empty (no iptables-legacy or ip6tables-legacy table in this namespace)")
		return nil, false
	}
	return in, true
}

// legacyInputs runs iptables-legacy-save and ip6tables-legacy-save in ns
// (-c: with counters). Each dump is named after the program, so that a
// diagnostic names the rule by the line the dump prints it on.
func legacyInputs(ns *netns.NS, counters bool) ([]input, error) {
	var out []input
	for _, prog := range []string{"iptables-legacy-save", "ip6tables-legacy-save"} {
		if _, err := exec.LookPath(prog); err != nil {
			return nil, fmt.Errorf("%s not found: install the iptables package", prog)
		}
		var args []string
		if counters {
			args = append(args, "-c")
		}
		cmd := ns.Command(prog, args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%s: %v: %s", prog, err, strings.TrimSpace(e.String()))
		}
		if bytes.Contains(o.Bytes(), []byte("\n*")) || bytes.HasPrefix(o.Bytes(), []byte("*")) {
			out = append(out, input{prog, o.Bytes()})
		}
	}
	return out, nil
}

// readInputs reads the files, or standard input when there are none.
func readInputs(files []string, stdin io.Reader, stderr io.Writer) ([]input, bool) {
	var inputs []input
	if len(files) == 0 {
		src, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft: reading standard input: %v\n", err)
			return nil, false
		}
		inputs = append(inputs, input{"<stdin>", src})
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft: %v\n", err)
			return nil, false
		}
		inputs = append(inputs, input{f, src})
	}
	return inputs, true
}

// translateInputs reads and translates the files, printing the
// diagnostics; a nil Output means reading failed (code says how to exit).
func translateInputs(read func() ([]input, bool), stderr io.Writer, popt parser.Options, topt translate.Options) (*translate.Output, int) {
	inputs, ok := read()
	if !ok {
		return nil, exitError
	}
	var ins []translate.Input
	for _, in := range inputs {
		ins = append(ins, translate.Input{Name: in.name, Src: in.src})
	}
	topt.Check = nft.OversizeRules
	out := translate.Prepare(ins, popt, topt)
	for _, d := range out.Diags {
		fmt.Fprintln(stderr, d)
	}
	if topt.Optimize == nil && out.Ruleset != nil {
		hintOptimize(stderr, out.Ruleset)
	}
	return out, exitOK
}

// hintOptimize points big literal translations at --optimize: the
// kernel's cost of a table grows with the square of its sets, and an
// anonymous set is found through the whole transaction.
func hintOptimize(stderr io.Writer, rs *translate.Ruleset) {
	rules, anon := translate.CountRules(rs)
	if anon >= 2000 || rules >= 20000 {
		fmt.Fprintf(stderr, "xt2nft: note: %d rules and %d anonymous sets, one nft rule per iptables rule; --optimize folds them into sets and maps, which the kernel loads and runs much faster (same behaviour)\n", rules, anon)
	}
}

// input is one file (or standard input) to translate.
type input struct {
	name string
	src  []byte
}
