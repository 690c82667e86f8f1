package translate

// -j CT and -j NOTRACK (libxt_CT.c), -j TRACE (libxt_TRACE.c).
// iptables-extensions(8) CT, NOTRACK, TRACE; nft(8) CONNTRACK STATEMENTS.
//
// Exact: --notrack and NOTRACK become "notrack"; --zone/--zone-orig/
// --zone-reply N become "ct zone set N" / "ct original zone set N" /
// "ct reply zone set N" (nft attaches the same conntrack template at the
// raw priority). TRACE becomes "meta nftrace set 1" (the same skb->nf_trace
// bit; the trace is then read with "nft monitor trace" instead of the
// kernel log of iptables-legacy). All are non-terminal.
// Refused, with the reason: --helper (nft's "ct helper set" only acts on a
// connection conntrack has already created, so in the raw chain, priority
// -300, it would silently do nothing; a rule in a chain after conntrack,
// priority > -200, is needed, which changes the rule's position), and for
// the same reason --ctevents; --expevents (no nft equivalent); --timeout
// (the cttimeout policy lives outside the ruleset, so its values are
// unknown); --zone mark (derived from the packet mark).

import (
	"github.com/xt2nft/xt2nft/parser"
)

func tgNOTRACK(c *ctx, t *parser.Target) error {
	c.add(&Notrack{})
	return nil
}

func tgTRACE(c *ctx, t *parser.Target) error {
	c.add(&Assign{Left: &Meta{Key: "nftrace"}, Value: &Int{V: 1}})
	return nil
}

func tgCT(c *ctx, t *parser.Target) error {
	if t.Opt("notrack") != nil {
		if len(t.Options) > 1 {
			return c.unsupported(t.Pos, "CT --notrack cannot be combined with other options")
		}
		c.add(&Notrack{})
		return nil
	}
	for _, o := range t.Options {
		switch o.Name {
		case "zone", "zone-orig", "zone-reply":
			if o.Arg(0) == "mark" {
				return c.unsupported(o.Pos, "CT --%s mark (zone taken from the packet mark) is not translated", o.Name)
			}
			n, err := tgOptUint(c, o, 0xffff, "zone")
			if err != nil {
				return err
			}
			dir := map[string]string{"zone": "", "zone-orig": "original", "zone-reply": "reply"}[o.Name]
			c.add(&Assign{Left: &CT{Key: "zone", Dir: dir}, Value: &Int{V: n}})
		case "helper":
			return c.unsupported(o.Pos, "CT --helper: nft's \"ct helper set\" only works in a chain after conntrack (priority above -200), while this rule runs in the raw table before conntrack, where it would silently do nothing; declare a ct helper object and assign it in a filter chain instead")
		case "ctevents":
			return c.unsupported(o.Pos, "CT --ctevents: nft's \"ct event set\" only works after conntrack (priority above -200), not in the raw table")
		case "expevents":
			return c.unsupported(o.Pos, "CT --expevents has no nft equivalent")
		case "timeout":
			return c.unsupported(o.Pos, "CT --timeout %q: the timeout policy is defined outside the ruleset (nfct), so its values are unknown; declare an nft \"ct timeout\" object and use \"ct timeout set\"", o.Arg(0))
		}
	}
	return nil
}
