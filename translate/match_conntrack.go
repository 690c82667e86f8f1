package translate

// -m state / -m conntrack: iptables-extensions(8) "conntrack"; nft ct
// expressions. The virtual states SNAT and DNAT are ct status bits.

import (
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func matchState(c *ctx, m *parser.Match) error { return ctState(c, m.Opt("state")) }

func ctState(c *ctx, o *parser.Option) error {
	if o == nil {
		return nil
	}
	var states, status []string
	for _, s := range strings.Split(strings.ToLower(o.Arg(0)), ",") {
		switch s {
		case "new", "established", "related", "invalid", "untracked":
			states = append(states, s)
		case "snat", "dnat":
			status = append(status, s)
		default:
			return c.badValue(o, "state")
		}
	}
	if len(states) > 0 && len(status) > 0 {
		return c.unsupported(o.Pos, "--ctstate mixing SNAT/DNAT with other states is an OR of ct state and ct status, which one nft rule cannot express")
	}
	op := OpEq
	if o.Negated {
		op = OpNot
	}
	if len(states) > 0 {
		c.match(&CT{Key: "state"}, op, &Flags{Names: states})
	} else {
		c.match(&CT{Key: "status"}, op, &Flags{Names: status})
	}
	return nil
}

func matchConntrack(c *ctx, m *parser.Match) error {
	// upstream's order: direction, protocol, state, status, expire, addresses, ports
	if o := m.Opt("ctdir"); o != nil {
		d := strings.ToLower(o.Arg(0))
		if d != "original" && d != "reply" {
			return c.badValue(o, "direction")
		}
		c.match(&CT{Key: "direction"}, OpEq, &Sym{Name: d})
	}
	if o := m.Opt("ctproto"); o != nil {
		c.match(&CT{Key: "protocol", Dir: "original"}, eq(o.Negated), protoValue(strings.ToLower(o.Arg(0))))
	}
	if err := ctState(c, m.Opt("ctstate")); err != nil {
		return err
	}
	if o := m.Opt("ctstatus"); o != nil {
		var fl []string
		for _, s := range strings.Split(strings.ToLower(o.Arg(0)), ",") {
			switch s {
			case "expected", "seen_reply", "seen-reply", "assured", "confirmed":
				fl = append(fl, strings.ReplaceAll(s, "_", "-"))
			case "none":
			default:
				return c.badValue(o, "status")
			}
		}
		op := OpEq
		if o.Negated {
			op = OpNot
		}
		if len(fl) == 0 {
			c.match(&CT{Key: "status"}, eq(!o.Negated), &Int{V: 0})
		} else {
			c.match(&CT{Key: "status"}, op, &Flags{Names: fl})
		}
	}
	if o := m.Opt("ctexpire"); o != nil {
		lo, hi, isRange := strings.Cut(o.Arg(0), ":")
		l, err1 := strconv.ParseUint(lo, 10, 32)
		var v Expr = &Int{V: l}
		if isRange {
			h, err := strconv.ParseUint(hi, 10, 32)
			if err != nil {
				return c.badValue(o, "expiry")
			}
			if h != l {
				v = &Range{Lo: &Int{V: l}, Hi: &Int{V: h}}
			}
		}
		if err1 != nil {
			return c.badValue(o, "expiry")
		}
		c.match(&CT{Key: "expiration"}, eq(o.Negated), v)
	}
	for _, a := range []struct{ opt, dir, key string }{
		{"ctorigsrc", "original", "saddr"}, {"ctorigdst", "original", "daddr"},
		{"ctreplsrc", "reply", "saddr"}, {"ctrepldst", "reply", "daddr"},
	} {
		if o := m.Opt(a.opt); o != nil {
			s, err := c.addrMatch(&CT{Key: a.key, Dir: a.dir}, o)
			if err != nil {
				return err
			}
			if s != nil {
				c.add(s)
			}
		}
	}
	for _, p := range []struct{ opt, dir, key string }{
		{"ctorigsrcport", "original", "proto-src"}, {"ctorigdstport", "original", "proto-dst"},
		{"ctreplsrcport", "reply", "proto-src"}, {"ctrepldstport", "reply", "proto-dst"},
	} {
		if o := m.Opt(p.opt); o != nil {
			e, full, err := portExpr(c, o, o.Arg(0), "")
			if err != nil {
				return err
			}
			if full {
				continue
			}
			c.match(&CT{Key: p.key, Dir: p.dir}, eq(o.Negated), e)
		}
	}
	return nil
}
