package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/ipt"
	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/parser"
)

// Exit statuses of plan (as terraform plan -detailed-exitcode).
const (
	planNoChanges = 0
	planChanges   = 2
)

const liveUsage = `usage: xt2nft plan  [flags] [FILE...]
       xt2nft apply [flags] [FILE...]
       xt2nft confirm [--netns NAME]

plan translates the FILEs (iptables-save dumps, or iptables command lines
with --script), validates the result against the kernel in a throwaway
network namespace, and prints the difference between the live ruleset and
the new one. It changes nothing. Exit status: 0 no changes, 2 changes,
1 error.

apply puts the translation live: with --backend nft (the default) as one
atomic netlink batch that replaces xt2nft's own tables and touches no other
table, keeping the contents of the recent sets; with --backend iptables by
loading the dumps themselves through iptables-restore. With --confirm it
waits for ` + "`xt2nft confirm`" + ` (or Enter on a terminal) and restores
the previous ruleset if none comes in time, as iptables-apply does.

flags:
`

// liveFlags are plan's and apply's own flags.
type liveFlags struct {
	netns, backend, variant *string
	confirm                 *time.Duration
	resetSets               *bool
}

func runLive(cmd string, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("xt2nft "+cmd, stderr)
	tf := addTranslateFlags(fs)
	lf := liveFlags{
		netns:   fs.String("netns", "", "work in this named network namespace (ip netns) instead of the current one"),
		backend: fs.String("backend", "nft", "nft (netlink, the translation) or iptables (iptables-restore, the dumps as they are)"),
		variant: fs.String("iptables", "", "with --backend iptables: legacy or nft (default: what the iptables command is)"),
	}
	if cmd == "apply" {
		lf.confirm = fs.Duration("confirm", 0, "wait `DURATION` (e.g. 60s) for xt2nft confirm or Enter, then roll back")
		lf.resetSets = fs.Bool("reset-sets", false, "do not carry the recent sets' addresses over from the live ruleset")
	}
	errExit := exitError
	if code, done := parseFlags(fs, argv, liveUsage, stderr); done {
		if code == exitUsage {
			return errExit
		}
		return code
	}
	popt, topt, ok := tf.options(stderr)
	if !ok {
		return errExit
	}
	if *lf.backend != "nft" && *lf.backend != "iptables" {
		fmt.Fprintf(stderr, "xt2nft: bad --backend %q (want nft or iptables)\n", *lf.backend)
		return errExit
	}
	if lf.confirm != nil && *lf.confirm < 0 {
		fmt.Fprintln(stderr, "xt2nft: --confirm must be positive")
		return errExit
	}
	if os.Geteuid() != 0 {
		fmt.Fprintf(stderr, "xt2nft %s: reading and changing the firewall needs root (CAP_NET_ADMIN); nothing was changed\n", cmd)
		return errExit
	}
	if *lf.backend == "iptables" {
		return runIptables(cmd, fs, lf, popt, stdin, stdout, stderr)
	}
	out, code := translateInputs(fs.Args(), stdin, stderr, popt, topt)
	if out == nil {
		return code
	}
	if out.Failed || out.Ruleset == nil {
		fmt.Fprintf(stderr, "xt2nft %s: the translation failed; nothing was changed\n", cmd)
		return errExit
	}
	prog, err := nft.Lower(out.Ruleset)
	if err != nil {
		fmt.Fprintf(stderr, "%v\nxt2nft %s: nothing was changed (`xt2nft FILE | nft -f -` loads what the netlink backend cannot send)\n", err, cmd)
		return errExit
	}
	ns, err := nft.OpenNS(*lf.netns)
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft: %v\n", err)
		return errExit
	}
	defer ns.Close()
	if cmd == "plan" {
		return planNft(ns, prog, stdout, stderr)
	}
	return applyNft(ns, prog, lf, stdin, stderr)
}

// planNft validates the program on a throwaway namespace and diffs the
// live tables against what the kernel lists for the new ones there.
func planNft(ns *nft.NS, prog *nft.Program, stdout, stderr io.Writer) int {
	live, err := nft.Listing(ns, prog, true)
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft plan: %v\n", err)
		return exitError
	}
	scratch, err := nft.Throwaway()
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft plan: %v\n", err)
		return exitError
	}
	defer scratch.Close()
	if _, err := nft.Apply(scratch, prog, nft.ApplyOptions{ResetSets: true}); err != nil {
		fmt.Fprintf(stderr, "%v\nxt2nft plan: the kernel refuses the new ruleset; apply would change nothing\n", err)
		return exitError
	}
	next, err := nft.Listing(scratch, prog, true)
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft plan: %v\n", err)
		return exitError
	}
	rules := 0
	for _, t := range prog.Tables {
		rules += len(t.Rules)
	}
	fmt.Fprintf(stderr, "xt2nft plan: the kernel accepts the new ruleset (%d tables, %d rules; checked in a throwaway namespace)\n", len(prog.Tables), rules)
	d := unifiedDiff("live", "new", []byte(live), []byte(next), 3)
	if d == "" {
		fmt.Fprintln(stderr, "xt2nft plan: no changes")
		return planNoChanges
	}
	fmt.Fprint(stdout, d)
	fmt.Fprintln(stderr, "xt2nft plan: changes above (set contents and counters not compared; apply keeps the recent sets' addresses)")
	return planChanges
}

func applyNft(ns *nft.NS, prog *nft.Program, lf liveFlags, stdin io.Reader, stderr io.Writer) int {
	var snapshot string
	if *lf.confirm > 0 {
		var err error
		if snapshot, err = nft.Snapshot(ns, prog); err != nil {
			fmt.Fprintf(stderr, "xt2nft apply: cannot save the ruleset for rollback: %v; nothing was changed\n", err)
			return exitError
		}
	}
	res, err := nft.Apply(ns, prog, nft.ApplyOptions{ResetSets: *lf.resetSets})
	if err != nil {
		fmt.Fprintf(stderr, "%v\nxt2nft apply: nothing was changed\n", err)
		return exitError
	}
	fmt.Fprintf(stderr, "xt2nft apply: %d rules and %d sets live in %d tables (one netlink batch)", res.Rules, res.Sets, len(prog.Tables))
	if res.CarriedElem > 0 {
		fmt.Fprintf(stderr, "; %d addresses carried over in %d sets", res.CarriedElem, res.CarriedSets)
	}
	fmt.Fprintln(stderr)
	return confirmStage(lf, stdin, stderr, func() error { return nft.Restore(ns, snapshot) })
}

// confirmStage ends an apply: without --confirm it is done; with it, it
// waits for the confirmation and rolls back when none comes.
func confirmStage(lf liveFlags, stdin io.Reader, stderr io.Writer, rollback func() error) int {
	if *lf.confirm == 0 {
		return exitOK
	}
	ok, err := confirmOrRollback(*lf.netns, *lf.confirm, stdin, stderr)
	if ok {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "xt2nft apply: %v\n", err)
	}
	if err := rollback(); err != nil {
		fmt.Fprintf(stderr, "xt2nft apply: ROLLBACK FAILED: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stderr, "xt2nft apply: previous ruleset restored")
	return exitError
}

// confirmOrRollback waits for `xt2nft confirm`, Enter on the terminal, or
// the end of the delay. SIGINT/SIGTERM count as "no".
func confirmOrRollback(netns string, d time.Duration, stdin io.Reader, stderr io.Writer) (bool, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var tty io.Reader
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		tty = f
	}
	if netns != "" {
		fmt.Fprintf(stderr, "xt2nft apply: confirm with `xt2nft confirm --netns %s`\n", netns)
	}
	return waitConfirm(ctx, confirmSocket(netns), d, tty, stderr)
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func runConfirm(argv []string, stderr io.Writer) int {
	fs := newFlagSet("xt2nft confirm", stderr)
	netns := fs.String("netns", "", "the namespace given to apply --netns")
	if code, done := parseFlags(fs, argv, liveUsage, stderr); done {
		return code
	}
	if err := sendConfirm(confirmSocket(*netns)); err != nil {
		fmt.Fprintf(stderr, "xt2nft confirm: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stderr, "xt2nft confirm: confirmed")
	return exitOK
}

// runIptables is plan/apply with --backend iptables: the dumps themselves
// go through iptables-restore, after our parser has checked them.
func runIptables(cmd string, fs *pflag.FlagSet, lf liveFlags, popt parser.Options, stdin io.Reader, stdout, stderr io.Writer) int {
	if popt.Script {
		fmt.Fprintln(stderr, "xt2nft: --backend iptables loads iptables-save dumps; --script input is not supported")
		return exitError
	}
	inputs, ok := readInputs(fs.Args(), stdin, stderr)
	if !ok {
		return exitError
	}
	type load struct {
		in input
		b  *ipt.Backend
	}
	var loads []load
	bad := false
	for _, in := range inputs {
		fam := popt.Family
		if fam == 0 {
			fam = parser.DetectFamily(in.name, in.src)
		}
		if _, diags, err := parser.Parse(in.name, in.src, parser.Options{Family: fam}); err != nil {
			fmt.Fprintln(stderr, err)
			bad = true
		} else {
			for _, d := range diags {
				fmt.Fprintln(stderr, d)
			}
		}
		b := &ipt.Backend{Family: 4, Variant: ipt.Variant(*lf.variant), Netns: *lf.netns}
		if fam == parser.IPv6 {
			b.Family = 6
		}
		loads = append(loads, load{in, b})
	}
	if bad {
		fmt.Fprintf(stderr, "xt2nft %s: nothing was changed\n", cmd)
		return exitError
	}
	if cmd == "plan" {
		changes := false
		for _, l := range loads {
			d, err := planIptables(l.in, l.b)
			if err != nil {
				fmt.Fprintf(stderr, "xt2nft plan: %v\n", err)
				return exitError
			}
			if d != "" {
				changes = true
				fmt.Fprint(stdout, d)
			}
		}
		if !changes {
			fmt.Fprintln(stderr, "xt2nft plan: no changes")
			return planNoChanges
		}
		return planChanges
	}
	var snaps []*ipt.Snapshot
	rollback := func() error {
		for i := len(snaps) - 1; i >= 0; i-- {
			if err := snaps[i].Restore(); err != nil {
				return err
			}
		}
		return nil
	}
	for _, l := range loads {
		s, err := l.b.Apply(l.in.name, l.in.src)
		if err != nil {
			fmt.Fprintln(stderr, err)
			if rerr := rollback(); rerr != nil {
				fmt.Fprintf(stderr, "xt2nft apply: ROLLBACK FAILED: %v\n", rerr)
			} else {
				fmt.Fprintln(stderr, "xt2nft apply: nothing was changed")
			}
			return exitError
		}
		snaps = append(snaps, s)
	}
	fmt.Fprintf(stderr, "xt2nft apply: %d dump(s) loaded through iptables-restore\n", len(loads))
	for _, l := range loads {
		// What is live now, as go-iptables queries it.
		for _, table := range ipt.Tables(l.in.src) {
			if chains, err := l.b.Chains(table); err == nil {
				fmt.Fprintf(stderr, "xt2nft apply: %s: table %s has %d chains\n", l.in.name, table, len(chains))
			}
		}
	}
	return confirmStage(lf, stdin, stderr, rollback)
}

// planIptables loads the dump into a throwaway namespace (the kernel
// checks it there) and diffs the live tables it touches against the
// result, both as iptables-save prints them (counters and comments left
// out). The live namespace is only read.
func planIptables(in input, live *ipt.Backend) (string, error) {
	scratch := fmt.Sprintf("xt2nft-plan-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", scratch).CombinedOutput(); err != nil {
		return "", fmt.Errorf("creating a throwaway namespace: %v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", scratch).Run()
	tables := ipt.Tables(in.src)
	now, err := live.Save(tables)
	if err != nil {
		return "", err
	}
	sb := *live
	sb.Netns = scratch
	if _, err := sb.Apply(in.name, in.src); err != nil {
		return "", fmt.Errorf("%v (the kernel refuses the dump; apply would change nothing)", err)
	}
	next, err := sb.Save(tables)
	if err != nil {
		return "", err
	}
	return unifiedDiff("live "+in.name, "new "+in.name, []byte(plainSave(now)), []byte(plainSave(next)), 3), nil
}

// plainSave drops iptables-save's comments and counters.
func plainSave(b []byte) string {
	var out strings.Builder
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasPrefix(l, ":") {
			if i := strings.LastIndex(l, " ["); i > 0 {
				l = l[:i]
			}
		}
		if strings.HasPrefix(l, "[") {
			if i := strings.Index(l, "] "); i > 0 {
				l = l[i+2:]
			}
		}
		out.WriteString(l + "\n")
	}
	return out.String()
}
