package translate

// -m multiport --sports/--dports/--ports (revision 1: ports and ranges, up
// to 15 entries, a range counting two). iptables-extensions(8)
// "multiport"; nft port sets.
//
// Exact:
//   --dports 80,443:445       → tcp dport { 80, 443-445 }
//   ! --dports ...            → tcp dport != { ... }
//   --ports P,...             → tcp sport . tcp dport { 0-65535 . P, P . 0-65535, ... }
//                               (either port in the list, as upstream prints it)
//   ! --ports P,...           → tcp sport != { ... } tcp dport != { ... }
//                               (upstream 1.8.9 drops the "!" here)
// The protocol comes from -p (tcp, udp, udplite, sctp or dccp), which
// iptables requires. nft adds the protocol dependency of the port fields
// itself; upstream prints "ip protocol tcp" explicitly, which nft lists the
// same way once loaded.

import (
	"sort"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

var multiportProtos = map[string]bool{"tcp": true, "udp": true, "udplite": true, "sctp": true, "dccp": true}

func matchMultiport(c *ctx, m *parser.Match) error {
	if len(m.Options) == 0 {
		return c.unsupported(m.Pos, "-m multiport needs --sports, --dports or --ports")
	}
	if len(m.Options) > 1 {
		return c.unsupported(m.Options[1].Pos, "-m multiport takes only one of --sports, --dports and --ports")
	}
	o := m.Options[0]
	proto := c.proto
	if c.protoNeg || !multiportProtos[proto] {
		if proto == "" {
			return c.unsupported(m.Pos, "-m multiport needs \"-p tcp\", \"-p udp\", \"-p udplite\", \"-p sctp\" or \"-p dccp\"")
		}
		return c.unsupported(m.Pos, "-m multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP")
	}
	elems, all, err := multiportList(c, o, proto)
	if err != nil {
		return err
	}
	h := transportHeader(proto)
	sport := &Payload{Field: h.Sport}
	dport := &Payload{Field: h.Dport}
	if all {
		// Some entry is 0:65535: every packet of the protocol matches.
		if o.Negated {
			c.neverMatch(sport, 65535)
		}
		return nil
	}
	set := func() Expr {
		if len(elems) == 1 {
			return elems[0]
		}
		return &SetLit{Elems: elems}
	}
	switch o.Name {
	case "sports":
		c.match(sport, eq(o.Negated), set())
	case "dports":
		c.match(dport, eq(o.Negated), set())
	case "ports":
		if o.Negated {
			c.match(sport, OpNe, set())
			c.match(dport, OpNe, set())
			return nil
		}
		any := &Range{Lo: &Int{V: 0}, Hi: &Int{V: 65535}}
		var pairs []Expr
		for _, e := range elems {
			pairs = append(pairs, &Concat{Exprs: []Expr{any, e}}, &Concat{Exprs: []Expr{e, any}})
		}
		c.match(&Concat{Exprs: []Expr{sport, dport}}, OpEq, &SetLit{Elems: pairs})
	default:
		return c.unsupported(o.Pos, "option --%s of match \"multiport\"", o.Name)
	}
	return nil
}

// multiportList parses "P[,P:P...]" as parse_multi_ports_v1 does. all is
// set when an entry covers every port.
func multiportList(c *ctx, o *parser.Option, proto string) (elems []Expr, all bool, err error) {
	n := 0
	for _, part := range strings.Split(o.Arg(0), ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		l, err := portNum(c, o, lo, proto)
		if err != nil {
			return nil, false, err
		}
		n++
		if !isRange {
			elems = append(elems, &Int{V: l})
		} else {
			h, err := portNum(c, o, hi, proto)
			if err != nil {
				return nil, false, err
			}
			if l >= h {
				return nil, false, c.unsupported(argPos(o), "invalid port range %q in --%s (iptables needs min < max)", part, o.Name)
			}
			n++
			if l == 0 && h == 65535 {
				all = true
			}
			elems = append(elems, &Range{Lo: &Int{V: l}, Hi: &Int{V: h}})
		}
		if n > 15 {
			return nil, false, c.unsupported(argPos(o), "too many ports in --%s (iptables allows 15, a range counting two)", o.Name)
		}
	}
	return mergePorts(elems), all, nil
}

// mergePorts merges entries that overlap (80:90,85 is 80-90), sorted by
// their start, when there are any; nft refuses overlapping intervals in a
// concatenated set. Disjoint lists keep the order they were given in.
func mergePorts(elems []Expr) []Expr {
	type span struct{ lo, hi uint64 }
	bounds := func(e Expr) span {
		if r, ok := e.(*Range); ok {
			return span{r.Lo.(*Int).V, r.Hi.(*Int).V}
		}
		v := e.(*Int).V
		return span{v, v}
	}
	spans := make([]span, len(elems))
	for i, e := range elems {
		spans[i] = bounds(e)
	}
	overlap := false
	for i := range spans {
		for j := i + 1; j < len(spans); j++ {
			if spans[i].lo <= spans[j].hi && spans[j].lo <= spans[i].hi {
				overlap = true
			}
		}
	}
	if !overlap {
		return elems
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.lo <= merged[n-1].hi {
			if s.hi > merged[n-1].hi {
				merged[n-1].hi = s.hi
			}
			continue
		}
		merged = append(merged, s)
	}
	out := make([]Expr, len(merged))
	for i, s := range merged {
		out[i] = rangeExpr(s.lo, s.hi)
	}
	return out
}
