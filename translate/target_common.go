package translate

// Helpers shared by the target translators (target_*.go): number parsing
// as libxtables does it (strtoul with base 0), value/mask pairs, and
// helper chains for targets whose exact nft form needs several rules.

import (
	"fmt"
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
// unique against the table's other chains; identical bodies share one
// chain. The iptables rule then jumps to it: a helper chain ends with an
// implicit return, so a non-terminal target stays non-terminal.
func (c *ctx) tgHelperChain(base string, rules []*Rule) string {
	key := fmt.Sprintf("tg-helper/%d/%s/", c.fam, c.tr.nftTable(c.fam, c.table).Name)
	for _, r := range rules {
		key += RenderRule(r) + "\n"
	}
	if n, ok := c.tr.ext[key].(string); ok {
		return n
	}
	t := c.tr.nftTable(c.fam, c.table)
	// The names taken in the table are collected once per table and kept
	// current, not once per helper chain: a dump with many distinct
	// helpers and many chains would otherwise cost chains × helpers.
	takenKey := fmt.Sprintf("tg-helper-taken/%d/%s", c.fam, t.Name)
	taken, ok := c.tr.ext[takenKey].(map[string]bool)
	if !ok {
		taken = map[string]bool{}
		for k, n := range c.tr.names {
			if k.fam == c.fam {
				taken[n] = true
			}
		}
		for _, ch := range t.Chains {
			taken[ch.Name] = true
		}
		c.tr.ext[takenKey] = taken
	}
	name := safeIdent(base)
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", safeIdent(base), i)
	}
	taken[name] = true
	t.Chains = append(t.Chains, &Chain{Name: name, Rules: rules,
		Comment: "xt2nft: helper chain for " + strings.ReplaceAll(c.rule.Target.Name, `"`, "")})
	c.tr.ext[key] = name
	return name
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
