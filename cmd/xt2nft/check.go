package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/internal/progress"
	"github.com/xt2nft/xt2nft/lab"
)

// checkFlagSet is check's flag set: the translation's flags and the
// configuration of the kernel to check against.
func checkFlagSet(stderr io.Writer) (*pflag.FlagSet, *translateFlags, *string) {
	fs := newFlagSet("xt2nft check", stderr)
	tf := addTranslateFlags(fs)
	cfg := fs.String("kernel-config", "", "also check against this kernel configuration (`FILE`, e.g. /boot/config-6.12.0)")
	return fs, tf, cfg
}

// runCheck lists what the translation needs of the kernel, tries each on
// the running kernel (as root, in a throwaway namespace) and looks each
// up in a kernel configuration. Exit status 1 when something is missing.
func runCheck(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, tf, cfgFile := checkFlagSet(stderr)
	if code, done := parseFlags(fs, argv, func(w io.Writer) { manual().CommandHelp(w, "check") }, stdout, stderr); done {
		if code == exitUsage {
			return exitError
		}
		return code
	}
	popt, topt, ok := tf.options(stderr)
	if !ok {
		return exitError
	}
	var cfg nft.KernelConfig
	if *cfgFile != "" {
		f, err := os.Open(*cfgFile)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft check: %v\n", err)
			return exitError
		}
		cfg, err = nft.ReadKernelConfig(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft check: %s: %v\n", *cfgFile, err)
			return exitError
		}
	}
	read := func() ([]input, bool) { return tf.inputs(netns.Current(), fs.Args(), stdin, stderr) }
	out, code := translateInputs(read, stderr, popt, topt)
	if out == nil {
		return code
	}
	if out.Failed || out.Ruleset == nil {
		fmt.Fprintln(stderr, "xt2nft check: the translation failed")
		return exitError
	}
	prog, err := nft.Lower(out.Ruleset)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	probe := os.Geteuid() == 0
	missing := 0
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	head := "FEATURE\tFIRST NEEDED BY\tKERNEL OPTION\tRUNNING KERNEL"
	if cfg != nil {
		head += "\t" + *cfgFile
	}
	fmt.Fprintln(tw, head)
	var refusals []string
	quota := false
	for _, f := range nft.Features(prog) {
		quota = quota || f.Name == "quota"
		by := "-"
		if f.Rule.File != "" {
			by = f.Rule.String()
		}
		opt := "(nf_tables)"
		if f.Config != "" {
			opt = "CONFIG_" + f.Config
		}
		running := "not tried (needs root)"
		if probe {
			if err := nft.ProbeFeature(f); err != nil {
				running = "no"
				missing++
				refusals = append(refusals, fmt.Sprintf("%s: %s: the running kernel refuses it: %v", by, f.Name, err))
			} else {
				running = "yes"
			}
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s", f.Name, by, opt, running)
		if cfg != nil {
			has := "(nf_tables)"
			if f.Config != "" {
				var ok bool
				if has, ok = cfg.Has(f.Config); !ok {
					missing++
				}
			}
			line += "\t" + has
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for _, r := range refusals {
		fmt.Fprintln(stderr, r)
	}
	if cfg != nil {
		fmt.Fprintf(stdout, "legacy iptables tables in %s: %s\n", *cfgFile, cfg.Legacy())
	}
	if quota && probe {
		switch inclusive, err := lab.NFTQuotaInclusive(); {
		case err != nil:
			fmt.Fprintf(stderr, "xt2nft check: asking the kernel how its quota counts: %v\n", err)
		case inclusive:
			fmt.Fprintln(stdout, "quota: the running kernel's nft quota passes the packet that reaches the limit, as xt_quota does (plan and apply translate for it)")
		default:
			fmt.Fprintln(stdout, "quota: the running kernel's nft quota stops at the limit (before Linux 6.16): plan and apply translate for it, plain xt2nft needs --quota-stops-at-limit")
		}
	}
	if missing > 0 {
		fmt.Fprintf(stderr, "xt2nft check: %s missing\n", progress.Of(missing, "feature", "features"))
		return exitError
	}
	return exitOK
}
