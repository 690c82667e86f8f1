package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/verify"
)

const verifyUsage = `usage: xt2nft verify [flags] [FILE...]

verify loads the original ruleset (the FILEs: iptables-save dumps, or
iptables command lines with --script; without FILEs the live legacy
ruleset, from iptables-legacy-save and ip6tables-legacy-save) with
iptables-legacy-restore into one throwaway lab of network namespaces, and
its translation, lowered and sent as xt2nft apply sends it (or, with
--against, an nft script made elsewhere), into an identical second lab.
Probes generated from the rules go through both: every difference in what
became of them (delivered, forwarded, dropped, rejected; marks, NAT, the
conntrack entry, which rules counted them) is reported with the iptables
rule, the probe and both sides. Nothing outside the labs changes, and they
vanish with the process. Needs root.

Exit status: 0 no difference found, 1 differences or an error. The report
ends with the coverage: the rules a probe reached, of all rules.

flags:
`

func runVerify(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("xt2nft verify", stderr)
	tf := addTranslateFlags(fs)
	jsonOut := fs.Bool("json", false, "write the report as JSON")
	against := fs.String("against", "", "compare with the nft script `FILE` (loaded with nft -f) instead of xt2nft's translation")
	maxWait := fs.Duration("max-wait", 10*time.Second, "longest pause a timed probe may take (recent windows longer than this are not waited out)")
	pairs := fs.Int("parallel", 2, "pairs of labs sending probes at once")
	trace := fs.Bool("trace", false, "write every probe and what each side did with it to standard error")
	if code, done := parseFlags(fs, argv, verifyUsage, stderr); done {
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
	opt := verify.Options{Parser: popt, Translate: topt, MaxWait: *maxWait, Pairs: *pairs}
	if *trace {
		opt.Trace = stderr
	}
	if *tf.ipsets != "" {
		b, err := os.ReadFile(*tf.ipsets)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft verify: %v\n", err)
			return exitError
		}
		opt.IPSets = b
	}
	if *against != "" {
		b, err := os.ReadFile(*against)
		if err != nil {
			fmt.Fprintf(stderr, "xt2nft verify: %v\n", err)
			return exitError
		}
		opt.Against, opt.AgainstName = b, *against
	}
	inputs, ok := verifyInputs(fs.Args(), stderr)
	if !ok {
		return exitError
	}
	rep, err := verify.Run(inputs, opt)
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
