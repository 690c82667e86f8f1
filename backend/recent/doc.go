// Package recent reads and edits recent lists wherever they live: the
// kernel's /proc/net/xt_recent/NAME files (xt_recent, iptables) and the nft
// sets xt2nft's translation makes for them (package recentset describes
// those sets and the events, checks and removals on them).
package recent
