package translate

// -m tcp / -m udp (also loaded implicitly by -p tcp --dport ...).
// iptables-extensions(8) "tcp", "udp"; nft(8) TCP HEADER EXPRESSION.
// Exact, including --sport 0:65535 (which upstream 1.8.9 mistranslates).

import (
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func matchTCP(c *ctx, m *parser.Match) error { return l4Ports(c, m, "tcp") }
func matchUDP(c *ctx, m *parser.Match) error { return l4Ports(c, m, "udp") }

// l4Ports translates the port options of tcp, udp, sctp, dccp and udplite,
// and tcp's flag options.
func l4Ports(c *ctx, m *parser.Match, proto string) error {
	// iptables prints sport before dport whatever the input order.
	for _, name := range []string{"sport", "dport"} {
		if o := m.Opt(name); o != nil {
			if err := c.portMatch(o, proto, name); err != nil {
				return err
			}
		}
	}
	for _, o := range m.Options {
		switch o.Name {
		case "sport", "dport":
		case "syn":
			c.match(&Payload{Proto: "tcp", Field: "flags"}, eq(o.Negated),
				&Bitmask{Value: &Flags{Names: []string{"syn"}}, Mask: &Flags{Names: []string{"fin", "syn", "rst", "ack"}}})
		case "tcp-flags":
			mask, err := tcpFlagList(c, o, o.Args[0].Value)
			if err != nil {
				return err
			}
			comp, err := tcpFlagList(c, o, o.Args[1].Value)
			if err != nil {
				return err
			}
			var val Expr = &Flags{Names: comp}
			if len(comp) == 0 {
				val = &Int{V: 0, Hex: true}
			}
			if len(mask) == 0 {
				// An empty mask matches every TCP packet.
				if o.Negated {
					return c.unsupported(o.Pos, "\"! --tcp-flags NONE ...\" never matches")
				}
				continue
			}
			c.match(&Payload{Proto: "tcp", Field: "flags"}, eq(o.Negated), &Bitmask{Value: val, Mask: &Flags{Names: mask}})
		case "tcp-option":
			op := OpExists
			if o.Negated {
				op = OpMissing
			}
			c.match(&Exthdr{Hdr: "tcp option", Name: o.Arg(0)}, op, nil)
		default:
			return c.unsupported(o.Pos, "option --%s of match %q", o.Name, m.Name)
		}
	}
	return nil
}

var tcpFlagBits = map[string]int{"fin": 0, "syn": 1, "rst": 2, "psh": 3, "ack": 4, "urg": 5, "ecn": 6, "cwr": 7}

// tcpFlagList parses "SYN,ACK", "ALL" or "NONE" into nft flag names in bit order.
func tcpFlagList(c *ctx, o *parser.Option, s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(strings.ToLower(s), ",") {
		switch f {
		case "all":
			out = append(out, "fin", "syn", "rst", "psh", "ack", "urg")
		case "none":
		default:
			if _, ok := tcpFlagBits[f]; !ok {
				return nil, c.unsupported(o.Pos, "unknown TCP flag %q", f)
			}
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return tcpFlagBits[out[i]] < tcpFlagBits[out[j]] })
	dedup := out[:0]
	for i, f := range out {
		if i == 0 || f != out[i-1] {
			dedup = append(dedup, f)
		}
	}
	return dedup, nil
}
