package translate

// Header matches: sctp, dccp and udplite ports; esp, ah and ipcomp SPIs;
// IPv6 extension headers (frag, rt, hbh, dst, mh); tcpmss; ecn; dscp; tos;
// realm. Each option maps to one nft payload or exthdr comparison and is
// exact; options nft cannot express are reported (never dropped).

import (
	"sort"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func matchSCTP(c *ctx, m *parser.Match) error {
	if o := m.Opt("chunk-types"); o != nil {
		return c.unsupported(o.Pos, "sctp --chunk-types is not translated (nft 1.0.6 sctp chunk matching differs)")
	}
	return l4Ports(c, m, "sctp")
}

func matchUDPLite(c *ctx, m *parser.Match) error { return l4Ports(c, m, "udplite") }

var dccpTypes = []string{"request", "response", "data", "ack", "dataack", "closereq", "close", "reset", "sync", "syncack"}

func matchDCCP(c *ctx, m *parser.Match) error {
	if o := m.Opt("dccp-option"); o != nil {
		return c.unsupported(o.Pos, "dccp --dccp-option has no nft equivalent")
	}
	if o := m.Opt("dccp-types"); o != nil {
		var elems []Expr
		for _, t := range strings.Split(strings.ToLower(o.Arg(0)), ",") {
			if t == "invalid" { // libxt_dccp: every type above SYNCACK
				elems = append(elems, &Range{Lo: &Int{V: 10}, Hi: &Int{V: 15}})
				continue
			}
			ok := false
			for _, k := range dccpTypes {
				ok = ok || k == t
			}
			if !ok {
				return c.badValue(o, "DCCP type")
			}
			elems = append(elems, &Sym{Name: t})
		}
		var right Expr = elems[0]
		if len(elems) > 1 {
			right = &SetLit{Elems: elems}
		}
		defer c.match(&Payload{Proto: "dccp", Field: "type"}, eq(o.Negated), right)
	}
	for _, name := range []string{"sport", "dport"} {
		if o := m.Opt(name); o != nil {
			if err := c.portMatch(o, "dccp", name); err != nil {
				return err
			}
		}
	}
	return nil
}

// numMatch compares left with a number or "a:b" range option.
func (c *ctx) numMatch(o *parser.Option, left Expr, maxV uint64) error {
	e, full, err := rangeExpr(c, o, o.Arg(0), maxV)
	if err != nil {
		return err
	}
	if full {
		if o.Negated {
			return c.unsupported(o.Pos, "\"! --%s\" with the full range never matches", o.Name)
		}
		return nil
	}
	c.match(left, eq(o.Negated), e)
	return nil
}

func spiMatch(proto, field, opt string) matchFunc {
	return func(c *ctx, m *parser.Match) error {
		for _, o := range m.Options {
			switch o.Name {
			case opt:
				if err := c.numMatch(o, &Payload{Proto: proto, Field: field}, 0xffffffff); err != nil {
					return err
				}
			case "ahlen":
				if err := c.numMatch(o, &Payload{Proto: "ah", Field: "hdrlength"}, 255); err != nil {
					return err
				}
			case "ahres":
				c.match(&Payload{Proto: "ah", Field: "reserved"}, OpEq, &Int{V: 0})
			default:
				return c.unsupported(o.Pos, "%s --%s is not translated", m.Name, o.Name)
			}
		}
		if c.fam == parser.IPv6 && proto == "ah" {
			c.approx(m.Pos, "ip6tables -m ah finds the AH header after other extension headers; nft's ah expression reads the header following the base header only when it is AH")
		}
		return nil
	}
}

func matchFrag(c *ctx, m *parser.Match) error {
	for _, o := range m.Options {
		switch o.Name {
		case "fragid":
			if err := c.numMatch(o, &Exthdr{Hdr: "frag", Field: "id"}, 0xffffffff); err != nil {
				return err
			}
		case "fragfirst":
			c.match(&Exthdr{Hdr: "frag", Field: "frag-off"}, OpEq, &Int{V: 0})
		case "fragmore":
			c.match(&Exthdr{Hdr: "frag", Field: "more-fragments"}, OpEq, &Int{V: 1})
		case "fraglast":
			c.match(&Exthdr{Hdr: "frag", Field: "more-fragments"}, OpEq, &Int{V: 0})
		case "fragres":
			// ip6t_frag: with --fragres the packet matches only when both
			// reserved fields are zero.
			c.match(&Exthdr{Hdr: "frag", Field: "reserved"}, OpEq, &Int{V: 0})
			c.match(&Exthdr{Hdr: "frag", Field: "reserved2"}, OpEq, &Int{V: 0})
		default:
			return c.unsupported(o.Pos, "frag --%s is not translated", o.Name)
		}
	}
	if len(m.Options) == 0 {
		c.match(&Exthdr{Hdr: "exthdr", Name: "frag"}, OpExists, nil)
	}
	return nil
}

func matchRT(c *ctx, m *parser.Match) error {
	// Fixed order (type, segments left, length), as ip6tables prints them.
	opts := append([]*parser.Option(nil), m.Options...)
	rank := map[string]int{"rt-type": 0, "rt-segsleft": 1, "rt-len": 2}
	sort.SliceStable(opts, func(i, j int) bool { return rank[opts[i].Name] < rank[opts[j].Name] })
	for _, o := range opts {
		var field string
		switch o.Name {
		case "rt-type":
			field = "type"
		case "rt-segsleft":
			field = "seg-left"
		case "rt-len":
			field = "hdrlength"
		default:
			return c.unsupported(o.Pos, "rt --%s has no nft equivalent", o.Name)
		}
		if err := c.numMatch(o, &Exthdr{Hdr: "rt", Field: field}, 255); err != nil {
			return err
		}
	}
	if len(m.Options) == 0 {
		c.match(&Exthdr{Hdr: "exthdr", Name: "rt"}, OpExists, nil)
	}
	return nil
}

func optHdr(hdr, lenOpt string) matchFunc {
	return func(c *ctx, m *parser.Match) error {
		for _, o := range m.Options {
			if o.Name != lenOpt {
				return c.unsupported(o.Pos, "%s --%s has no nft equivalent", m.Name, o.Name)
			}
			if err := c.numMatch(o, &Exthdr{Hdr: hdr, Field: "hdrlength"}, 255); err != nil {
				return err
			}
		}
		if len(m.Options) == 0 {
			c.match(&Exthdr{Hdr: "exthdr", Name: hdr}, OpExists, nil)
		}
		return nil
	}
}

var mhTypes = map[string]uint64{"binding-refresh-request": 0, "brr": 0, "home-test-init": 1, "hoti": 1,
	"careof-test-init": 2, "coti": 2, "home-test": 3, "hot": 3, "careof-test": 4, "cot": 4,
	"binding-update": 5, "bu": 5, "binding-acknowledgement": 6, "ba": 6, "binding-error": 7, "be": 7}

func matchMH(c *ctx, m *parser.Match) error {
	o := m.Opt("mh-type")
	if o == nil {
		return nil
	}
	s := strings.ToLower(o.Arg(0))
	for name, v := range mhTypes {
		s = strings.ReplaceAll(s, name, strconv.FormatUint(v, 10))
	}
	o2 := *o
	o2.Args = []parser.Arg{{Pos: o.Pos, Value: s}}
	return c.numMatch(&o2, &Payload{Proto: "mh", Field: "type"}, 255)
}

func matchTCPMSS(c *ctx, m *parser.Match) error {
	return c.numMatch(m.Opt("mss"), &Exthdr{Hdr: "tcp option", Name: "maxseg", Field: "size"}, 65535)
}

func matchECN(c *ctx, m *parser.Match) error {
	for _, o := range m.Options {
		switch o.Name {
		case "ecn-tcp-cwr", "ecn-tcp-ece":
			f := map[string]string{"ecn-tcp-cwr": "cwr", "ecn-tcp-ece": "ecn"}[o.Name]
			op := OpEq // "tcp flags cwr": the bit is set
			if o.Negated {
				op = OpNot // "tcp flags ! cwr": the bit is clear
			}
			c.match(&Payload{Proto: "tcp", Field: "flags"}, op, &Flags{Names: []string{f}})
		case "ecn-ip-ect":
			n, err := strconv.ParseUint(o.Arg(0), 10, 8)
			if err != nil || n > 3 {
				return c.badValue(o, "ECT value (0-3)")
			}
			c.match(&Payload{Proto: c.l3(), Field: "ecn"}, eq(o.Negated), &Int{V: n})
		}
	}
	return nil
}

func matchDSCP(c *ctx, m *parser.Match) error {
	for _, o := range m.Options {
		var v uint64
		if o.Name == "dscp-class" {
			n, ok := dscpClassValues[strings.ToLower(o.Arg(0))]
			if !ok {
				return c.badValue(o, "DSCP class")
			}
			v = n
		} else {
			n, err := strconv.ParseUint(o.Arg(0), 0, 8)
			if err != nil || n > 63 {
				return c.badValue(o, "DSCP value")
			}
			v = n
		}
		c.match(&Payload{Proto: c.l3(), Field: "dscp"}, eq(o.Negated), &Int{V: v, Hex: true})
	}
	return nil
}

var dscpClassValues = map[string]uint64{"cs0": 0, "cs1": 8, "cs2": 16, "cs3": 24, "cs4": 32, "cs5": 40, "cs6": 48, "cs7": 56,
	"be": 0, "af11": 10, "af12": 12, "af13": 14, "af21": 18, "af22": 20, "af23": 22, "af31": 26, "af32": 28, "af33": 30,
	"af41": 34, "af42": 36, "af43": 38, "ef": 46}

var tosNames = map[string]uint64{"minimize-delay": 0x10, "maximize-throughput": 0x08, "maximize-reliability": 0x04,
	"minimize-cost": 0x02, "normal-service": 0}

// -m tos --tos value[/mask]: (tos & mask) == value. The TOS byte is DSCP
// (6 bits) and ECN (2 bits); masks covering whole parts translate exactly.
func matchTOS(c *ctx, m *parser.Match) error {
	o := m.Opt("tos")
	vs, ms, hasMask := strings.Cut(o.Arg(0), "/")
	mask := uint64(0xff)
	v, ok := tosNames[strings.ToLower(vs)]
	if ok {
		mask = 0x3f // symbolic names compare the old TOS bits only
	} else {
		n, err := strconv.ParseUint(vs, 0, 8)
		if err != nil {
			return c.badValue(o, "TOS value")
		}
		v = n
	}
	if hasMask {
		n, err := strconv.ParseUint(ms, 0, 8)
		if err != nil {
			return c.badValue(o, "TOS mask")
		}
		mask = n
	}
	dscpMask, ecnMask := mask>>2, mask&3
	var parts []Stmt
	switch dscpMask {
	case 0:
	case 0x3f:
		parts = append(parts, &Match{Left: &Payload{Proto: c.l3(), Field: "dscp"}, Op: OpEq, Right: &Int{V: v >> 2, Hex: true}})
	default:
		parts = append(parts, &Match{Left: &Binop{Op: "&", Left: &Payload{Proto: c.l3(), Field: "dscp"}, Right: &Int{V: dscpMask, Hex: true}}, Op: OpEq, Right: &Int{V: (v >> 2) & dscpMask, Hex: true}})
	}
	switch ecnMask {
	case 0:
	case 3:
		parts = append(parts, &Match{Left: &Payload{Proto: c.l3(), Field: "ecn"}, Op: OpEq, Right: &Int{V: v & 3}})
	default:
		return c.unsupported(o.Pos, "--tos with a mask covering part of the ECN bits is not translated")
	}
	if o.Negated {
		if len(parts) > 1 {
			return c.unsupported(o.Pos, "\"! --tos\" over both DSCP and ECN bits is an OR of two comparisons")
		}
		for _, p := range parts {
			p.(*Match).Op = OpNe
		}
	}
	c.add(parts...)
	return nil
}

func matchRealm(c *ctx, m *parser.Match) error {
	o := m.Opt("realm")
	vs, ms, hasMask := strings.Cut(o.Arg(0), "/")
	v, err := strconv.ParseUint(vs, 0, 32)
	if err != nil {
		return c.unsupported(o.Pos, "realm %q: only numeric realms translate", o.Arg(0))
	}
	var left Expr = &Meta{Key: "rtclassid"}
	if hasMask {
		mk, err := strconv.ParseUint(ms, 0, 32)
		if err != nil {
			return c.badValue(o, "realm mask")
		}
		left = &Binop{Op: "&", Left: left, Right: &Int{V: mk, Hex: true}}
	}
	c.match(left, eq(o.Negated), &Int{V: v})
	return nil
}

func matchIPv6Header(c *ctx, m *parser.Match) error {
	return c.unsupported(m.Pos, "ipv6header has no exact nft equivalent (it requires the exact set of extension headers present)")
}
