package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // bad input, untranslatable rules, backend failure
	exitUsage = 2
)

const usage = `usage: xt2nft [flags] [FILE...]
       xt2nft plan|apply [flags] [FILE...]   (xt2nft plan --help)
       xt2nft confirm [--netns NAME]

Reads iptables-save dumps (or, with --script, iptables command lines) from
the FILEs or standard input and writes one nft script to standard output.
A file called plan, apply or confirm must be given as ./plan.

flags:
`

func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(argv) > 0 {
		switch argv[0] {
		case "plan":
			return runLive("plan", argv[1:], stdin, stdout, stderr)
		case "apply":
			return runLive("apply", argv[1:], stdin, stdout, stderr)
		case "confirm":
			return runConfirm(argv[1:], stderr)
		}
	}
	fs := newFlagSet("xt2nft", stderr)
	tf := addTranslateFlags(fs)
	format := fs.String("format", "text", "output: text (an nft script) or json (the libnftables JSON schema, for nft -j -f)")
	if code, done := parseFlags(fs, argv, usage, stderr); done {
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
	case "json":
		render = translate.RenderJSON
	default:
		fmt.Fprintf(stderr, "xt2nft: bad --format %q (want text or json)\n", *format)
		return exitUsage
	}
	out, code := translateInputs(fs.Args(), stdin, stderr, popt, topt)
	if out == nil {
		return code
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
	return fs
}

// parseFlags parses argv; done says the command should stop with code
// (help printed, or a usage error).
func parseFlags(fs *pflag.FlagSet, argv []string, text string, stderr io.Writer) (code int, done bool) {
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, true
		}
		fmt.Fprintf(stderr, "xt2nft: %v\n", err)
		return exitUsage, true
	}
	if h, _ := fs.GetBool("help"); h {
		fmt.Fprint(stderr, text)
		fs.PrintDefaults()
		return exitOK, true
	}
	return 0, false
}

// translateFlags are the flags that choose how input is read and translated.
type translateFlags struct {
	script, counters, strict, allowPartial, report *bool
	family, layout, table, ipsets                  *string
	recentSize                                     *int
	// badInput is set when options failed on a file's content (exit 1),
	// not on the command line (exit 2).
	badInput bool
}

func addTranslateFlags(fs *pflag.FlagSet) *translateFlags {
	return &translateFlags{
		script:       fs.Bool("script", false, "read iptables/ip6tables command lines instead of an iptables-save dump"),
		family:       fs.String("family", "", "family of the input: ipv4 or ipv6 (default: detect from content and name)"),
		layout:       fs.String("layout", "xt2nft", "table layout: xt2nft (one table per family) or iptables (as iptables-restore-translate)"),
		table:        fs.String("table", "xt2nft", "table name for --layout xt2nft"),
		counters:     fs.Bool("counters", false, "carry [packets:bytes] counters into the nft rules"),
		strict:       fs.Bool("strict", false, "treat approximate translations as errors"),
		allowPartial: fs.Bool("allow-partial", false, "emit untranslatable rules as comments (still exits 1)"),
		recentSize:   fs.Int("recent-size", 65535, "size of the nft sets that replace xt_recent lists"),
		report:       fs.Bool("report", false, "note for every -m recent match whether its translation is exact or approximate"),
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
		Strict: *tf.strict, AllowPartial: *tf.allowPartial, RecentSize: *tf.recentSize, Report: *tf.report}
	if topt.Layout != translate.LayoutXT2NFT && topt.Layout != translate.LayoutIPTables {
		fmt.Fprintf(stderr, "xt2nft: bad --layout %q (want xt2nft or iptables)\n", *tf.layout)
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
func translateInputs(files []string, stdin io.Reader, stderr io.Writer, popt parser.Options, topt translate.Options) (*translate.Output, int) {
	inputs, ok := readInputs(files, stdin, stderr)
	if !ok {
		return nil, exitError
	}
	setMemoryLimit(inputs)
	var ins []translate.Input
	for _, in := range inputs {
		ins = append(ins, translate.Input{Name: in.name, Src: in.src})
	}
	out := translate.Prepare(ins, popt, topt)
	for _, d := range out.Diags {
		fmt.Fprintln(stderr, d)
	}
	return out, exitOK
}

// setMemoryLimit gives the garbage collector a soft heap limit of about
// twice what a translation keeps live (~12 bytes per input byte, measured),
// and at least 180 MiB. With the default GOGC alone the heap of a
// 100,000-rule translation peaks at ~250 MB, mostly garbage waiting for the
// next cycle; with this limit it stays under 190 MB at the same speed.
// GOMEMLIMIT in the environment wins.
func setMemoryLimit(inputs []input) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var n int64
	for _, in := range inputs {
		n += int64(len(in.src))
	}
	debug.SetMemoryLimit(max(180<<20, 24*n))
}

// input is one file (or standard input) to translate.
type input struct {
	name string
	src  []byte
}
