package translate

// l4MatchFuncs translate parser/modules_l4.go's matches.
var l4MatchFuncs = map[string]matchFunc{}
