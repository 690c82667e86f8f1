package translate

// -m icmp --icmp-type (IPv4) and -m icmp6 --icmpv6-type (IPv6), also
// loaded implicitly by -p icmp / -p icmpv6. iptables-extensions(8) "icmp",
// "icmp6"; nft(8) ICMP/ICMPV6 HEADER EXPRESSION.
//
// A type is a name (any unambiguous prefix, as iptables accepts), a number,
// or TYPE/CODE (also TYPE/CODE:CODE as newer iptables accepts). Names that
// stand for one code (port-unreachable, ...) are a type and a code. Exact:
//   - type only:   icmp type T          ! → icmp type != T
//   - type/code:   icmp type T icmp code C
//                  ! → icmp type . icmp code != { T . C }
//   - any (IPv4, or type 255, which the kernel treats the same): every ICMP
//     packet; with "!" none (icmp type != 0-255).
// Upstream 1.8.9 cannot translate numeric types without a name nor any
// type/code pair; we do.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

type icmpName struct {
	name   string
	typ    uint64
	lo, hi uint64
}

// icmpCodes and icmpv6Codes are libxt_icmp.h's tables, in its order.
var icmpCodes = []icmpName{
	{"any", 0xFF, 0, 0xFF},
	{"echo-reply", 0, 0, 0xFF},
	{"pong", 0, 0, 0xFF},
	{"destination-unreachable", 3, 0, 0xFF},
	{"network-unreachable", 3, 0, 0},
	{"host-unreachable", 3, 1, 1},
	{"protocol-unreachable", 3, 2, 2},
	{"port-unreachable", 3, 3, 3},
	{"fragmentation-needed", 3, 4, 4},
	{"source-route-failed", 3, 5, 5},
	{"network-unknown", 3, 6, 6},
	{"host-unknown", 3, 7, 7},
	{"network-prohibited", 3, 9, 9},
	{"host-prohibited", 3, 10, 10},
	{"TOS-network-unreachable", 3, 11, 11},
	{"TOS-host-unreachable", 3, 12, 12},
	{"communication-prohibited", 3, 13, 13},
	{"host-precedence-violation", 3, 14, 14},
	{"precedence-cutoff", 3, 15, 15},
	{"source-quench", 4, 0, 0xFF},
	{"redirect", 5, 0, 0xFF},
	{"network-redirect", 5, 0, 0},
	{"host-redirect", 5, 1, 1},
	{"TOS-network-redirect", 5, 2, 2},
	{"TOS-host-redirect", 5, 3, 3},
	{"echo-request", 8, 0, 0xFF},
	{"ping", 8, 0, 0xFF},
	{"router-advertisement", 9, 0, 0xFF},
	{"router-solicitation", 10, 0, 0xFF},
	{"time-exceeded", 11, 0, 0xFF},
	{"ttl-exceeded", 11, 0, 0xFF},
	{"ttl-zero-during-transit", 11, 0, 0},
	{"ttl-zero-during-reassembly", 11, 1, 1},
	{"parameter-problem", 12, 0, 0xFF},
	{"ip-header-bad", 12, 0, 0},
	{"required-option-missing", 12, 1, 1},
	{"timestamp-request", 13, 0, 0xFF},
	{"timestamp-reply", 14, 0, 0xFF},
	// info-request/info-reply are accepted by iptables after 1.8.9.
	{"info-request", 15, 0, 0xFF},
	{"info-reply", 16, 0, 0xFF},
	{"address-mask-request", 17, 0, 0xFF},
	{"address-mask-reply", 18, 0, 0xFF},
}

var icmpv6Codes = []icmpName{
	{"destination-unreachable", 1, 0, 0xFF},
	{"no-route", 1, 0, 0},
	{"communication-prohibited", 1, 1, 1},
	{"beyond-scope", 1, 2, 2},
	{"address-unreachable", 1, 3, 3},
	{"port-unreachable", 1, 4, 4},
	{"failed-policy", 1, 5, 5},
	{"reject-route", 1, 6, 6},
	{"packet-too-big", 2, 0, 0xFF},
	{"time-exceeded", 3, 0, 0xFF},
	{"ttl-exceeded", 3, 0, 0xFF},
	{"ttl-zero-during-transit", 3, 0, 0},
	{"ttl-zero-during-reassembly", 3, 1, 1},
	{"parameter-problem", 4, 0, 0xFF},
	{"bad-header", 4, 0, 0},
	{"unknown-header-type", 4, 1, 1},
	{"unknown-option", 4, 2, 2},
	{"echo-request", 128, 0, 0xFF},
	{"ping", 128, 0, 0xFF},
	{"echo-reply", 129, 0, 0xFF},
	{"pong", 129, 0, 0xFF},
	{"mld-listener-query", 130, 0, 0xFF},
	{"mld-listener-report", 131, 0, 0xFF},
	{"mld-listener-done", 132, 0, 0xFF},
	{"mld-listener-reduction", 132, 0, 0xFF},
	{"router-solicitation", 133, 0, 0xFF},
	{"router-advertisement", 134, 0, 0xFF},
	{"neighbour-solicitation", 135, 0, 0xFF},
	{"neighbor-solicitation", 135, 0, 0xFF},
	{"neighbour-advertisement", 136, 0, 0xFF},
	{"neighbor-advertisement", 136, 0, 0xFF},
	{"redirect", 137, 0, 0xFF},
}

// nftICMPTypes and nftICMPv6Types are the type names nft knows.
var nftICMPTypes = map[uint64]string{
	0: "echo-reply", 3: "destination-unreachable", 4: "source-quench", 5: "redirect", 8: "echo-request",
	9: "router-advertisement", 10: "router-solicitation", 11: "time-exceeded", 12: "parameter-problem",
	13: "timestamp-request", 14: "timestamp-reply", 15: "info-request", 16: "info-reply",
	17: "address-mask-request", 18: "address-mask-reply",
}

var nftICMPv6Types = map[uint64]string{
	1: "destination-unreachable", 2: "packet-too-big", 3: "time-exceeded", 4: "parameter-problem",
	128: "echo-request", 129: "echo-reply", 130: "mld-listener-query", 131: "mld-listener-report",
	132: "mld-listener-done", 133: "nd-router-solicit", 134: "nd-router-advert", 135: "nd-neighbor-solicit",
	136: "nd-neighbor-advert", 137: "nd-redirect", 138: "router-renumbering", 141: "ind-neighbor-solicit",
	142: "ind-neighbor-advert", 143: "mld2-listener-report",
}

func matchICMP(c *ctx, m *parser.Match) error {
	return icmpMatch(c, m, "icmp-type", "icmp", icmpCodes, nftICMPTypes)
}

func matchICMP6(c *ctx, m *parser.Match) error {
	return icmpMatch(c, m, "icmpv6-type", "icmpv6", icmpv6Codes, nftICMPv6Types)
}

func icmpMatch(c *ctx, m *parser.Match, opt, proto string, codes []icmpName, nftNames map[uint64]string) error {
	given, err := c.needProto(m, proto, proto)
	if err != nil {
		return err
	}
	o := m.Opt(opt)
	if o == nil {
		return c.unsupported(m.Pos, "-m %s requires --%s", m.Name, opt)
	}
	typ, lo, hi, err := parseICMPType(c, o, codes)
	if err != nil {
		return err
	}
	tExpr := func() Expr {
		if n, ok := nftNames[typ]; ok {
			return &Sym{Name: n}
		}
		return &Int{V: typ}
	}
	h := transportHeader(proto)
	tField := &Payload{Field: h.Field("type")}
	cField := &Payload{Field: h.Field("code")}
	switch {
	case proto == "icmp" && typ == 0xFF:
		// "any": the kernel matches every ICMP packet whatever the code.
		if o.Negated {
			c.neverMatch(tField, 255)
		} else if !given {
			c.add(c.l4Proto(proto))
		}
	case lo == 0 && hi == 0xFF:
		c.match(tField, eq(o.Negated), tExpr())
	case !o.Negated:
		c.match(tField, OpEq, tExpr())
		c.match(cField, OpEq, rangeExpr(lo, hi))
	default:
		c.match(&Concat{Exprs: []Expr{tField, cField}}, OpNe,
			&SetLit{Elems: []Expr{&Concat{Exprs: []Expr{tExpr(), rangeExpr(lo, hi)}}}})
	}
	return nil
}

// parseICMPType parses a type as libipt_icmp/libip6t_icmp6 do: a name or
// a unique case-insensitive prefix of one, else TYPE[/CODE[:CODE]].
func parseICMPType(c *ctx, o *parser.Option, codes []icmpName) (typ, lo, hi uint64, err error) {
	s := o.Arg(0)
	match := -1
	for i, n := range codes {
		if len(s) <= len(n.name) && strings.EqualFold(n.name[:len(s)], s) {
			if match >= 0 {
				return 0, 0, 0, c.unsupported(argPos(o), "ambiguous ICMP type %q: %q or %q?", s, codes[match].name, n.name)
			}
			match = i
		}
	}
	if match >= 0 && s != "" {
		n := codes[match]
		return n.typ, n.lo, n.hi, nil
	}
	ts, cs, hasCode := strings.Cut(s, "/")
	t, ok := xtUint(ts, 255)
	if !ok {
		return 0, 0, 0, c.badValue(o, "ICMP type")
	}
	if !hasCode {
		return t, 0, 0xFF, nil
	}
	l, h, ok := xtRange(cs, 255)
	if !ok || strings.HasPrefix(cs, ":") || strings.HasSuffix(cs, ":") {
		return 0, 0, 0, c.badValue(o, "ICMP code")
	}
	return t, l, h, nil
}
