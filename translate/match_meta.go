package translate

// Small header matches: pkttype, ttl, hl, length, iprange, mac, multiport,
// icmp, icmp6. Each is exact unless its function says otherwise.

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// markValue parses "value[/mask]" (iptables' mark syntax).
func markValue(c *ctx, o *parser.Option) (v, m uint64, masked bool, err error) {
	vs, ms, masked := strings.Cut(o.Arg(0), "/")
	v, err1 := strconv.ParseUint(vs, 0, 32)
	m = 0xffffffff
	var err2 error
	if masked {
		m, err2 = strconv.ParseUint(ms, 0, 32)
	}
	if err1 != nil || err2 != nil {
		return 0, 0, false, c.badValue(o, "mark")
	}
	return v, m, masked && m != 0xffffffff, nil
}

func matchPkttype(c *ctx, m *parser.Match) error {
	o := m.Opt("pkt-type")
	t := strings.ToLower(o.Arg(0))
	if t == "unicast" {
		t = "host"
	}
	c.match(&Meta{Key: "pkttype"}, eq(o.Negated), &Sym{Name: t})
	return nil
}

func hopMatch(c *ctx, m *parser.Match, field, prefix string) error {
	for _, o := range m.Options {
		n, err := strconv.ParseUint(o.Arg(0), 10, 8)
		if err != nil {
			return c.badValue(o, "value")
		}
		op := eq(o.Negated)
		switch strings.TrimPrefix(o.Name, prefix) {
		case "gt":
			op = OpGt
		case "lt":
			op = OpLt
		}
		c.match(&Payload{Proto: c.l3(), Field: field}, op, &Int{V: n})
	}
	return nil
}

func matchTTL(c *ctx, m *parser.Match) error { return hopMatch(c, m, "ttl", "ttl-") }
func matchHL(c *ctx, m *parser.Match) error  { return hopMatch(c, m, "hoplimit", "hl-") }

func matchLength(c *ctx, m *parser.Match) error {
	o := m.Opt("length")
	e, _, err := rangeExpr(c, o, o.Arg(0), 65535)
	if err != nil {
		return err
	}
	c.match(&Meta{Key: "length"}, eq(o.Negated), e)
	return nil
}

// rangeExpr parses "a[:b]" integers.
func rangeExpr(c *ctx, o *parser.Option, s string, maxV uint64) (Expr, bool, error) {
	lo, hi, isRange := strings.Cut(s, ":")
	l, ok := parseNum(lo, 32)
	if lo == "" {
		l, ok = 0, true
	}
	if !ok || l > maxV {
		return nil, false, c.badValue(o, "value")
	}
	if !isRange {
		return &Int{V: l}, false, nil
	}
	h := maxV
	if hi != "" {
		if h, ok = parseNum(hi, 32); !ok || h > maxV {
			return nil, false, c.badValue(o, "value")
		}
	}
	if l == h {
		return &Int{V: l}, false, nil
	}
	return &Range{Lo: &Int{V: l}, Hi: &Int{V: h}}, l == 0 && h == maxV, nil
}

func matchIprange(c *ctx, m *parser.Match) error {
	for _, o := range m.Options {
		field := "saddr"
		if o.Name == "dst-range" {
			field = "daddr"
		}
		lo, hi, _ := strings.Cut(o.Arg(0), "-")
		a, err1 := netip.ParseAddr(lo)
		b, err2 := netip.ParseAddr(hi)
		if hi == "" {
			b, err2 = a, nil
		}
		if err1 != nil || err2 != nil || a.Is6() != (c.fam == parser.IPv6) {
			return c.badValue(o, "address range")
		}
		var e Expr = &Range{Lo: AddrExpr(a, a.BitLen()), Hi: AddrExpr(b, b.BitLen())}
		if a == b {
			e = AddrExpr(a, a.BitLen())
		}
		c.match(&Payload{Proto: c.l3(), Field: field}, eq(o.Negated), e)
	}
	return nil
}

func matchMAC(c *ctx, m *parser.Match) error {
	o := m.Opt("mac-source")
	hw, err := net.ParseMAC(o.Arg(0))
	if err != nil || len(hw) != 6 {
		return c.badValue(o, "MAC address")
	}
	var v MAC
	copy(v.V[:], hw)
	c.match(&Payload{Proto: "ether", Field: "saddr"}, eq(o.Negated), &v)
	return nil
}

func matchMultiport(c *ctx, m *parser.Match) error {
	proto, ok := l4Headers[c.proto]
	if !ok || c.protoNeg || proto == "icmp" || proto == "icmpv6" {
		return c.unsupported(m.Pos, "multiport needs -p tcp, udp, udplite, dccp or sctp")
	}
	for _, o := range m.Options {
		var elems []Expr
		for _, p := range strings.Split(o.Arg(0), ",") {
			e, full, err := portExpr(c, o, p, proto)
			if err != nil {
				return err
			}
			if full {
				e = &Range{Lo: &Int{V: 0}, Hi: &Int{V: 65535}}
			}
			elems = append(elems, e)
		}
		if o.Name == "ports" {
			var pairs []Expr
			all := &Range{Lo: &Int{V: 0}, Hi: &Int{V: 65535}}
			for _, e := range elems {
				pairs = append(pairs, &Concat{Exprs: []Expr{all, e}}, &Concat{Exprs: []Expr{e, all}})
			}
			c.match(&Concat{Exprs: []Expr{&Payload{Proto: proto, Field: "sport"}, &Payload{Proto: proto, Field: "dport"}}}, eq(o.Negated), &SetLit{Elems: pairs})
			continue
		}
		field := "sport"
		if o.Name == "dports" {
			field = "dport"
		}
		var right Expr = elems[0]
		if len(elems) > 1 {
			right = &SetLit{Elems: elems}
		}
		c.match(&Payload{Proto: proto, Field: field}, eq(o.Negated), right)
	}
	return nil
}

// icmpTypes maps iptables ICMP type names to type[/code].
var icmpTypes = map[string][2]int{
	"echo-reply": {0, -1}, "pong": {0, -1}, "destination-unreachable": {3, -1}, "network-unreachable": {3, 0},
	"host-unreachable": {3, 1}, "protocol-unreachable": {3, 2}, "port-unreachable": {3, 3},
	"fragmentation-needed": {3, 4}, "source-route-failed": {3, 5}, "network-unknown": {3, 6}, "host-unknown": {3, 7},
	"network-prohibited": {3, 9}, "host-prohibited": {3, 10}, "tos-network-unreachable": {3, 11},
	"tos-host-unreachable": {3, 12}, "communication-prohibited": {3, 13}, "host-precedence-violation": {3, 14},
	"precedence-cutoff": {3, 15}, "source-quench": {4, -1}, "redirect": {5, -1}, "network-redirect": {5, 0},
	"host-redirect": {5, 1}, "tos-network-redirect": {5, 2}, "tos-host-redirect": {5, 3}, "echo-request": {8, -1},
	"ping": {8, -1}, "router-advertisement": {9, -1}, "router-solicitation": {10, -1}, "time-exceeded": {11, -1},
	"ttl-exceeded": {11, -1}, "ttl-zero-during-transit": {11, 0}, "ttl-zero-during-reassembly": {11, 1},
	"parameter-problem": {12, -1}, "ip-header-bad": {12, 0}, "required-option-missing": {12, 1},
	"timestamp-request": {13, -1}, "timestamp-reply": {14, -1}, "address-mask-request": {17, -1},
	"address-mask-reply": {18, -1},
}

var icmp6Types = map[string][2]int{
	"destination-unreachable": {1, -1}, "no-route": {1, 0}, "communication-prohibited": {1, 1},
	"beyond-scope": {1, 2}, "address-unreachable": {1, 3}, "port-unreachable": {1, 4}, "failed-policy": {1, 5},
	"reject-route": {1, 6}, "packet-too-big": {2, -1}, "time-exceeded": {3, -1}, "ttl-exceeded": {3, -1},
	"ttl-zero-during-transit": {3, 0}, "ttl-zero-during-reassembly": {3, 1}, "parameter-problem": {4, -1},
	"bad-header": {4, 0}, "unknown-header-type": {4, 1}, "unknown-option": {4, 2}, "echo-request": {128, -1},
	"ping": {128, -1}, "echo-reply": {129, -1}, "pong": {129, -1}, "mld-listener-query": {130, -1},
	"mld-listener-report": {131, -1}, "mld-listener-done": {132, -1}, "mld-listener-reduction": {132, -1},
	"router-solicitation": {133, -1}, "router-advertisement": {134, -1}, "neighbour-solicitation": {135, -1},
	"neighbor-solicitation": {135, -1}, "neighbour-advertisement": {136, -1}, "neighbor-advertisement": {136, -1},
	"redirect": {137, -1},
}

func icmpMatch(c *ctx, o *parser.Option, proto string, names map[string][2]int) error {
	s := strings.ToLower(o.Arg(0))
	if s == "any" {
		if o.Negated {
			return c.unsupported(o.Pos, "\"! --icmp-type any\" never matches")
		}
		c.protoDone = false
		return nil
	}
	tc, ok := names[s]
	if !ok {
		ts, cs, hasCode := strings.Cut(s, "/")
		t, err := strconv.ParseUint(ts, 10, 8)
		if err != nil {
			return c.badValue(o, "ICMP type")
		}
		tc = [2]int{int(t), -1}
		if hasCode {
			cd, err := strconv.ParseUint(cs, 10, 8)
			if err != nil {
				return c.badValue(o, "ICMP code")
			}
			tc[1] = int(cd)
		}
	}
	if tc[1] < 0 {
		c.match(&Payload{Proto: proto, Field: "type"}, eq(o.Negated), &Int{V: uint64(tc[0])})
		return nil
	}
	if o.Negated {
		// not (type T and code C): a concatenation compares both at once
		c.match(&Concat{Exprs: []Expr{&Payload{Proto: proto, Field: "type"}, &Payload{Proto: proto, Field: "code"}}}, OpNe,
			&Concat{Exprs: []Expr{&Int{V: uint64(tc[0])}, &Int{V: uint64(tc[1])}}})
		return nil
	}
	c.match(&Payload{Proto: proto, Field: "type"}, OpEq, &Int{V: uint64(tc[0])})
	c.match(&Payload{Proto: proto, Field: "code"}, OpEq, &Int{V: uint64(tc[1])})
	return nil
}

func matchICMP(c *ctx, m *parser.Match) error {
	if c.proto != "icmp" || c.protoNeg {
		return c.unsupported(m.Pos, "-m icmp needs -p icmp (the kernel refuses the rule otherwise)")
	}
	if o := m.Opt("icmp-type"); o != nil {
		return icmpMatch(c, o, "icmp", icmpTypes)
	}
	return nil
}

func matchICMP6(c *ctx, m *parser.Match) error {
	if (c.proto != "ipv6-icmp" && c.proto != "icmpv6" && c.proto != "icmp6") || c.protoNeg {
		return c.unsupported(m.Pos, "-m icmp6 needs -p icmpv6 (the kernel refuses the rule otherwise)")
	}
	if o := m.Opt("icmpv6-type"); o != nil {
		return icmpMatch(c, o, "icmpv6", icmp6Types)
	}
	return nil
}

// parseRate parses "N/unit" as iptables' limit does.
// -m set: a lookup in an nft set of the same name. ipset contents are not
// part of an iptables dump, so the set is declared empty and must be filled.
// declareSet declares a named set once per table, with a warning that its
// elements must be supplied.
// -m nfacct: a named nft counter of the same name.
