// Package translate turns a parser.Dump into a Ruleset: a structured IR of
// nft tables, chains, sets and rules of typed statements and expressions
// (ir.go) whose leaves are the descriptors of package translate/desc.
// render.go prints it as an nft script; backend/nft lowers the same IR to
// netlink.
//
// Each match or target extension has its own small translator
// (match_*.go, target_*.go), registered in registry_*.go. A translator
// appends statements to the rule in progress (ctx.add), records an
// approximation (ctx.approx, a warning; an error under --strict), or
// reports what nft cannot express (ctx.unsupported). A rule is never
// dropped silently.
package translate
