package parser

// BuiltinChains returns table's built-in chains in hook order (nil for a
// table iptables does not have). The slice is shared: do not change it.
func BuiltinChains(table string) []string { return builtinChains[table] }
