package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/xt2nft/xt2nft/internal/progress"
	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/sandbox"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/verify"
)

// verifyFlagSet is verify's flag set: the translation's flags and the
// lab's.
func verifyFlagSet(stderr io.Writer) (*pflag.FlagSet, *translateFlags, verifyFlags) {
	fs := newFlagSet("xt2nft verify", stderr)
	tf := addTranslateFlags(fs)
	vf := verifyFlags{
		exec:       addExecFlags(fs),
		json:       fs.Bool("json", false, "write the report as JSON"),
		against:    fs.String("against", "", "compare with the nft script `FILE` (loaded with nft -f) instead of xt2nft's translation"),
		maxWait:    fs.Duration("max-wait", 10*time.Second, "longest pause a timed probe may take (recent windows longer than this are not waited out)"),
		pairs:      fs.Int("parallel", 2, "pairs of labs sending probes at once"),
		trace:      fs.Bool("trace", false, "write every probe and what each side did with it to standard error"),
		noVariants: fs.Bool("no-variants", false, "do not probe the rules no probe reached again in variants of the ruleset (the rules that took their packets removed, their chain entered)"),
	}
	return fs, tf, vf
}

// verifyFlags are the flags verify adds to the translation's.
type verifyFlags struct {
	exec                    *execFlags
	json, trace, noVariants *bool
	against                 *string
	maxWait                 *time.Duration
	pairs                   *int
}

func runVerify(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, tf, vf := verifyFlagSet(stderr)
	jsonOut, against, maxWait, pairs, trace := vf.json, vf.against, vf.maxWait, vf.pairs, vf.trace
	if code, done := parseFlags(fs, argv, func(w io.Writer) { manual().CommandHelp(w, "verify") }, stdout, stderr); done {
		if code == exitUsage {
			return exitError
		}
		return code
	}
	popt, topt, ok := tf.options(stderr)
	if !ok {
		return exitError
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(stderr, "xt2nft verify: the labs need root (CAP_NET_ADMIN and CAP_SYS_ADMIN for their namespaces)")
		return exitError
	}
	opt, err := verifyOptions(tf, popt, topt)
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft verify: %v\n", err)
		return exitError
	}
	opt.MaxWait, opt.Pairs, opt.NoVariants = *maxWait, *pairs, *vf.noVariants
	if *trace {
		opt.Trace = stderr
	}
	if *against != "" {
		b, err := os.ReadFile(*against)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft verify: %v\n", err)
			return exitError
		}
		opt.Against, opt.AgainstName = b, *against
	}
	var inputs []verify.Input
	if *vf.exec.script != "" {
		if popt.Script {
			fmt.Fprintln(stderr, "xt2nft verify: --exec runs a script, --script reads one: use one of them")
			return exitError
		}
		if inputs, ok = execInputs(*vf.exec.script, fs.Args(), *vf.exec.timeout, &opt, stderr); !ok {
			return exitError
		}
	} else if inputs, ok = verifyInputs(fs.Args(), stderr); !ok {
		return exitError
	}
	if !*trace {
		opt.Progress = progress.New(stderr, "xt2nft verify")
	}
	rep, err := verify.Run(inputs, opt)
	opt.Progress.Close()
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft verify: %v\n", err)
		return exitError
	}
	if *jsonOut {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft verify: writing the report: %v\n", err)
		return exitError
	}
	if !rep.OK() {
		return exitError
	}
	return exitOK
}

// verifyOptions are verify's options from the translation's flags (plan
// --verify shares them).
func verifyOptions(tf *translateFlags, popt parser.Options, topt translate.Options) (verify.Options, error) {
	opt := verify.Options{Parser: popt, Translate: topt}
	if *tf.ipsets != "" {
		b, err := os.ReadFile(*tf.ipsets)
		if err != nil {
			return opt, err
		}
		opt.IPSets = b
	}
	return opt, nil
}

// execInputs runs the script in the sandbox (as xt2nft --exec does) and
// returns what it built, to verify; the ipsets it made are the ones its
// rules name, unless --ipsets gives others.
func execInputs(script string, args []string, timeout time.Duration, opt *verify.Options, stderr io.Writer) ([]verify.Input, bool) {
	res, err := sandbox.Run(context.Background(), script, sandbox.Options{Timeout: timeout, Args: args})
	var dumps []sandbox.Dump
	if err == nil {
		dumps, err = res.Dumps()
	}
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft verify: %v\n", err)
		return nil, false
	}
	if len(dumps) == 0 {
		fmt.Fprintf(stderr, "xt2nft verify: %s built no iptables rules in the sandbox; nothing to verify\n", script)
		return nil, false
	}
	var out []verify.Input
	for _, d := range dumps {
		out = append(out, verify.Input{Name: d.Name, Src: d.Src, Family: d.Family})
	}
	if opt.IPSets == nil && strings.TrimSpace(res.IPSets) != "" {
		// Restored in the iptables labs, and the translation's sets, as
		// xt2nft --exec translates them (sandbox.Translate).
		sets, err := ipset.Parse(res.Script+"[ipset save]", []byte(res.IPSets))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return nil, false
		}
		opt.IPSets, opt.Translate.IPSets = []byte(res.IPSets), sets
	}
	return out, true
}

// verifyInputs reads the files, or without files the live legacy ruleset
// (iptables-legacy-save and ip6tables-legacy-save only list it).
func verifyInputs(files []string, stderr io.Writer) ([]verify.Input, bool) {
	var out []verify.Input
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft verify: %v\n", err)
			return nil, false
		}
		out = append(out, verify.Input{Name: f, Src: src})
	}
	if len(files) > 0 {
		return out, true
	}
	for _, live := range []struct {
		prog string
		fam  parser.Family
	}{{"iptables-legacy-save", parser.IPv4}, {"ip6tables-legacy-save", parser.IPv6}} {
		prog := live.prog
		src, err := exec.Command(prog).Output()
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft verify: %s: %v\n", prog, err)
			return nil, false
		}
		if strings.Contains(string(src), "\n*") || strings.HasPrefix(string(src), "*") {
			out = append(out, verify.Input{Name: "(live " + strings.TrimSuffix(prog, "-save") + ")", Src: src, Family: live.fam})
		}
	}
	if len(out) == 0 {
		fmt.Fprintln(stderr, "xt2nft verify: no iptables-legacy ruleset is live here (give the dumps as FILEs)")
		return nil, false
	}
	return out, true
}
