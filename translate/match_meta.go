package translate

// Small meta and header matches: mark, connmark, addrtype, pkttype, ttl, hl,
// length, iprange, mac, owner, multiport, icmp, icmp6, limit, set, nfacct,
// statistic, helper. Each is exact unless its function says otherwise.

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

func markMatch(c *ctx, o *parser.Option, left Expr) error {
	v, m, masked, err := markValue(c, o)
	if err != nil {
		return err
	}
	if masked {
		left = &Binop{Op: "&", Left: left, Right: &Int{V: m, Hex: true}}
	}
	c.match(left, eq(o.Negated), &Int{V: v, Hex: true})
	return nil
}

func matchMark(c *ctx, m *parser.Match) error { return markMatch(c, m.Opt("mark"), &Meta{Key: "mark"}) }
func matchConnmark(c *ctx, m *parser.Match) error {
	return markMatch(c, m.Opt("mark"), &CT{Key: "mark"})
}

func matchAddrtype(c *ctx, m *parser.Match) error {
	for _, side := range []string{"src", "dst"} {
		o := m.Opt(side + "-type")
		if o == nil {
			continue
		}
		flags := []string{side[:1] + "addr"}
		flags[0] = map[string]string{"src": "saddr", "dst": "daddr"}[side]
		if m.Opt("limit-iface-in") != nil {
			flags = append(flags, "iif")
		} else if m.Opt("limit-iface-out") != nil {
			flags = append(flags, "oif")
		}
		var types []Expr
		for _, t := range strings.Split(strings.ToLower(o.Arg(0)), ",") {
			types = append(types, &Sym{Name: t})
		}
		var right Expr = types[0]
		if len(types) > 1 {
			right = &SetLit{Elems: types}
		}
		c.match(&Fib{Flags: flags, Result: "type"}, eq(o.Negated), right)
	}
	return nil
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
	l, err := strconv.ParseUint(lo, 10, 32)
	if lo == "" {
		l, err = 0, nil
	}
	if err != nil || l > maxV {
		return nil, false, c.badValue(o, "value")
	}
	if !isRange {
		return &Int{V: l}, false, nil
	}
	h := maxV
	if hi != "" {
		if h, err = strconv.ParseUint(hi, 10, 32); err != nil || h > maxV {
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

func matchOwner(c *ctx, m *parser.Match) error {
	for _, o := range m.Options {
		switch o.Name {
		case "uid-owner", "gid-owner":
			key := "skuid"
			if o.Name == "gid-owner" {
				key = "skgid"
			}
			s := o.Arg(0)
			if s == "root" {
				s = "0"
			}
			lo, hi, isRange := strings.Cut(s, "-")
			l, err := strconv.ParseUint(lo, 10, 32)
			if err != nil {
				return c.unsupported(o.Args[0].Pos, "user or group name %q: iptables resolves names on the machine that loads the rules; give the number", s)
			}
			var e Expr = &Int{V: l}
			if isRange {
				h, err := strconv.ParseUint(hi, 10, 32)
				if err != nil {
					return c.badValue(o, "id range")
				}
				e = &Range{Lo: &Int{V: l}, Hi: &Int{V: h}}
			}
			c.match(&Meta{Key: key}, eq(o.Negated), e)
		case "socket-exists":
			return c.unsupported(o.Pos, "--socket-exists has no nft equivalent in nft 1.0.6")
		case "suppl-groups":
			return c.unsupported(o.Pos, "--suppl-groups has no nft equivalent")
		}
	}
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
	if o := m.Opt("icmp-type"); o != nil {
		return icmpMatch(c, o, "icmp", icmpTypes)
	}
	return nil
}

func matchICMP6(c *ctx, m *parser.Match) error {
	if o := m.Opt("icmpv6-type"); o != nil {
		return icmpMatch(c, o, "icmpv6", icmp6Types)
	}
	return nil
}

// parseRate parses "N/unit" as iptables' limit does.
func parseRate(c *ctx, o *parser.Option) (uint64, string, error) {
	ns, us, _ := strings.Cut(o.Arg(0), "/")
	n, err := strconv.ParseUint(ns, 10, 32)
	if err != nil || n == 0 {
		return 0, "", c.badValue(o, "rate")
	}
	unit := "second"
	switch strings.ToLower(us) {
	case "", "s", "sec", "second":
	case "m", "min", "minute":
		unit = "minute"
	case "h", "hour":
		unit = "hour"
	case "d", "day":
		unit = "day"
	default:
		if strings.HasPrefix("second", us) {
			break
		}
		if strings.HasPrefix("minute", us) {
			unit = "minute"
			break
		}
		return 0, "", c.badValue(o, "rate")
	}
	return n, unit, nil
}

func matchLimit(c *ctx, m *parser.Match) error {
	l := &Limit{Rate: 3, Unit: "hour", Burst: 5}
	if o := m.Opt("limit"); o != nil {
		n, u, err := parseRate(c, o)
		if err != nil {
			return err
		}
		l.Rate, l.Unit = n, u
	}
	if o := m.Opt("limit-burst"); o != nil {
		b, err := strconv.ParseUint(o.Arg(0), 10, 32)
		if err != nil {
			return c.badValue(o, "burst")
		}
		l.Burst = b
	}
	c.add(l)
	return nil
}

// -m set: a lookup in an nft set of the same name. ipset contents are not
// part of an iptables dump, so the set is declared empty and must be filled.
func matchSet(c *ctx, m *parser.Match) error {
	o := m.Opt("match-set")
	name, dirs := o.Arg(0), strings.Split(o.Arg(1), ",")
	var keys []Expr
	var types []string
	for _, d := range dirs {
		f := "saddr"
		if d == "dst" {
			f = "daddr"
		} else if d != "src" {
			return c.badValue(o, "direction")
		}
		keys = append(keys, &Payload{Proto: c.l3(), Field: f})
		t := "ipv4_addr"
		if c.fam == parser.IPv6 {
			t = "ipv6_addr"
		}
		types = append(types, t)
	}
	for _, x := range m.Options[1:] {
		return c.unsupported(x.Pos, "set option --%s has no nft equivalent", x.Name)
	}
	setName := safeIdent(name)
	c.declareSet(setName, types, "ipset "+name+" (fill with its elements)", o.Pos)
	var left Expr = keys[0]
	if len(keys) > 1 {
		left = &Concat{Exprs: keys}
	}
	c.match(left, eq(o.Negated), &SetRef{Name: setName})
	return nil
}

// declareSet declares a named set once per table, with a warning that its
// elements must be supplied.
func (c *ctx) declareSet(name string, types []string, comment string, pos parser.Pos) {
	t := c.tr.nftTable(c.fam, c.table)
	for _, s := range t.Sets {
		if s.Name == name {
			return
		}
	}
	flags := []string{"interval"}
	if len(types) > 1 {
		flags = nil
	}
	t.Sets = append(t.Sets, &Set{Name: name, Type: types, Flags: flags, Comment: comment, Origin: pos})
	c.note(pos, "set %q is declared empty in the nft table: ipset contents are not in the dump; add its elements (nft add element)", name)
}

// -m nfacct: a named nft counter of the same name.
func matchNfacct(c *ctx, m *parser.Match) error {
	o := m.Opt("nfacct-name")
	name := safeIdent(o.Arg(0))
	t := c.tr.nftTable(c.fam, c.table)
	found := false
	for _, ob := range t.Objects {
		found = found || ob.Name == name
	}
	if !found {
		t.Objects = append(t.Objects, &Object{Kind: "counter", Name: name, Origin: o.Pos})
		c.note(o.Pos, "nfacct object %q becomes the nft named counter %q (nfacct tools will not see it)", o.Arg(0), name)
	}
	c.add(&Counter{Name: name})
	return nil
}

func matchStatistic(c *ctx, m *parser.Match) error {
	mode := m.Opt("mode")
	if mode == nil {
		return c.unsupported(m.Pos, "statistic needs --mode")
	}
	switch mode.Arg(0) {
	case "random":
		o := m.Opt("probability")
		p, err := strconv.ParseFloat(o.Arg(0), 64)
		if err != nil || p < 0 || p > 1 {
			return c.badValue(o, "probability")
		}
		// The kernel compares a random u32 against p * 2^31 (31 bits).
		c.match(&Numgen{Mode: "random", Mod: 1 << 31}, map[bool]Op{false: OpLt, true: OpGe}[o.Negated], &Int{V: uint64(p*2147483648.0 + 0.5)})
	case "nth":
		o := m.Opt("every")
		n, err := strconv.ParseUint(o.Arg(0), 10, 32)
		if err != nil || n == 0 {
			return c.badValue(o, "count")
		}
		var p uint64
		if po := m.Opt("packet"); po != nil {
			if p, err = strconv.ParseUint(po.Arg(0), 10, 32); err != nil || p >= n {
				return c.badValue(po, "packet")
			}
		}
		c.approx(o.Pos, "statistic --mode nth: the nft counter is per rule as in xt, but it is not shared with other rules and restarts when the ruleset is reloaded")
		c.match(&Numgen{Mode: "inc", Mod: uint32(n)}, eq(o.Negated), &Int{V: p})
	default:
		return c.badValue(mode, "mode")
	}
	return nil
}

func matchHelper(c *ctx, m *parser.Match) error {
	o := m.Opt("helper")
	c.match(&CT{Key: "helper"}, eq(o.Negated), &Str{V: o.Arg(0)})
	return nil
}
