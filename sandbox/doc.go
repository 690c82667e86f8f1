// Package sandbox runs an iptables script for real, in namespaces of its
// own, and reports what the script built, so that xt2nft --exec can
// translate scripts that cannot be read statically (variables, functions,
// loops, iptables -C || iptables -A, iptables-restore, ...).
//
// # The sandbox
//
// Run starts this same executable again (the docker "reexec" pattern: the
// program's main calls Main first) as the init process of new mount, network,
// PID, UTS and IPC namespaces. They are unnamed: they die with their
// processes, and the init gets SIGKILL when xt2nft dies, so nothing is left
// behind however xt2nft ends. Inside, the init:
//
//   - makes every mount private, mounts a tmpfs for its own use, and builds a
//     new root: an overlay of the host's root file system (writes land in the
//     tmpfs and vanish; the host's files are never written), the host's other
//     mounts bound read-only, a fresh /proc (read-only except the sandbox's
//     processes, with /proc/net/xt_recent, and /proc/sys/net, which belong
//     to the sandbox's network namespace), a read-only /sys of
//     the sandbox's network namespace, a minimal /dev (null, zero, full,
//     random, urandom, tty, net/tun, a private devpts and shm), and tmpfs on
//     /run and /tmp; it pivots into that root and detaches the old one;
//   - puts shims (this executable under another name) in front of PATH and
//     over every iptables-family name in /sbin, /bin, /usr/sbin, /usr/bin,
//     /usr/local/sbin and /usr/local/bin, so absolute paths are caught too:
//     iptables, ip6tables, iptables-legacy*, iptables-nft*, *-restore,
//     *-save and xtables-*-multi all run the legacy tools of the sandbox's
//     network namespace; modprobe, insmod, rmmod, systemctl, service, reboot
//     and their like do nothing; ip, tc, sysctl (net.* only), ipset, nft and
//     conntrack run for real in the sandbox's namespace; sudo and doas run
//     their command;
//   - drops from the capability bounding set everything a firewall script
//     does not need (CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_TIME, CAP_SYS_BOOT,
//     CAP_MKNOD, CAP_SYS_RAWIO, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, ...), so
//     the script cannot undo the mounts, load modules or set the clock;
//   - runs the script with the interpreter of its #! line (no #! line:
//     /bin/sh, as the kernel's caller would), standard input /dev/null, under
//     a timeout; then kills whatever the script left running and saves the
//     sandbox's ruleset with iptables-legacy-save -c and
//     ip6tables-legacy-save -c.
//
// # Which line made a rule
//
// The iptables shim gives every rule it appends, inserts or replaces a
// unique tag as its counters (-c ID ID): the kernel keeps them through later
// inserts, deletes and renames, and -C and -D by rule ignore counters, so
// scripts behave as on a fresh host. ID is the offset of the shim's record
// in the sandbox's command log; the record holds the argv and the script
// line. For bash scripts the line comes from a DEBUG trap installed through
// BASH_ENV (set -T, so functions, subshells and command substitutions are
// traced too): before every simple command bash exports the current
// BASH_SOURCE and LINENO, and the shim reads them from its environment.
// dash has no LINENO (Debian builds it without), so for sh scripts, and
// whenever the environment lost the line, the record's argv is matched
// against the script's commands as the static reader sees them ($VAR words
// match any words); a rule is named by the saved ruleset's line only when
// nothing matches unambiguously. Rules restored by iptables-restore are
// tagged per input line the same way (with --counters).
package sandbox
