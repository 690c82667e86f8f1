package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"

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

Reads iptables-save dumps (or, with --script, iptables command lines) from
the FILEs or standard input and writes one nft script to standard output.

flags:
`

func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("xt2nft", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	help := func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.BoolP("help", "h", false, "show this help")
	var (
		script       = fs.Bool("script", false, "read iptables/ip6tables command lines instead of an iptables-save dump")
		family       = fs.String("family", "", "family of the input: ipv4 or ipv6 (default: detect from content and name)")
		layout       = fs.String("layout", "xt2nft", "table layout: xt2nft (one table per family) or iptables (as iptables-restore-translate)")
		table        = fs.String("table", "xt2nft", "table name for --layout xt2nft")
		counters     = fs.Bool("counters", false, "carry [packets:bytes] counters into the nft rules")
		strict       = fs.Bool("strict", false, "treat approximate translations as errors")
		allowPartial = fs.Bool("allow-partial", false, "emit untranslatable rules as comments (still exits 1)")
		recentSize   = fs.Int("recent-size", 65535, "size of the nft sets that replace xt_recent lists")
		report       = fs.Bool("report", false, "note for every -m recent match whether its translation is exact or approximate")
	)
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "xt2nft: %v\n", err)
		return exitUsage
	}
	if h, _ := fs.GetBool("help"); h {
		help()
		return exitOK
	}
	popt := parser.Options{Script: *script}
	switch *family {
	case "":
	case "ipv4", "4", "ip":
		popt.Family = parser.IPv4
	case "ipv6", "6", "ip6":
		popt.Family = parser.IPv6
	default:
		fmt.Fprintf(stderr, "xt2nft: bad --family %q (want ipv4 or ipv6)\n", *family)
		return exitUsage
	}
	topt := translate.Options{Layout: translate.Layout(*layout), Table: *table, Counters: *counters,
		Strict: *strict, AllowPartial: *allowPartial, RecentSize: *recentSize, Report: *report}
	if topt.Layout != translate.LayoutXT2NFT && topt.Layout != translate.LayoutIPTables {
		fmt.Fprintf(stderr, "xt2nft: bad --layout %q (want xt2nft or iptables)\n", *layout)
		return exitUsage
	}

	var inputs []input
	if fs.NArg() == 0 {
		src, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft: reading standard input: %v\n", err)
			return exitError
		}
		inputs = append(inputs, input{"<stdin>", src})
	}
	for _, f := range fs.Args() {
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft: %v\n", err)
			return exitError
		}
		inputs = append(inputs, input{f, src})
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
	if out.Printable(topt) {
		// Streamed: nothing is written unless the translation succeeded
		// (or --allow-partial), so a failure leaves stdout empty.
		if err := translate.Render(stdout, out.Ruleset); err != nil {
			fmt.Fprintf(stderr, "xt2nft: writing output: %v\n", err)
			return exitError
		}
	}
	if out.Failed {
		return exitError
	}
	return exitOK
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
