package translate

// miscMatchFuncs translate parser/modules_misc.go's matches.
var miscMatchFuncs = map[string]matchFunc{
	"state":     matchState,
	"conntrack": matchConntrack,
	"mark":      matchMark,
	"connmark":  matchConnmark,
	"addrtype":  matchAddrtype,
	"limit":     matchLimit,
	"owner":     matchOwner,
	"set":       matchSet,
	"nfacct":    matchNfacct,
	"statistic": matchStatistic,
	"helper":    matchHelper,
}
