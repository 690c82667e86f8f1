package translate

// -j SNAT, -j DNAT, -j MASQUERADE, -j REDIRECT (libxt_NAT.c) and -j NETMAP
// (libipt_NETMAP.c, libip6t_NETMAP.c).
// iptables-extensions(8); nft(8) NAT STATEMENTS.
//
// Exact: --to-source/--to-destination "[ip[-ip]][:port[-port]]" (IPv6
// "[ip[-ip]]:port[-port]") become "snat/dnat to ADDR[:PORTS]"; --to-ports
// becomes "masquerade/redirect to :PORTS"; --random, --random-fully and
// --persistent become the flags random, fully-random, persistent (the same
// NF_NAT_RANGE_* bits). All are terminal in both worlds (NF_ACCEPT). A
// port mapping needs "-p tcp|udp|sctp|dccp" (or icmp for IPv4), as
// iptables requires; nft needs the protocol in the rule, and ctx emits
// "ip protocol tcp"/"meta l4proto tcp" unless a tcp header match already
// implies it (upstream 1.8.9 drops it for "-m tcp -p tcp -j DNAT
// --to-destination ip:port", which nft then rejects).
// NETMAP --to ADDR/LEN becomes "dnat prefix to ADDR/LEN" in PREROUTING and
// OUTPUT and "snat prefix to ADDR/LEN" in POSTROUTING and INPUT, as
// xt_NETMAP chooses by hook; both compute (orig & ~mask) | (to & mask).
// Refused: the DNAT "/baseport" shifted port range (nft 1.0.6 has no
// syntax for NF_NAT_RANGE_PROTO_OFFSET), NETMAP in a user-defined chain
// (the hook decides between snat and dnat at run time).

import (
	"net/netip"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func tgSNAT(c *ctx, t *parser.Target) error { return tgNAT(c, t, SNAT, "to-source") }
func tgDNAT(c *ctx, t *parser.Target) error { return tgNAT(c, t, DNAT, "to-destination") }
func tgMASQUERADE(c *ctx, t *parser.Target) error {
	return tgNAT(c, t, Masquerade, "")
}
func tgREDIRECT(c *ctx, t *parser.Target) error { return tgNAT(c, t, Redirect, "") }

func tgNAT(c *ctx, t *parser.Target, kind NATKind, toOpt string) error {
	n := &NAT{Kind: kind}
	var random, fully, persistent bool
	for _, o := range t.Options {
		switch o.Name {
		case "to-source", "to-destination":
			a, p, err := tgNATTo(c, o)
			if err != nil {
				return err
			}
			n.Addr, n.Port = a, p
		case "to-ports":
			p, err := tgNATPorts(c, o, o.Arg(0))
			if err != nil {
				return err
			}
			n.Port = p
		case "random":
			random = true
		case "random-fully":
			fully = true
		case "persistent":
			persistent = true
		}
	}
	if toOpt != "" && n.Addr == nil && n.Port == nil {
		return c.unsupported(t.Pos, "%s needs --%s", t.Name, toOpt)
	}
	if n.Addr != nil {
		n.Family = c.tableFamily()
	}
	if random {
		n.Flags = append(n.Flags, "random")
	}
	if fully {
		n.Flags = append(n.Flags, "fully-random")
	}
	if persistent {
		n.Flags = append(n.Flags, "persistent")
	}
	c.add(n)
	return nil
}

// tgNATTo parses "[ip[-ip]][:ports]" / "[ip6[-ip6]]:ports" as libxt_NAT's
// parse_to does.
func tgNATTo(c *ctx, o *parser.Option) (addr, port Expr, err error) {
	s := o.Arg(0)
	var ipPart, portPart string
	hasPort := false
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || c.fam == parser.IPv4 {
			return nil, nil, c.badValue(o, "address")
		}
		ipPart = s[1:end]
		rest := s[end+1:]
		if i := strings.Index(rest, ":"); i >= 0 {
			portPart, hasPort = rest[i+1:], true
		}
	} else {
		ipPart = s
		if i := strings.Index(s, ":"); i >= 0 && !strings.Contains(s[i+1:], ":") {
			ipPart, portPart, hasPort = s[:i], s[i+1:], true
		}
	}
	if hasPort {
		if port, err = tgNATPorts(c, o, portPart); err != nil {
			return nil, nil, err
		}
	}
	if ipPart == "" {
		return nil, port, nil
	}
	lo, hi, isRange := strings.Cut(ipPart, "-")
	a, err := tgNATAddr(c, o, lo)
	if err != nil {
		return nil, nil, err
	}
	if !isRange {
		return a, port, nil
	}
	b, err := tgNATAddr(c, o, hi)
	if err != nil {
		return nil, nil, err
	}
	if a.Prefix.Addr() == b.Prefix.Addr() {
		return a, port, nil
	}
	if b.Prefix.Addr().Less(a.Prefix.Addr()) {
		// iptables loads it, and the kernel then picks from the range
		// that wraps around the end of the address space (nf_nat_core
		// computes max - min + 1 without checking); nft refuses it.
		return nil, nil, c.unsupported(argPos(o), "the address range %q in --%s runs backwards: nft refuses it (\"Range has zero or negative size\"), and iptables would pick addresses wrapping past %s", ipPart, o.Name, map[bool]string{true: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false: "255.255.255.255"}[c.fam == parser.IPv6])
	}
	return &Range{Lo: a, Hi: b}, port, nil
}

func tgNATAddr(c *ctx, o *parser.Option, s string) (*Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is6() != (c.fam == parser.IPv6) {
		return nil, c.unsupported(o.Pos, "bad %s address %q in --%s (host names are resolved by iptables; use addresses)", c.fam, s, o.Name)
	}
	return AddrExpr(a, a.BitLen()), nil
}

// tgNATPorts parses "port[-port[/baseport]]" (libxt_NAT.c parse_ports) and
// checks that the rule's protocol allows a port mapping.
func tgNATPorts(c *ctx, o *parser.Option, s string) (Expr, error) {
	allowed := []string{"tcp", "udp", "sctp", "dccp"}
	if c.fam == parser.IPv4 {
		allowed = append(allowed, "icmp")
	}
	if c.tgL4(allowed...) == "" {
		return nil, c.unsupported(o.Pos, "a port mapping needs -p tcp, udp, sctp or dccp (iptables: \"Need TCP, UDP, SCTP or DCCP with port specification\")")
	}
	lo, rest, isRange := strings.Cut(s, "-")
	if !isRange {
		if strings.Contains(s, ":") {
			return nil, c.unsupported(o.Pos, "invalid port:port syntax in --%s (iptables wants a dash)", o.Name)
		}
		p, ok := tgUint(s, 0xffff)
		if !ok {
			if p, ok = serviceByName(s, ""); !ok {
				return nil, c.unsupported(o.Pos, "port %q in --%s is not valid", s, o.Name)
			}
		}
		return &Int{V: p}, nil
	}
	hi, base, hasBase := strings.Cut(rest, "/")
	l, ok1 := tgUint(lo, 0xffff)
	h, ok2 := tgUint(hi, 0xffff)
	if !ok1 || !ok2 || h < l {
		return nil, c.unsupported(o.Pos, "port range %q in --%s is not valid", s, o.Name)
	}
	if hasBase {
		return nil, c.unsupported(o.Pos, "the shifted port range %q (/%s) has no nft 1.0.6 syntax", s, base)
	}
	if l == h {
		return &Int{V: l}, nil
	}
	return &Range{Lo: &Int{V: l}, Hi: &Int{V: h}}, nil
}

func tgNETMAP(c *ctx, t *parser.Target) error {
	o := t.Opt("to")
	if o == nil {
		return c.unsupported(t.Pos, "NETMAP needs --to")
	}
	var kind NATKind
	switch c.hook {
	case HookPrerouting, HookOutput:
		kind = DNAT
	case HookPostrouting, HookInput:
		kind = SNAT
	default:
		return c.unsupported(t.Pos, "NETMAP in a user-defined chain: xt_NETMAP picks snat or dnat from the hook at run time, and nft needs the choice in the rule")
	}
	s := o.Arg(0)
	as, ms, hasMask := strings.Cut(s, "/")
	a, err := tgNATAddr(c, o, as)
	if err != nil {
		return err
	}
	bits := a.Prefix.Addr().BitLen()
	if hasMask {
		if n, ok := tgUint(ms, uint64(bits)); ok && !strings.HasPrefix(ms, "0x") {
			bits = int(n)
		} else if m, err := netip.ParseAddr(ms); err == nil && m.BitLen() == bits {
			n, ok := maskBits(m)
			if !ok {
				return c.unsupported(o.Pos, "NETMAP --to %q: non-contiguous masks have no nft prefix form", s)
			}
			bits = n
		} else {
			return c.badValue(o, "address/mask")
		}
	}
	p, _ := a.Prefix.Addr().Prefix(bits)
	c.add(&NAT{Kind: kind, Family: c.tableFamily(), Addr: &Addr{Prefix: p}, Prefix: true})
	return nil
}
