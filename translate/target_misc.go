package translate

// Targets: LOG, NFLOG, REJECT, MARK, CONNMARK, NAT (DNAT, SNAT, MASQUERADE,
// REDIRECT, NETMAP), NOTRACK/CT, TPROXY, TCPMSS, CHECKSUM, TRACE, CLASSIFY,
// NFQUEUE, TEE, DSCP, AUDIT. Terminal targets end in a terminal nft
// statement; non-terminal ones (LOG, MARK, CONNMARK, ...) let evaluation go on.

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

var logLevels = map[string]string{"0": "emerg", "1": "alert", "2": "crit", "3": "err", "4": "", "5": "notice", "6": "info", "7": "debug",
	"emerg": "emerg", "alert": "alert", "crit": "crit", "err": "err", "error": "err", "warning": "", "warn": "", "notice": "notice", "info": "info", "debug": "debug"}

func targetLOG(c *ctx, t *parser.Target) error {
	l := &Log{}
	var tcp []string
	for _, o := range t.Options {
		switch o.Name {
		case "log-prefix":
			p := o.Arg(0)
			if strings.Contains(p, `"`) {
				p = strings.ReplaceAll(p, `"`, `'`)
				c.note(o.Pos, "double quotes in log prefix replaced by single quotes")
			}
			l.Prefix = &p
		case "log-level":
			lv, ok := logLevels[strings.ToLower(o.Arg(0))]
			if !ok {
				return c.badValue(o, "log level")
			}
			l.Level = lv
		case "log-tcp-sequence":
			tcp = append(tcp, "sequence")
		case "log-tcp-options":
			tcp = append(tcp, "options")
		case "log-ip-options":
			l.Flags = append(l.Flags, "ip options")
		case "log-uid":
			l.Flags = append(l.Flags, "skuid")
		case "log-macdecode":
			l.Flags = append(l.Flags, "ether")
		}
	}
	if len(tcp) > 0 {
		l.Flags = append([]string{"tcp " + strings.Join(tcp, ",")}, l.Flags...)
	}
	c.add(l)
	return nil
}

func targetNFLOG(c *ctx, t *parser.Target) error {
	var g uint16
	l := &Log{Group: &g}
	for _, o := range t.Options {
		n, _ := strconv.ParseUint(o.Arg(0), 10, 32)
		switch o.Name {
		case "nflog-group":
			g = uint16(n)
		case "nflog-prefix":
			p := strings.ReplaceAll(o.Arg(0), `"`, `'`)
			l.Prefix = &p
		case "nflog-range", "nflog-size":
			s := uint32(n)
			l.Snaplen = &s
		case "nflog-threshold":
			q := uint16(n)
			l.QThreshold = &q
		}
	}
	c.add(l)
	return nil
}

var reject4 = map[string][2]string{
	"icmp-net-unreachable": {"icmp", "net-unreachable"}, "net-unreach": {"icmp", "net-unreachable"},
	"icmp-host-unreachable": {"icmp", "host-unreachable"}, "host-unreach": {"icmp", "host-unreachable"},
	"icmp-port-unreachable": {"", ""}, "port-unreach": {"", ""},
	"icmp-proto-unreachable": {"icmp", "prot-unreachable"}, "proto-unreach": {"icmp", "prot-unreachable"},
	"icmp-net-prohibited": {"icmp", "net-prohibited"}, "net-prohib": {"icmp", "net-prohibited"},
	"icmp-host-prohibited": {"icmp", "host-prohibited"}, "host-prohib": {"icmp", "host-prohibited"},
	"icmp-admin-prohibited": {"icmp", "admin-prohibited"}, "admin-prohib": {"icmp", "admin-prohibited"},
	"tcp-reset": {"tcp reset", ""}, "tcp-rst": {"tcp reset", ""},
}

var reject6 = map[string][2]string{
	"icmp6-no-route": {"icmpv6", "no-route"}, "no-route": {"icmpv6", "no-route"},
	"icmp6-adm-prohibited": {"icmpv6", "admin-prohibited"}, "adm-prohibited": {"icmpv6", "admin-prohibited"},
	"icmp6-addr-unreachable": {"icmpv6", "addr-unreachable"}, "addr-unreach": {"icmpv6", "addr-unreachable"},
	"icmp6-port-unreachable": {"", ""}, "port-unreach": {"", ""},
	"icmp6-policy-fail": {"icmpv6", "policy-fail"}, "policy-fail": {"icmpv6", "policy-fail"},
	"icmp6-reject-route": {"icmpv6", "reject-route"}, "reject-route": {"icmpv6", "reject-route"},
	"tcp-reset": {"tcp reset", ""},
}

func targetREJECT(c *ctx, t *parser.Target) error {
	r := &Reject{}
	if o := t.Opt("reject-with"); o != nil {
		tbl := reject4
		if c.fam == parser.IPv6 {
			tbl = reject6
		}
		v, ok := tbl[strings.ToLower(o.Arg(0))]
		if !ok {
			return c.badValue(o, "reject type")
		}
		r.Type, r.Code = v[0], v[1]
		if r.Type == "tcp reset" && c.proto != "tcp" {
			return c.unsupported(o.Pos, "--reject-with tcp-reset needs -p tcp (iptables refuses it too)")
		}
	}
	c.add(r)
	return nil
}

func hex(v uint64) *Int { return &Int{V: v, Hex: true} }

// xmark builds "left set (left & ~mask) ^ value", the kernel's MARK/CONNMARK
// --set-xmark formula, simplified where the mask allows.
func xmark(left Expr, value, mask uint64) Stmt {
	switch {
	case mask == 0xffffffff:
		return &Assign{Left: left, Value: hex(value)}
	case mask == 0:
		return &Assign{Left: left, Value: &Binop{Op: "^", Left: left, Right: hex(value)}}
	case value == 0:
		return &Assign{Left: left, Value: &Binop{Op: "&", Left: left, Right: hex(^mask & 0xffffffff)}}
	}
	return &Assign{Left: left, Value: &Binop{Op: "^", Left: &Binop{Op: "&", Left: left, Right: hex(^mask & 0xffffffff)}, Right: hex(value)}}
}

// markTarget handles the mark-setting options shared by MARK and CONNMARK.
func markTarget(c *ctx, o *parser.Option, left Expr) (bool, error) {
	switch o.Name {
	case "set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark":
	default:
		return false, nil
	}
	v, m, masked, err := markValue(c, o)
	if err != nil {
		return true, err
	}
	if !masked {
		m = 0xffffffff
	}
	switch o.Name {
	case "set-xmark":
		c.add(xmark(left, v, m))
	case "set-mark": // (mark & ~mask) | value == xmark(value, mask|value)
		c.add(xmark(left, v, m|v))
	case "and-mark":
		c.add(xmark(left, 0, ^v&0xffffffff))
	case "or-mark":
		c.add(xmark(left, v, v))
	case "xor-mark":
		c.add(xmark(left, v, 0))
	}
	return true, nil
}

func targetMARK(c *ctx, t *parser.Target) error {
	if len(t.Options) != 1 {
		return c.unsupported(t.Pos, "MARK needs exactly one of --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark")
	}
	_, err := markTarget(c, t.Options[0], &Meta{Key: "mark"})
	return err
}

// CONNMARK --save-mark / --restore-mark with masks: the kernel computes
//
//	restore: mark   = (mark & ~nfmask) ^ (ctmark & ctmask)
//	save:    ctmark = (ctmark & ~ctmask) ^ (mark & nfmask)
//
// nft 1.0.6 cannot combine two loads in one expression, so a masked form
// becomes a sub-chain: clear the destination bits, then flip each bit of the
// mask that is set in the source (one rule per bit). Exact.
func targetCONNMARK(c *ctx, t *parser.Target) error {
	nfmask, ctmask := uint64(0xffffffff), uint64(0xffffffff)
	for _, o := range t.Options {
		switch o.Name {
		case "nfmask", "ctmask", "mask":
			v, err := strconv.ParseUint(o.Arg(0), 0, 32)
			if err != nil {
				return c.badValue(o, "mask")
			}
			if o.Name != "ctmask" {
				nfmask = v
			}
			if o.Name != "nfmask" {
				ctmask = v
			}
		case "left-shift-mark", "right-shift-mark":
			return c.unsupported(o.Pos, "CONNMARK --%s is not translated", o.Name)
		}
	}
	for _, o := range t.Options {
		if ok, err := markTarget(c, o, &CT{Key: "mark"}); ok || err != nil {
			return err
		}
		var dst, src Expr
		var dmask, smask uint64
		switch o.Name {
		case "save-mark":
			dst, src, dmask, smask = &CT{Key: "mark"}, &Meta{Key: "mark"}, ctmask, nfmask
		case "restore-mark":
			dst, src, dmask, smask = &Meta{Key: "mark"}, &CT{Key: "mark"}, nfmask, ctmask
		default:
			continue
		}
		switch {
		case dmask == 0xffffffff && smask == 0xffffffff:
			c.add(&Assign{Left: dst, Value: src})
		case dmask == 0xffffffff:
			c.add(&Assign{Left: dst, Value: &Binop{Op: "&", Left: src, Right: hex(smask)}})
		default:
			name := fmt.Sprintf("connmark_%s_%x_%x", strings.TrimSuffix(o.Name, "-mark"), dmask, smask)
			c.bitChain(name, dst, src, dmask, smask)
			c.add(&Verdict{Kind: VerdictJump, Chain: name})
		}
		return nil
	}
	return c.unsupported(t.Pos, "CONNMARK needs an action option")
}

func (c *ctx) bitChain(name string, dst, src Expr, dmask, smask uint64) {
	tbl := c.tr.nftTable(c.fam, c.table)
	for _, ch := range tbl.Chains {
		if ch.Name == name {
			return
		}
	}
	ch := &Chain{Name: name, Comment: fmt.Sprintf("CONNMARK: dst = (dst & ~0x%x) ^ (src & 0x%x)", dmask, smask)}
	ch.Rules = append(ch.Rules, &Rule{Origin: c.rule.Pos, Stmts: []Stmt{xmark(dst, 0, dmask)}})
	for b := 0; b < 32; b++ {
		bit := uint64(1) << b
		if smask&bit == 0 {
			continue
		}
		ch.Rules = append(ch.Rules, &Rule{Origin: c.rule.Pos, Stmts: []Stmt{
			&Match{Left: &Binop{Op: "&", Left: src, Right: hex(bit)}, Op: OpNe, Right: &Int{V: 0}},
			xmark(dst, bit, 0)}})
	}
	_ = bits.OnesCount64
	tbl.Chains = append(tbl.Chains, ch)
}

// natAddr parses "a[-b][:p[-q]]" (IPv6 in brackets when a port follows).
func natAddr(c *ctx, o *parser.Option, s string) (addr, port Expr, err error) {
	hostPart, portPart := s, ""
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]")
		if i < 0 {
			return nil, nil, c.badValue(o, "address")
		}
		hostPart, portPart = s[1:i], strings.TrimPrefix(s[i+1:], ":")
	} else if c.fam == parser.IPv4 {
		hostPart, portPart, _ = strings.Cut(s, ":")
	}
	if hostPart != "" {
		lo, hi, isRange := strings.Cut(hostPart, "-")
		a, err1 := netip.ParseAddr(lo)
		if err1 != nil || a.Is6() != (c.fam == parser.IPv6) {
			return nil, nil, c.badValue(o, "address")
		}
		addr = AddrExpr(a, a.BitLen())
		if isRange {
			b, err := netip.ParseAddr(hi)
			if err != nil {
				return nil, nil, c.badValue(o, "address")
			}
			if b != a {
				addr = &Range{Lo: addr, Hi: AddrExpr(b, b.BitLen())}
			}
		}
	}
	if portPart != "" {
		port, _, err = rangeExpr(c, o, strings.ReplaceAll(portPart, "-", ":"), 65535)
		if err != nil {
			return nil, nil, err
		}
	}
	return addr, port, nil
}

func natFlags(t *parser.Target) []string {
	var f []string
	for _, o := range t.Options {
		switch o.Name {
		case "random", "persistent":
			f = append(f, o.Name)
		case "random-fully":
			f = append(f, "fully-random")
		}
	}
	return f
}

// needProto makes sure a port mapping has the protocol match nft requires.
func (c *ctx) needProto(t *parser.Target) error {
	if c.proto == "" || c.protoNeg {
		return c.unsupported(t.Pos, "a port in %s needs -p tcp, udp, sctp or dccp", t.Name)
	}
	if !c.protoImplied() {
		c.protoDone = false // ctx emits "ip protocol P" / "meta l4proto P"
	}
	return nil
}

func targetNAT(kind NATKind, opt string) targetFunc {
	return func(c *ctx, t *parser.Target) error {
		n := &NAT{Kind: kind, Flags: natFlags(t)}
		if o := t.Opt(opt); o != nil {
			a, p, err := natAddr(c, o, o.Arg(0))
			if err != nil {
				return err
			}
			n.Addr, n.Port = a, p
			if p != nil {
				if err := c.needProto(t); err != nil {
					return err
				}
			}
		} else if kind == SNAT || kind == DNAT {
			return c.unsupported(t.Pos, "%s needs --%s", t.Name, opt)
		}
		c.add(n)
		return nil
	}
}

func targetPorts(kind NATKind) targetFunc {
	return func(c *ctx, t *parser.Target) error {
		n := &NAT{Kind: kind, Flags: natFlags(t)}
		if o := t.Opt("to-ports"); o != nil {
			p, _, err := rangeExpr(c, o, strings.ReplaceAll(o.Arg(0), "-", ":"), 65535)
			if err != nil {
				return err
			}
			if err := c.needProto(t); err != nil {
				return err
			}
			n.Port = p
		}
		c.add(n)
		return nil
	}
}

// NETMAP: prefix-to-prefix NAT keeping the host bits (nft "prefix to").
func targetNETMAP(c *ctx, t *parser.Target) error {
	o := t.Opt("to")
	p, err := netip.ParsePrefix(o.Arg(0))
	if err != nil {
		a, err2 := netip.ParseAddr(o.Arg(0))
		if err2 != nil {
			return c.badValue(o, "prefix")
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	kind, field, base := DNAT, "daddr", "destination"
	if c.hook == HookPostrouting || c.hook == HookInput {
		kind, field, base = SNAT, "saddr", "source"
	}
	from := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if c.fam == parser.IPv6 {
		from = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	if b := c.rule.BaseOpt(base); b != nil && !b.Negated {
		if q, err := netip.ParsePrefix(b.Arg(0)); err == nil {
			from = q.Masked()
		}
	}
	c.add(&NAT{Kind: kind, Family: c.nfam, Prefix: true,
		Addr: &Named{Words: []string{c.l3(), field, "map", "{", from.String(), ":", p.String(), "}"}}})
	return nil
}

func targetNOTRACK(c *ctx, t *parser.Target) error { c.add(&Notrack{}); return nil }

func targetCT(c *ctx, t *parser.Target) error {
	for _, o := range t.Options {
		switch o.Name {
		case "notrack":
			c.add(&Notrack{})
		case "zone", "zone-orig", "zone-reply":
			n, err := strconv.ParseUint(o.Arg(0), 10, 16)
			if err != nil {
				return c.unsupported(o.Pos, "CT --%s %q: only numeric zones translate", o.Name, o.Arg(0))
			}
			dir := map[string]string{"zone": "", "zone-orig": "original", "zone-reply": "reply"}[o.Name]
			c.add(&Assign{Left: &CT{Key: "zone", Dir: dir}, Value: &Int{V: n}})
		case "helper":
			proto := c.proto
			if proto != "tcp" && proto != "udp" {
				return c.unsupported(o.Pos, "CT --helper needs -p tcp or -p udp (nft ct helper objects have a protocol)")
			}
			name := safeIdent("helper-" + o.Arg(0) + "-" + proto)
			tbl := c.tr.nftTable(c.fam, c.table)
			found := false
			for _, ob := range tbl.Objects {
				found = found || ob.Name == name
			}
			if !found {
				tbl.Objects = append(tbl.Objects, &Object{Kind: "ct helper", Name: name, Origin: o.Pos, Fields: []ObjField{
					{Key: "type", Value: &Named{Words: []string{strconv.Quote(o.Arg(0)), "protocol", proto}}}}})
			}
			c.add(&ObjRef{Kind: "ct helper", Name: name})
		default:
			return c.unsupported(o.Pos, "CT --%s is not translated", o.Name)
		}
	}
	return nil
}

func targetTPROXY(c *ctx, t *parser.Target) error {
	if c.proto != "tcp" && c.proto != "udp" {
		return c.unsupported(t.Pos, "TPROXY needs -p tcp or -p udp")
	}
	tp := &Tproxy{}
	if o := t.Opt("on-ip"); o != nil {
		a, err := netip.ParseAddr(o.Arg(0))
		if err != nil {
			return c.badValue(o, "address")
		}
		tp.Addr = AddrExpr(a, a.BitLen())
	}
	if o := t.Opt("on-port"); o != nil {
		n, err := strconv.ParseUint(o.Arg(0), 10, 16)
		if err != nil {
			return c.badValue(o, "port")
		}
		tp.Port = &Int{V: n}
	}
	c.needProto(t)
	c.add(tp)
	if o := t.Opt("tproxy-mark"); o != nil {
		v, m, masked, err := markValue(c, o)
		if err != nil {
			return err
		}
		if !masked {
			m = 0xffffffff
		}
		c.add(xmark(&Meta{Key: "mark"}, v, m))
	}
	c.add(&Verdict{Kind: VerdictAccept})
	c.approx(t.Pos, "TPROXY: when no socket is found xt TPROXY drops the packet; the nft rule does not match and evaluation continues")
	return nil
}

func targetTCPMSS(c *ctx, t *parser.Target) error {
	left := &Exthdr{Hdr: "tcp option", Name: "maxseg", Field: "size"}
	if o := t.Opt("set-mss"); o != nil {
		n, err := strconv.ParseUint(o.Arg(0), 10, 16)
		if err != nil {
			return c.badValue(o, "MSS")
		}
		c.add(&Assign{Left: left, Value: &Int{V: n}})
		return nil
	}
	c.add(&Assign{Left: left, Value: &Named{Words: []string{"rt", "mtu"}}})
	return nil
}

func targetCHECKSUM(c *ctx, t *parser.Target) error {
	c.approx(t.Pos, "CHECKSUM --checksum-fill has no nft equivalent: it filled in checksums of locally generated packets left for offload (old DHCP clients); the rule is kept without it")
	return nil
}

func targetTRACE(c *ctx, t *parser.Target) error {
	c.add(&Assign{Left: &Meta{Key: "nftrace"}, Value: &Int{V: 1}})
	return nil
}

func targetCLASSIFY(c *ctx, t *parser.Target) error {
	o := t.Opt("set-class")
	c.add(&Assign{Left: &Meta{Key: "priority"}, Value: &Named{Words: []string{o.Arg(0)}}})
	return nil
}

func targetNFQUEUE(c *ctx, t *parser.Target) error {
	q := &Queue{}
	for _, o := range t.Options {
		switch o.Name {
		case "queue-num":
			n, _ := strconv.ParseUint(o.Arg(0), 10, 16)
			q.Num = &Int{V: n}
		case "queue-balance":
			e, _, err := rangeExpr(c, o, o.Arg(0), 65535)
			if err != nil {
				return err
			}
			q.Num = e
		case "queue-bypass":
			q.Flags = append(q.Flags, "bypass")
		case "queue-cpu-fanout":
			q.Flags = append(q.Flags, "fanout")
		}
	}
	if q.Num == nil && len(q.Flags) > 0 {
		q.Num = &Int{V: 0}
	}
	c.add(q)
	return nil
}

func targetTEE(c *ctx, t *parser.Target) error {
	o := t.Opt("gateway")
	a, err := netip.ParseAddr(o.Arg(0))
	if err != nil {
		return c.badValue(o, "gateway")
	}
	d := &Dup{Addr: AddrExpr(a, a.BitLen())}
	if oi := t.Opt("oif"); oi != nil {
		d.Dev = &Str{V: oi.Arg(0)}
	}
	c.add(d)
	return nil
}

var dscpClasses = map[string]uint64{"cs0": 0, "cs1": 8, "cs2": 16, "cs3": 24, "cs4": 32, "cs5": 40, "cs6": 48, "cs7": 56,
	"be": 0, "af11": 10, "af12": 12, "af13": 14, "af21": 18, "af22": 20, "af23": 22, "af31": 26, "af32": 28, "af33": 30,
	"af41": 34, "af42": 36, "af43": 38, "ef": 46}

func targetDSCP(c *ctx, t *parser.Target) error {
	var v uint64
	if o := t.Opt("set-dscp"); o != nil {
		n, err := strconv.ParseUint(o.Arg(0), 0, 8)
		if err != nil || n > 63 {
			return c.badValue(o, "DSCP")
		}
		v = n
	} else if o := t.Opt("set-dscp-class"); o != nil {
		n, ok := dscpClasses[strings.ToLower(o.Arg(0))]
		if !ok {
			return c.badValue(o, "DSCP class")
		}
		v = n
	}
	c.add(&Assign{Left: &Payload{Proto: c.l3(), Field: "dscp"}, Value: &Int{V: v, Hex: true}})
	return nil
}

func targetAUDIT(c *ctx, t *parser.Target) error {
	c.add(&Log{Level: "audit"})
	return nil
}
