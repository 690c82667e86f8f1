package translate

// -m tcp / -m udp (also loaded implicitly by -p tcp --dport ...).
// iptables-extensions(8) "tcp", "udp"; nft(8) TCP HEADER EXPRESSION.
// Exact, including --sport 0:65535 (which upstream 1.8.9 mistranslates):
// without "!" it only needs the protocol; with "!" it never matches and
// becomes "tcp sport != 0-65535". --tcp-flags compares the flags byte as
// the kernel does ((flags & mask) == comp); a comparison with bits outside
// the mask can never be true.

import (
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchTCP(c *ctx, m *parser.Match) error { return l4Ports(c, m, "tcp") }
func matchUDP(c *ctx, m *parser.Match) error { return l4Ports(c, m, "udp") }

// l4Ports translates -m tcp and -m udp.
func l4Ports(c *ctx, m *parser.Match, proto string) error {
	given, err := c.needProto(m, proto, proto)
	if err != nil {
		return err
	}
	before := len(c.stmts)
	if err := portsAndFlags(c, m, proto); err != nil {
		return err
	}
	for _, o := range m.Options {
		switch o.Name {
		case "sport", "dport", "syn", "tcp-flags", "tcp-option":
		default:
			return c.unsupported(o.Pos, "option --%s of match %q", o.Name, m.Name)
		}
	}
	c.ensureProto(given, before, proto)
	return nil
}

// portsAndFlags translates the port options of tcp, udp, sctp and dccp,
// and tcp's flag and option tests. Other options are left to the caller
// (sctp chunks, dccp types).
func portsAndFlags(c *ctx, m *parser.Match, proto string) error {
	// iptables prints sport before dport whatever the input order.
	for _, name := range []string{"sport", "dport"} {
		if o := m.Opt(name); o != nil {
			if err := c.portMatch(o, proto, name); err != nil {
				return err
			}
		}
	}
	// Then --tcp-option, then the flags, as iptables-save prints them, so
	// that a script's rule reads as the dump of what it built.
	if o := m.Opt("tcp-option"); o != nil {
		n, ok := xtUint(o.Arg(0), 255)
		if !ok {
			return c.badValue(o, "TCP option")
		}
		op := OpExists
		if o.Negated {
			op = OpMissing
		}
		c.match(&Exthdr{Hdr: desc.TCPOptionKind(uint8(n))}, op, nil)
	}
	for _, o := range m.Options {
		switch o.Name {
		case "syn":
			c.match(&Payload{Field: desc.TCPFlags}, eq(o.Negated),
				&Bitmask{Value: &Flags{Names: []string{"syn"}}, Mask: &Flags{Names: []string{"fin", "syn", "rst", "ack"}}})
		case "tcp-flags":
			if err := tcpFlags(c, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// tcpFlags translates --tcp-flags MASK COMP.
func tcpFlags(c *ctx, o *parser.Option) error {
	mask, mbits, err := tcpFlagList(c, o, o.Args[0].Value)
	if err != nil {
		return err
	}
	comp, cbits, err := tcpFlagList(c, o, o.Args[1].Value)
	if err != nil {
		return err
	}
	flags := &Payload{Field: desc.TCPFlags}
	switch {
	case cbits&^mbits != 0:
		// (flags & mask) can never equal comp: the test never matches,
		// and with "!" it always does.
		if !o.Negated {
			c.neverMatch(&Payload{Field: desc.TCPSport}, 65535)
		}
		return nil
	case mbits == 0:
		// Empty mask and comparison: every TCP packet matches.
		if o.Negated {
			c.neverMatch(&Payload{Field: desc.TCPSport}, 65535)
		}
		return nil
	}
	var val Expr = &Flags{Names: comp}
	if len(comp) == 0 {
		val = &Int{V: 0, Hex: true}
	}
	c.match(flags, eq(o.Negated), &Bitmask{Value: val, Mask: &Flags{Names: mask}})
	return nil
}

// tcpFlagBits are the flags iptables knows (libxt_tcp.c tcp_flag_names);
// ECE and CWR cannot be named in --tcp-flags.
var tcpFlagBits = map[string]int{"fin": 0, "syn": 1, "rst": 2, "psh": 3, "ack": 4, "urg": 5}

// tcpFlagList parses "SYN,ACK", "ALL" or "NONE" (any case) into nft flag
// names in bit order, and their bits.
func tcpFlagList(c *ctx, o *parser.Option, s string) ([]string, uint, error) {
	var out []string
	for _, f := range strings.Split(strings.ToLower(s), ",") {
		switch f {
		case "all":
			out = append(out, "fin", "syn", "rst", "psh", "ack", "urg")
		case "none":
		case "":
			// strtok skips empty fields.
		default:
			if _, ok := tcpFlagBits[f]; !ok {
				return nil, 0, c.unsupported(argPos(o), "unknown TCP flag %q", f)
			}
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return tcpFlagBits[out[i]] < tcpFlagBits[out[j]] })
	dedup := out[:0]
	var bits uint
	for i, f := range out {
		if i == 0 || f != out[i-1] {
			dedup = append(dedup, f)
			bits |= 1 << tcpFlagBits[f]
		}
	}
	return dedup, bits, nil
}
