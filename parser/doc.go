// Package parser reads iptables-save dumps and iptables command scripts into
// a Dump: per family and table, the chains with their rules as the kernel
// would hold them after iptables-restore (or after running the script).
//
// Words are split exactly as iptables-restore splits them (lex.go); a
// participle grammar gives each line its shape (grammar.go); the bind pass
// attaches every option to iptables itself or to a match or target
// extension, using the option tables in modules*.go (name, arity,
// invertible), getopt_long's unique-prefix abbreviations, and the implicit
// protocol match of "-p tcp --dport 22" (bind.go); state.go applies the
// commands (-A -I -D -R -N -X -F -P -E) to the tables.
//
// Scripts are read statically (shell.go finds every command a script may
// run and the construct around it; script.go decides): plain iptables
// command lines are read, every other way of running an iptables-family
// command (a variable, a function, a loop, an if or && list,
// iptables-restore, another script) is an error pointing to xt2nft --exec,
// and other commands (ip rule, sysctl) are reported and skipped.
//
// It does not know nftables: that is package translate.
package parser
