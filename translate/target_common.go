package translate

// Helpers shared by the target translators (target_*.go): number parsing
// as libxtables does it (strtoul with base 0), value/mask pairs, and
// helper chains for targets whose exact nft form needs several rules.

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// tgUint parses a number as xtables_strtoui does (strtoul base 0: "0x1f"
// is hex, "017" is octal, else decimal), with an upper bound.
func tgUint(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	digits := s
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	for _, r := range digits {
		if r == '_' || r == '+' || r == '-' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, base, 64)
	if err != nil || n > max {
		return 0, false
	}
	return n, true
}

// tgOptUint parses an option's single argument as a number up to max.
func tgOptUint(c *ctx, o *parser.Option, max uint64, what string) (uint64, error) {
	n, ok := tgUint(o.Arg(0), max)
	if !ok {
		return 0, c.badValue(o, what)
	}
	return n, nil
}

// tgMarkMask parses "value[/mask]" as xtables_parse_mark_mask does; the
// mask defaults to 0xffffffff.
func tgMarkMask(c *ctx, o *parser.Option) (v, m uint64, err error) {
	vs, ms, hasMask := strings.Cut(o.Arg(0), "/")
	var ok bool
	if v, ok = tgUint(vs, 0xffffffff); !ok {
		return 0, 0, c.badValue(o, "mark")
	}
	m = 0xffffffff
	if hasMask {
		if m, ok = tgUint(ms, 0xffffffff); !ok {
			return 0, 0, c.badValue(o, "mask")
		}
	}
	return v, m, nil
}

func tgHex(v uint64) *Int { return &Int{V: v, Hex: true} }

// tgXmark is the nft value of "(left & ^mask) ^ value" on a 32-bit field,
// in the shortest exact form: a constant, left | v, left & m, left ^ v,
// or left & m ^ v. It returns nil when the field does not change.
func tgXmark(left Expr, value, mask uint64) Expr {
	const all = 0xffffffff
	value &= all
	mask &= all
	keep := ^mask & all
	switch {
	case mask == all:
		return tgHex(value)
	case value == 0 && mask == 0:
		return nil
	case value&^mask == 0 && value == mask:
		return &Binop{Op: "|", Left: left, Right: tgHex(value)}
	case value == 0:
		return &Binop{Op: "&", Left: left, Right: tgHex(keep)}
	case mask == 0:
		return &Binop{Op: "^", Left: left, Right: tgHex(value)}
	}
	return &Binop{Op: "^", Left: &Binop{Op: "&", Left: left, Right: tgHex(keep)}, Right: tgHex(value)}
}

// tgHelperChain adds (once) a regular chain holding rules to the rule's
// nft table and returns its name. The name is derived from base and made
// unique against the table's other chains; identical bodies (the same
// statements, compared as data) share one chain. The iptables rule then
// jumps to it: a helper chain ends with an implicit return, so a
// non-terminal target stays non-terminal.
//
// In the inet layout both families' parts of the table share the names and
// the helper chains: a body the other family made already is added to this
// family's part under the same name too, and mergeInet writes it once.
func (c *ctx) tgHelperChain(base string, rules []*Rule) string {
	t := c.tr.nftTable(c.fam, c.table)
	key := t
	if c.tr.inet() {
		key = nil // one set of helpers for both parts
	}
	hs := c.tr.helperChains[key]
	if hs == nil {
		hs = &tableHelpers{taken: map[string]bool{}}
		// The names taken in the table are collected once per table and
		// kept current, not once per helper chain: a dump with many
		// distinct helpers and many chains would otherwise cost chains x
		// helpers.
		for k, n := range c.tr.names {
			if k.fam == c.fam || c.tr.inet() {
				hs.taken[n] = true
			}
		}
		for _, tt := range c.tr.tables {
			if tt == t || c.tr.inet() {
				for _, ch := range tt.Chains {
					hs.taken[ch.Name] = true
				}
			}
		}
		c.tr.helperChains[key] = hs
	}
	for _, h := range hs.chains {
		if sameBody(h.Rules, rules) {
			if !slices.Contains(t.Chains, h) {
				t.Chains = append(t.Chains, h)
			}
			return h.Name
		}
	}
	name := safeIdent(base)
	for i := 2; hs.taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", safeIdent(base), i)
	}
	hs.taken[name] = true
	ch := &Chain{Name: name, Rules: rules,
		Comment: "xt2nft: helper chain for " + strings.ReplaceAll(c.rule.Target.Name, `"`, "")}
	t.Chains = append(t.Chains, ch)
	hs.chains = append(hs.chains, ch)
	return name
}

// tableHelpers are a table's helper chains and the chain names it uses.
type tableHelpers struct {
	chains []*Chain
	taken  map[string]bool
}

// sameBody reports whether two helper chains' rules are the same
// statements (origins aside).
func sameBody(a, b []*Rule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Comment != b[i].Comment || !reflect.DeepEqual(a[i].Stmts, b[i].Stmts) {
			return false
		}
	}
	return true
}

// tgL4 returns the rule's -p protocol when it is one of allowed and not
// negated, else "".
func (c *ctx) tgL4(allowed ...string) string {
	if c.protoNeg {
		return ""
	}
	for _, p := range allowed {
		if c.proto == p {
			return p
		}
	}
	return ""
}
