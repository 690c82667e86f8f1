// Package recent reads and edits recent lists wherever they live: the
// kernel's /proc/net/xt_recent/NAME files (xt_recent, iptables) and the nft
// sets xt2nft's translation makes for them (see translate/match_recent.go
// for their names and roles).
package recent
