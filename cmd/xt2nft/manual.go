package main

import (
	"io"

	"github.com/xt2nft/xt2nft/internal/clidoc"
)

// manual is xt2nft's one description: its --help texts, xt2nft(8) and the
// shell completions are all written from it, with the flag sets the
// commands parse their arguments with (TestManual keeps the checked-in
// files in step).
func manual() *clidoc.Page {
	fs, _, _, _ := mainFlags(io.Discard)
	plan, _, _ := liveFlagSet("plan", io.Discard)
	apply, _, _ := liveFlagSet("apply", io.Discard)
	migrate, _, _ := migrateFlagSet(io.Discard)
	confirm, _ := answerFlagSet("confirm", io.Discard)
	rollback, _ := answerFlagSet("rollback", io.Discard)
	check, _, _ := checkFlagSet(io.Discard)
	verify, _, _ := verifyFlagSet(io.Discard)
	return &clidoc.Page{
		Name:    "xt2nft",
		Section: 8,
		Summary: "move iptables firewalls to nftables without losing what the rules did",
		Synopsis: []string{
			"xt2nft [flags] [FILE...]",
			"xt2nft --exec SCRIPT [flags] [ARG...]",
			"xt2nft plan|apply [flags] [FILE...]",
			"xt2nft migrate [--netns NAME] [--confirm DURATION] [--dry-run] [--persist PATH] [flags]",
			"xt2nft confirm|rollback [--netns NAME]",
			"xt2nft check [flags] [--kernel-config FILE] [FILE...]",
			"xt2nft verify [flags] [FILE...]",
			"xt2nft verify --exec SCRIPT [flags] [ARG...]",
		},
		Description: `Reads iptables-save dumps (or, with --script, iptables command lines) from the FILEs or standard input and writes one nft script to standard output. With --exec, runs SCRIPT (with the ARGs) in a sandbox of its own namespaces (needs root; the host is not changed) and translates what it built. A file called plan, apply, migrate, confirm, rollback, check or verify must be given as ./plan.

Every rule is translated or refused: a rule nft cannot express is an error naming its file, line and column and the reason; an approximation is a warning saying how the translation differs (an error with --strict). -m recent lists become nft sets (recentctl(8) inspects and edits them), ipsets become nft sets with their elements when --ipsets gives their definitions.

Diagnostics go to standard error as FILE:LINE:COL: message (<stdin> for standard input), warnings as FILE:LINE:COL: warning: message; every bad line is reported in one run. Nothing is written to standard output unless the translation succeeded (or --allow-partial).

    xt2nft < rules.v4 > rules.nft
    xt2nft rules.v4 rules.v6 > all.nft
    xt2nft --ipsets sets.save rules.v4
    xt2nft --exec /etc/firewall.sh
    xt2nft apply --confirm 60s rules.v4
    xt2nft migrate --confirm 120s --persist /etc/nftables.conf`,
		Flags: fs,
		Commands: []*clidoc.Command{
			{Name: "plan", Args: "[flags] [FILE...]", Files: true, Flags: plan,
				Summary:     "show what apply would change, checked by the kernel in a throwaway namespace; changes nothing",
				Description: `Translates the FILEs, validates the result against the kernel in a throwaway network namespace, and prints the difference between the live ruleset and the new one. Exit status: 0 no changes, 2 changes, 1 error.`},
			{Name: "apply", Args: "[flags] [FILE...]", Files: true, Flags: apply,
				Summary:     "put the translation live in one atomic batch (or the dumps through iptables-restore)",
				Description: `With --backend nft (the default) the translation goes live as one atomic netlink batch that replaces xt2nft's own tables and touches no other table, keeping the contents of the recent sets; with --backend iptables the dumps themselves are loaded through iptables-restore. With --confirm it saves what it replaces (proven to restore), waits for xt2nft confirm (or Enter on a terminal), and restores the previous ruleset if none comes in time, on SIGHUP, SIGINT, SIGTERM or SIGQUIT, on xt2nft rollback, or (through a guard process) if apply itself is killed.`},
			{Name: "migrate", Args: "[flags]", Flags: migrate,
				Summary:     "switch a live iptables-legacy host to nft in one reversible step, with its recent lists and ipsets",
				Description: `Reads the live legacy state (iptables-legacy-save -c and ip6tables-legacy-save -c of every table, every list in /proc/net/xt_recent, and ipset save when rules use ipsets) and refuses, changing nothing, if any rule cannot be translated, naming and showing each one. Otherwise the nft tables go live in one batch that holds the legacy counters, the ipsets' elements and the recent lists' entries (the time each has left, and its hit history); then the legacy tables are emptied one by one, mangle first and filter last (built-in chains with ACCEPT policies, no rules, no user chains), and the recent entries the legacy rules changed meanwhile are loaded again. With --confirm, everything goes back unless confirmed in time (xt2nft confirm, or Enter), on SIGHUP, SIGINT, SIGTERM or SIGQUIT, or (through a guard process) if migrate is killed: the legacy rules with their counters, the recent lists with their entries and stamps (the emptied tables keep them until the switch is confirmed), and the nft tables removed; the ipsets are never changed. --dry-run shows the nft tables, the lists and sets carried and the tables that would be emptied. --persist writes, once confirmed, the live nft tables to PATH (atomically, checked with nft -c -f; a symbolic link is refused) and reports what on the host would restore legacy rules at boot (netfilter-persistent, iptables.service, ufw, firewalld, docker), changing none of it. A second migrate after one that was killed finishes the job.`},
			{Name: "confirm", Args: "[--netns NAME]", Flags: confirm,
				Summary: "keep what a waiting apply --confirm or migrate --confirm put live"},
			{Name: "rollback", Args: "[--netns NAME]", Flags: rollback,
				Summary: "have a waiting apply --confirm or migrate --confirm restore the previous ruleset now (or finish one that died)"},
			{Name: "check", Args: "[flags] [FILE...]", Files: true, Flags: check,
				Summary: "list what the translation needs of the kernel and whether this kernel (or a kernel configuration) has it",
				Description: `Translates the FILEs and lists the kernel features the result needs (table families, expressions such as ct, limit, quota, socket, fib, log groups, interval sets of concatenations), each with the first rule that needs it and the kernel configuration option that provides it. As root, tries each on the running kernel in a throwaway namespace (the host is not changed); with --kernel-config, looks each option up in that configuration too (and says whether it builds the legacy iptables tables). Exit status 1 when something is missing.

    xt2nft check rules.v4
    xt2nft check --kernel-config /boot/config-6.17.0 rules.v4 rules.v6`},
			{Name: "verify", Args: "[flags] [FILE...]", Files: true, Flags: verify,
				Summary: "send generated probes through the original and its translation on this kernel and compare what became of them",
				Description: `Loads the original ruleset (the FILEs: iptables-save dumps, or iptables command lines with --script; with --exec, what SCRIPT built in a sandbox, as xt2nft --exec runs it, its rules then named SCRIPT[iptables-save]:LINE; without FILEs the live legacy ruleset, from iptables-legacy-save and ip6tables-legacy-save) with iptables-legacy-restore into one throwaway lab of network namespaces, and its translation, lowered and sent as apply sends it (or, with --against, an nft script made elsewhere), into an identical second lab. Probes generated from the rules (for each rule, packets that match it and packets one field past each boundary, on every path the rule sits on; conntrack states from real exchanges; timed sequences for recent lists, limits and connection counts) go through both labs. Every difference in what became of a probe (delivered to which socket, forwarded out of which interface, dropped, rejected and how; marks, addresses after NAT, the conntrack entry, which rules counted it) is reported with the iptables rule (FILE:LINE), the probe as a packet and both sides; a difference on a rule the translator warned about names the warning. A rule no probe reached (no packet can reach it, or other rules took its probes) is probed again in a variant of the ruleset made so that packets get to it (the rules that took them removed, its chain entered from the top of the built-in chains that may jump to it), translated the same way in labs of its own: a difference there is a difference in that rule's translation, reported with what the variant changed (--no-variants: not made). The report then lists the rules reached only in a variant and the rules no probe reached with the reason, and ends with the coverage: the rules reached, of all rules and of the rules a packet can reach at all, and with the variants. Nothing outside the labs changes, and they vanish with the process. Needs root and iptables-legacy-restore. Exit status: 0 no difference found, 1 differences, rules left untranslated (--allow-partial) or an error.

    xt2nft verify rules.v4 rules.v6
    xt2nft verify --json rules.v4 > report.json
    xt2nft verify --against other.nft rules.v4
    xt2nft verify --exec /etc/firewall.sh`},
		},
		Sections: []clidoc.Section{
			{Title: "Exit status", Text: `0: success (warnings allowed). 1: bad input, an untranslatable rule, (with --strict) an approximation, or a backend failure; nothing was written or applied. 2: a usage error. plan: 0 no changes, 2 changes, 1 error.`},
			{Title: "Files", Text: `/run/xt2nft: the per-namespace lock, the journal of a waiting apply --confirm and its confirmation socket (root only, mode 0700).`},
		},
		SeeAlso: []string{"recentctl(8)", "nft(8)", "iptables-save(8)", "iptables-restore-translate(8)", "ipset(8)"},
	}
}
