// Package optimize rewrites a translated ruleset (package translate's IR)
// into one the kernel loads and runs faster and that does exactly what the
// literal translation does: the same verdicts, the same changes to
// packets and connections, the same per-rule counts. xt2nft --optimize
// runs it between translation and rendering or lowering.
//
// The kernel's cost of a ruleset is its rules and expressions, plus a cost
// per set that grows with the number of sets in the table (an anonymous
// set more: a rule finds it by ID through the whole transaction). A big
// legacy firewall is many rules that differ only in the addresses, ports
// and interfaces they compare, and a rule per -m multiport list. So:
//
//   - Folds. A run of rules of one class (the same statements, differing
//     only in the constants their selectors compare, and in the verdict,
//     the mark they set, or the NAT address) becomes one rule that looks
//     the selectors up: in a set when the rest is the same, in a verdict
//     map (ip saddr . tcp dport vmap @v) when the verdicts differ, in a
//     map when the mark or NAT target does. Selectors whose value is the
//     same in every rule stay plain matches. The set has a counter per
//     element (each element is one rule's, or one of a multiport rule's
//     ports), and the lookup is the rule's last match, so every iptables
//     rule keeps its own counter, as the sum of its elements'.
//   - Reordering, to make runs long: a rule moves up past another when no
//     packet can match both, on a key that neither (nor a chain either
//     jumps to) changes; their order then cannot matter.
//   - Shared sets: an anonymous set used by several rules (the same key
//     and elements) becomes one named set.
//
// When each is legal:
//
//   - The rules of a fold must be disjoint (no packet in two of their
//     elements): first-match order then decides nothing, and one lookup
//     gives every packet what its first matching rule gave it. A rule
//     that overlaps the fold starts a new one.
//   - No rule with per-rule state is folded: limit, quota, hashlimit,
//     recent lists, connlimit, numgen inc, named counters, or a counter
//     carrying iptables' values (--counters, when not zero). Such rules
//     only move where disjointness allows, and their state is untouched.
//   - A fold's keys must not be changed by its rules' statements or the
//     chains they jump to (a rule after a jump would see the new value).
//   - Matches are compared only up to a rule's first other statement: a
//     limit or a set update before a match already happened for packets
//     that fail it.
//
// Every fold records the iptables rules it stands for (Rule.Origins, and
// Elem.Origin per element), so diagnostics, refusals and verify still name
// them, and --report notes each fold at its rules' positions.
package optimize
