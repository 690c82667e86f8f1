package translate

// l4MatchFuncs translate parser/modules_l4.go's matches.
var l4MatchFuncs = map[string]matchFunc{
	"icmp":      matchICMP,
	"icmp6":     matchICMP6,
	"multiport": matchMultiport,
	"iprange":   matchIprange,
	"mac":       matchMAC,
	"pkttype":   matchPkttype,
	"ttl":       matchTTL,
	"hl":        matchHL,
	"length":    matchLength,
}
