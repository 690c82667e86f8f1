package translate

// -j TCPMSS (libxt_TCPMSS.c) and -j SYNPROXY (libxt_SYNPROXY.c).
// nft(8) TCP OPTIONS (tcp option maxseg size set) and SYNPROXY STATEMENT.
//
// TCPMSS --set-mss N is "tcp option maxseg size set N" and
// --clamp-mss-to-pmtu "tcp option maxseg size set rt mtu" (both kernels
// never raise the MSS, and rt mtu takes the smaller of the forward and
// reverse route MTUs minus the headers, as xt_TCPMSS does). Approximate:
// xt_TCPMSS inserts an MSS option (at most 536 for IPv4, 1220 for IPv6)
// into a SYN that carries none; nft only rewrites an existing option.
// Non-terminal.
// SYNPROXY --mss/--wscale/--sack-perm/--timestamp map to the synproxy
// statement's fields (same kernel core, same verdicts); --ecn has no nft
// form and is refused.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func tgTCPMSS(c *ctx, t *parser.Target) error {
	if c.tgL4("tcp") == "" {
		return c.unsupported(t.Pos, "TCPMSS needs -p tcp")
	}
	left := &Payload{Field: desc.OptMaxsegSize}
	switch {
	case t.Opt("set-mss") != nil:
		o := t.Opt("set-mss")
		n, err := tgOptUint(c, o, 0xffff, "MSS")
		if err != nil {
			return err
		}
		c.add(&Assign{Left: left, Value: &Int{V: n}})
	case t.Opt("clamp-mss-to-pmtu") != nil:
		c.add(&Assign{Left: left, Value: &Rt{Key: desc.RtMTU}})
	default:
		return c.unsupported(t.Pos, "TCPMSS needs --set-mss or --clamp-mss-to-pmtu")
	}
	c.approx(t.Pos, "TCPMSS: a SYN without an MSS option gets one inserted by xt_TCPMSS; nft only rewrites an existing option")
	return nil
}

func tgSYNPROXY(c *ctx, t *parser.Target) error {
	if c.tgL4("tcp") == "" {
		return c.unsupported(t.Pos, "SYNPROXY needs -p tcp")
	}
	s := &Synproxy{}
	for _, o := range t.Options {
		switch o.Name {
		case "mss":
			n, err := tgOptUint(c, o, 0xffff, "MSS")
			if err != nil {
				return err
			}
			v := uint16(n)
			s.MSS = &v
		case "wscale":
			n, err := tgOptUint(c, o, 14, "window scale")
			if err != nil {
				return err
			}
			v := uint8(n)
			s.Wscale = &v
		case "ecn":
			return c.unsupported(o.Pos, "SYNPROXY --ecn has no nft synproxy flag")
		}
	}
	if t.Opt("timestamp") != nil {
		s.Flags = append(s.Flags, "timestamp")
	}
	if t.Opt("sack-perm") != nil {
		s.Flags = append(s.Flags, "sack-perm")
	}
	c.add(s)
	return nil
}
