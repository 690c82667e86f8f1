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
// --helper: nft's "ct helper set" only acts on a connection conntrack has
// just created (unconfirmed), so in the raw chain, priority -300, it does
// nothing. The raw table is therefore replicated right after conntrack
// (priority -199, helpers.go) with its matches and verdicts, and the helper
// is assigned there: CT never ends evaluation, and its template only ever
// applied to new connections, which is also when "ct helper set" acts.
// Refused, with the reason: --ctevents (same position problem); --expevents (no nft equivalent); --timeout
// (the cttimeout policy lives outside the ruleset, so its values are
// unknown); --zone mark (derived from the packet mark).

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func tgNOTRACK(c *ctx, t *parser.Target) error {
	c.noteNotrack()
	c.add(&Notrack{})
	return nil
}

func tgTRACE(c *ctx, t *parser.Target) error {
	c.add(&Assign{Left: &Meta{Key: desc.MetaNftrace}, Value: &Int{V: 1}})
	return nil
}

func tgCT(c *ctx, t *parser.Target) error {
	if t.Opt("notrack") != nil {
		if len(t.Options) > 1 {
			return c.unsupported(t.Pos, "CT --notrack cannot be combined with other options")
		}
		c.noteNotrack()
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
			dir := map[string]desc.Direction{"zone": desc.CTAnyDir, "zone-orig": desc.CTOriginal, "zone-reply": desc.CTReply}[o.Name]
			c.add(&Assign{Left: &CT{Key: desc.CTZone, Dir: dir}, Value: &Int{V: n}})
		case "helper":
			if err := c.ctHelper(t, o); err != nil {
				return err
			}
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

// ctHelper assigns a conntrack helper. "ct helper set" acts only after
// conntrack, so the rule stays where it is (for its position and counters)
// and the raw table is replicated after conntrack (helpers.go), where the
// copy of this rule does the assignment.
func (c *ctx) ctHelper(t *parser.Target, o *parser.Option) error {
	if len(t.Options) > 1 {
		return c.unsupported(t.Pos, "CT --helper together with other CT options is not translated (the helper must be assigned after conntrack, the other options before)")
	}
	if c.table != "raw" {
		return c.unsupported(o.Pos, "CT is only valid in the raw table")
	}
	if c.proto != "tcp" && c.proto != "udp" || c.protoNeg {
		return c.unsupported(o.Pos, "CT --helper needs -p tcp or -p udp (an nft ct helper object has a protocol)")
	}
	tbl := c.tr.nftTable(c.fam, c.table)
	name := safeIdent("cthelper_" + o.Arg(0) + "_" + c.proto)
	have := false
	for _, ob := range tbl.Objects {
		have = have || ob.Kind == "ct helper" && ob.Name == name
	}
	if !have {
		tbl.Objects = append(tbl.Objects, &Object{Kind: "ct helper", Name: name, Origin: o.Pos, Fields: []ObjField{
			{Key: "type", Value: &Str{V: o.Arg(0)}},
			{Key: "protocol", Value: &Sym{Name: c.proto}},
		}})
	}
	c.tr.needHelpers(c.fam, c.table)
	c.add(&ObjRef{Kind: "ct helper", Name: name})
	c.note(o.Pos, "CT --helper %q: assigned by the copy of the raw table that runs after conntrack (priority -199), where nft can assign helpers", o.Arg(0))
	return nil
}
