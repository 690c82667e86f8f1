package translate

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/ipproto"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// matchFunc translates one match extension of a rule, appending statements
// with c.add. It returns c.unsupported(...) when nft cannot express it.
type matchFunc func(c *ctx, m *parser.Match) error

// targetFunc translates a target extension, appending statements with c.add.
type targetFunc func(c *ctx, t *parser.Target) error

// matchFuncs and targetFuncs are the translators by extension name; each
// area's table lives in its own file (registry_*.go).
var (
	matchFuncs  = mergeFuncs(coreMatchFuncs, l4MatchFuncs, miscMatchFuncs)
	targetFuncs = mergeFuncs(coreTargetFuncs, moreTargetFuncs)
)

func mergeFuncs[F any](maps ...map[string]F) map[string]F {
	out := map[string]F{}
	for _, m := range maps {
		for k, v := range m {
			if _, dup := out[k]; dup {
				panic("programming error: two translators for " + k)
			}
			out[k] = v
		}
	}
	return out
}

// SupportedMatches and SupportedTargets list the extensions with a translator.
func SupportedMatches() map[string]bool { return keys(matchFuncs) }

// SupportedTargets lists the target extensions with a translator.
func SupportedTargets() map[string]bool { return keys(targetFuncs) }

func keys[F any](m map[string]F) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// ctx is the translation of one iptables rule in progress.
type ctx struct {
	tr    *translator
	fam   parser.Family
	nfam  Family
	table string // iptables table
	chain string // iptables chain
	hook  Hook   // hook of a built-in chain; "" in user chains
	rule  *parser.Rule

	stmts  []Stmt // match statements in order
	target []Stmt // target statements (after the counter)
	warns  []parser.Diagnostic
	// extra holds additional nft rules a translator needs before this one
	// (rare).
	extra []*Rule

	proto    string // -p value ("" when absent or "all")
	protoNeg bool
	// protoDone is set when the protocol match has been emitted explicitly
	// by a translator (multiport, for example).
	protoDone bool
	inTarget  bool
	comment   string // from -m comment
	recents   []*recentMatch
	hotdrops  []hotdrop // one per hashlimit with a table (match_hashlimit.go)
	alts      *alts     // a match's alternatives (alternatives)
	portKey   portKey   // how the last ipset key read a port (ipsetKey)
	portDst   bool      // and whether it was the destination port
	altErr    error
	// head and addrs are translate's buffers, kept from rule to rule.
	head, addrs []Stmt
}

// reset makes c ready for another rule, keeping its buffers (nothing the
// translation of a rule keeps refers to them).
func (c *ctx) reset() {
	*c = ctx{stmts: c.stmts[:0], target: c.target[:0], warns: c.warns[:0], extra: c.extra[:0],
		recents: c.recents[:0], hotdrops: c.hotdrops[:0], head: c.head[:0], addrs: c.addrs[:0]}
}

// alts is an OR in a rule's matches: the statements alt[i] stand at
// c.stmts[at], one nft rule per alternative.
type alts struct {
	at  int
	pos parser.Pos
	alt [][]Stmt
}

// alternatives records that the match being translated is an OR of alt,
// which nft cannot write in one rule: the rule becomes one nft rule per
// alternative, each with all of the rule's other statements. The
// alternatives must exclude each other (a packet can pass at most one), so
// that the statements after them run at most once for a packet, and the
// statements before them must have no side effects (the caller checks
// statefulAround), as they run once per rule.
func (c *ctx) alternatives(pos parser.Pos, alt ...[]Stmt) {
	if c.alts != nil {
		c.altErr = c.unsupported(pos, "a second match that nft can only write as several rules in one rule is not supported yet")
		return
	}
	c.alts = &alts{at: len(c.stmts), pos: pos, alt: alt}
}

// ruleHas reports whether the rule has a match of one of these names
// (a translator asks it of matches later in the rule).
func (c *ctx) ruleHas(names ...string) bool {
	for _, m := range c.rule.Matches {
		if slices.Contains(names, m.Name) {
			return true
		}
	}
	return false
}

// add appends a statement to the rule (to the target part while the target
// is translated).
func (c *ctx) add(s ...Stmt) {
	if c.inTarget {
		c.target = append(c.target, s...)
	} else {
		c.stmts = append(c.stmts, s...)
	}
}

// match appends "left op right".
func (c *ctx) match(left Expr, op Op, right Expr) {
	m := c.tr.matches.New()
	*m = Match{Left: left, Op: op, Right: right}
	c.add(m)
}

// eq returns OpNe when neg, else OpEq.
func eq(neg bool) Op {
	if neg {
		return OpNe
	}
	return OpEq
}

// approx records that the translation of this rule is approximate.
func (c *ctx) approx(pos parser.Pos, format string, a ...any) {
	c.warns = append(c.warns, parser.Diagnostic{Pos: pos, Severity: parser.SevWarning, Msg: fmt.Sprintf(format, a...)})
}

// note records a warning that is not an approximation (it survives --strict).
func (c *ctx) note(pos parser.Pos, format string, a ...any) {
	c.tr.warnf(pos, format, a...)
}

// unsupported returns the error for something nft cannot express.
func (c *ctx) unsupported(pos parser.Pos, format string, a ...any) error {
	return &untranslatable{pos: pos, msg: fmt.Sprintf(format, a...)}
}

// badValue returns the error for a value iptables would reject.
func (c *ctx) badValue(o *parser.Option, what string) error {
	v := ""
	if len(o.Args) > 0 {
		v = o.Args[0].Value
	}
	pos := o.Pos
	if len(o.Args) > 0 {
		pos = o.Args[0].Pos
	}
	return &untranslatable{pos: pos, msg: fmt.Sprintf("bad %s %q for --%s", what, v, o.Name)}
}

// chainName returns the nft name of a chain of this rule's table.
func (c *ctx) chainName(iptChain string) string {
	if n, ok := c.tr.names[chainKey{c.fam, c.table, iptChain}]; ok {
		return n
	}
	return safeIdent(iptChain)
}

// ctKey is a conntrack key as the rule's table needs it: an address key
// (ct original saddr) takes its family from an ip or ip6 table, and names
// it in an inet table (ct original ip saddr).
func (c *ctx) ctKey(k *desc.CTKey) *desc.CTKey {
	if !c.tr.inet() {
		return k
	}
	v6 := c.fam == parser.IPv6
	switch {
	case k == desc.CTSaddr && v6:
		return desc.CTIP6Saddr
	case k == desc.CTSaddr:
		return desc.CTIPSaddr
	case k == desc.CTDaddr && v6:
		return desc.CTIP6Daddr
	case k == desc.CTDaddr:
		return desc.CTIPDaddr
	}
	return k
}

// tableFamily is the family a statement must name in the rule's table
// (snat ip to, tproxy ip6 to): the rule's in an inet table, none in an ip
// or ip6 table, whose family it is.
func (c *ctx) tableFamily() Family {
	if c.tr.inet() {
		return c.nfam
	}
	return ""
}

// l3 is the network header of the rule's family.
func (c *ctx) l3() *desc.L3 {
	if c.fam == parser.IPv6 {
		return desc.IPv6
	}
	return desc.IPv4
}

// translate runs the whole rule, appending its nft rules to dst.
func (c *ctx) translate(dst []*Rule) ([]*Rule, error) {
	r := c.rule
	head := c.head[:0] // interfaces and fragment, before the protocol
	addrs := c.addrs[:0]
	defer func() { c.head, c.addrs = head, addrs }() // the buffers, for the next rule
	for _, o := range r.Base {
		var err error
		switch o.Name {
		case "in-interface", "out-interface":
			var s Stmt
			s, err = ifaceMatch(c.tr, o)
			if s != nil {
				head = append(head, s)
			}
		case "fragment":
			op := OpNe
			if o.Negated {
				op = OpEq
			}
			head = append(head, &Match{Left: &Binop{Op: "&", Left: &Payload{Field: desc.IPFragOff}, Right: &Int{V: 0x1fff, Hex: true}}, Op: op, Right: &Int{V: 0}})
		case "protocol":
			p := o.Arg(0)
			if p != "all" && p != "0" {
				c.proto, c.protoNeg = p, o.Negated
			}
		case "source", "destination":
			field := c.l3().Saddr
			if o.Name == "destination" {
				field = c.l3().Daddr
			}
			var s Stmt
			s, err = c.addrMatch(c.tr.payload(field), o)
			if s != nil {
				addrs = append(addrs, s)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	for _, m := range r.Matches {
		f, ok := matchFuncs[m.Name]
		if !ok {
			if why, ok := noTranslation[m.Name]; ok {
				return nil, c.unsupported(m.Pos, "-m %s: %s", m.Name, why)
			}
			return nil, c.unsupported(m.Pos, "match %q has no nft translation in xt2nft", m.Name)
		}
		if err := f(c, m); err != nil {
			return nil, err
		}
	}
	if t := r.Target; t != nil {
		c.inTarget = true
		if err := c.translateTarget(t); err != nil {
			return nil, err
		}
		c.inTarget = false
	}
	var proto Stmt
	if c.proto != "" && !c.protoDone && (c.protoNeg || !c.protoImplied(c.stmts)) {
		proto = c.protoMatch(c.protoNeg)
	}
	// The rule's own counter (Counter.Rule); the zero one is shared.
	ctr := c.tr.zeroCounter
	if c.tr.opt.Counters && r.Counters != nil && (r.Counters.Packets != 0 || r.Counters.Bytes != 0) {
		ctr = c.tr.counters.New()
		ctr.Rule = true
		ctr.Packets, ctr.Bytes = r.Counters.Packets, r.Counters.Bytes
	}
	if c.altErr != nil {
		return nil, c.altErr
	}
	if c.alts != nil && (len(c.recents) > 0 || len(c.hotdrops) > 0) {
		return nil, c.unsupported(c.alts.pos, "this match is written as one nft rule per alternative, which a rule with -m recent or -m hashlimit cannot be yet")
	}
	if len(c.recents) > 0 && len(c.hotdrops) > 0 {
		return nil, c.unsupported(c.hotdrops[0].pos, "-m hashlimit in a rule with -m recent is not supported yet (a full hashlimit table must drop the packet after the recent match's rules)")
	}
	if len(c.recents) > 0 {
		stmts := append(append([]Stmt(nil), head...), proto)
		if proto == nil {
			stmts = stmts[:len(stmts)-1]
		}
		stmts = append(append(stmts, addrs...), c.stmts...)
		rules, err := c.assembleRecent(stmts, append([]Stmt{ctr}, c.target...))
		return append(append(dst, c.extra...), rules...), err
	}
	// The statements of the rule, allocated once with their exact length
	// (a big ruleset keeps them all until it is rendered).
	n := len(head) + len(addrs) + len(c.stmts) + 1 + len(c.target)
	if proto != nil {
		n++
	}
	stmts := append(c.tr.stmts.Take(n)[:0], head...)
	if proto != nil {
		stmts = append(stmts, proto)
	}
	stmts = append(append(append(append(stmts, addrs...), c.stmts...), ctr), c.target...)
	if proto != nil && !c.protoNeg {
		keepProto(stmts, len(head), transportHeader(c.proto))
	}
	if a := c.alts; a != nil {
		// One rule per alternative: the statements before the match, the
		// alternative, the rest; the first rule keeps the carried counter.
		dst = append(dst, c.extra...)
		pre := len(stmts) - len(c.stmts) - 1 - len(c.target) + a.at // where c.stmts[a.at] stands
		for i, alt := range a.alt {
			st := append(append(append([]Stmt(nil), stmts[:pre]...), alt...), stmts[pre:]...)
			if i > 0 {
				st[len(st)-1-len(c.target)] = c.tr.zeroCounter
			}
			dst = append(dst, &Rule{Origin: r.Pos, Stmts: st, Comment: c.comment})
		}
		return dst, nil
	}
	nr := c.tr.rules.New()
	*nr = Rule{Origin: r.Pos, Stmts: stmts, Comment: c.comment}
	return append(append(append(dst, c.extra...), nr), c.hotdropRules(head, proto, addrs)...), nil
}

// protoMatch is "ip protocol P" (IPv4) or "meta l4proto P" (IPv6, where the
// upper-layer protocol follows extension headers as ip6tables -p does). In
// the inet layout IPv4 has "meta l4proto P" too, so that a rule both
// families have is one rule: for IPv4 the kernel sets meta l4proto from the
// header's protocol field (nft_set_pktinfo_ipv4, in ip and inet chains
// alike), the byte "ip protocol" reads.
func (c *ctx) protoMatch(neg bool) Stmt {
	var left Expr = &Payload{Field: desc.IPProtocol}
	if c.fam == parser.IPv6 || c.tr.inet() {
		left = &Meta{Key: desc.MetaL4proto}
	}
	return &Match{Left: left, Op: eq(neg), Right: protoValue(c.proto)}
}

// transportHeader returns the header whose fields packets of a -p protocol
// have (tcp, icmpv6, ...), or nil.
func transportHeader(p string) *desc.Proto {
	pr, ok := ipproto.ByName(p)
	if !ok {
		return nil
	}
	return desc.HeaderOf(pr.Number)
}

// protoImplied reports whether a statement of the rule already matches a
// header field of the -p protocol, which makes nft add the protocol
// dependency itself. (A NAT port mapping does not count: nft requires an
// explicit protocol match before it.)
func (c *ctx) protoImplied(stmts []Stmt) bool {
	h := transportHeader(c.proto)
	if h == nil || !h.Implied {
		return false // an extension header (mh) implies nothing to nft
	}
	for _, s := range stmts {
		if m, ok := s.(*Match); ok && usesProto(m.Left, h) {
			return true
		}
	}
	return false
}

func usesProto(e Expr, h *desc.Proto) bool {
	switch v := e.(type) {
	case *Payload:
		return v.Field.Proto == h
	case *Binop:
		return usesProto(v.Left, h)
	case *Concat:
		for _, x := range v.Exprs {
			if usesProto(x, h) {
				return true
			}
		}
	}
	return false
}

// ipprotoNumber is the number of a protocol iptables names.
func ipprotoNumber(p string) (uint64, bool) {
	pr, ok := ipproto.ByName(ipprotoName(p))
	return uint64(pr.Number), ok
}

// ipprotoName is a protocol as the protocol table names it: iptables also
// takes icmp6 and icmpv6 for ipv6-icmp.
func ipprotoName(p string) string {
	if p == "icmp6" || p == "icmpv6" {
		return "ipv6-icmp"
	}
	return p
}

// protoValue is a protocol as nft should read it: by the name when nft
// knows it without /etc/protocols, else by number.
func protoValue(p string) Expr {
	p = ipprotoName(p)
	if p == "" || p[0] < '0' || p[0] > '9' {
		// a name (a failed ParseUint allocates its error)
	} else if n, err := strconv.ParseUint(p, 10, 8); err == nil {
		return &Int{V: n}
	}
	if desc.ProtocolNames[p] {
		return &Sym{Name: p}
	}
	if n, ok := ipprotoNumber(p); ok {
		return &Int{V: n}
	}
	return &Sym{Name: p}
}

// ifaceMatch translates -i/-o: "eth+" is a wildcard, "+" matches everything.
func ifaceMatch(tr *translator, o *parser.Option) (Stmt, error) {
	key := desc.MetaIifname
	if o.Name == "out-interface" {
		key = desc.MetaOifname
	}
	v := o.Arg(0)
	if v == "+" {
		if !o.Negated {
			return nil, nil
		}
		// Never matches: no interface is called this.
		return &Match{Left: &Meta{Key: key}, Op: OpEq, Right: &Str{V: "INVAL/D"}}, nil
	}
	if len(v) > 15 {
		return nil, &untranslatable{pos: o.Args[0].Pos, msg: fmt.Sprintf("interface name %q is longer than 15 characters", v)}
	}
	if strings.Contains(v, `"`) {
		return nil, &untranslatable{pos: o.Args[0].Pos, msg: fmt.Sprintf("interface name %q contains a double quote, which nft 1.0.6 cannot write in a string (it has no escape for it)", v)}
	}
	m := tr.matches.New()
	*m = Match{Left: tr.meta(key), Op: eq(o.Negated), Right: tr.str(IfaceName(v))}
	return m, nil
}

// IfaceName turns an iptables interface name into nft's: a trailing "+" is
// the wildcard "*", a literal "*" elsewhere is escaped.
func IfaceName(v string) string {
	wild := strings.HasSuffix(v, "+")
	if wild {
		v = v[:len(v)-1]
	}
	// nft treats only a whole "\*" as an escaped star; with a wildcard the
	// final "*" is the wildcard and earlier stars are literal already.
	if !wild && v == "*" {
		v = `\*`
	}
	if wild {
		v += "*"
	}
	return v
}

// addrMatch translates -s/-d (possibly a comma-separated list).
func (c *ctx) addrMatch(left Expr, o *parser.Option) (Stmt, error) {
	var one Expr // the only address (most rules): no slice for it
	var elems []Expr
	var masked []Stmt
	for rest, more := o.Arg(0), true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",") // strings.Split, without its slice
		e, m, err := c.parseAddr(part, o)
		if err != nil {
			return nil, err
		}
		if m != nil {
			masked = append(masked, m)
			continue
		}
		if e == nil {
			if !o.Negated {
				return nil, nil // 0.0.0.0/0: matches everything
			}
			p := netip.MustParsePrefix("0.0.0.0/0")
			if c.fam == parser.IPv6 {
				p = netip.MustParsePrefix("::/0")
			}
			e = &Addr{Prefix: p}
		}
		switch {
		case one == nil && elems == nil:
			one = e
		case elems == nil:
			elems = append(elems, one, e)
		default:
			elems = append(elems, e)
		}
	}
	if len(masked) > 0 {
		if len(masked) > 1 || one != nil {
			return nil, c.unsupported(o.Pos, "a list of addresses with non-contiguous masks")
		}
		m := masked[0].(*Match)
		m.Left = &Binop{Op: "&", Left: left, Right: m.Left.(*Binop).Right}
		m.Op = eq(o.Negated)
		return m, nil
	}
	right := one
	if len(elems) > 1 {
		right = &SetLit{Elems: elems}
	}
	m := c.tr.matches.New()
	*m = Match{Left: left, Op: eq(o.Negated), Right: right}
	return m, nil
}

// parseAddr parses one address, address/len or address/dotted-mask. It
// returns nil for a match-all prefix, or a masked Match (left & mask == v)
// for non-contiguous masks.
func (c *ctx) parseAddr(s string, o *parser.Option) (Expr, Stmt, error) {
	pos := o.Pos
	if len(o.Args) > 0 {
		pos = o.Args[0].Pos
	}
	addrS, maskS, hasMask := strings.Cut(s, "/")
	if hasMask && nullMask(maskS, c.fam) {
		// A null mask: iptables ignores the name ("0/0", "any/0").
		return nil, nil, nil
	}
	a, err := netip.ParseAddr(addrS)
	if err != nil && c.fam == parser.IPv4 {
		a, err = xtIPv4(addrS)
	}
	if err != nil || a.Zone() != "" {
		return nil, nil, &untranslatable{pos: pos, msg: fmt.Sprintf("bad address %q (host names are resolved by iptables at load time; use addresses)", s)}
	}
	if (c.fam == parser.IPv6) != a.Is6() {
		return nil, nil, &untranslatable{pos: pos, msg: fmt.Sprintf("address %q is not an %s address", s, c.fam)}
	}
	bits := a.BitLen()
	if hasMask {
		if n, err := strconv.Atoi(maskS); err == nil {
			if n < 0 || n > a.BitLen() {
				return nil, nil, &untranslatable{pos: pos, msg: fmt.Sprintf("bad prefix length in %q", s)}
			}
			bits = n
		} else {
			m, err := netip.ParseAddr(maskS)
			if err != nil && c.fam == parser.IPv4 {
				if m = xtIPv4Numeric(maskS); m.IsValid() {
					err = nil
				}
			}
			if err != nil || m.BitLen() != a.BitLen() {
				return nil, nil, &untranslatable{pos: pos, msg: fmt.Sprintf("bad mask in %q", s)}
			}
			if n, ok := maskBits(m); ok {
				bits = n
			} else {
				v := maskAddr(a, m)
				return nil, &Match{Left: &Binop{Op: "&", Left: nil, Right: &Addr{Prefix: netip.PrefixFrom(m, m.BitLen())}}, Right: &Addr{Prefix: netip.PrefixFrom(v, v.BitLen())}}, nil
			}
		}
	}
	if bits == 0 {
		return nil, nil, nil
	}
	p, _ := a.Prefix(bits)
	e := c.tr.addrSlab.New()
	e.Prefix = p
	return e, nil, nil
}

// maskBits returns the prefix length of a contiguous mask.
func maskBits(m netip.Addr) (int, bool) {
	b := m.AsSlice()
	n := 0
	for i, x := range b {
		for j := 7; j >= 0; j-- {
			if x&(1<<j) == 0 {
				// the rest must be zero
				for k := j; k >= 0; k-- {
					if x&(1<<k) != 0 {
						return 0, false
					}
				}
				for _, y := range b[i+1:] {
					if y != 0 {
						return 0, false
					}
				}
				return n, true
			}
			n++
		}
	}
	return n, true
}

func maskAddr(a, m netip.Addr) netip.Addr {
	x, y := a.AsSlice(), m.AsSlice()
	for i := range x {
		x[i] &= y[i]
	}
	r, _ := netip.AddrFromSlice(x)
	return r
}

// translateTarget handles -j/-g.
func (c *ctx) translateTarget(t *parser.Target) error {
	if t.Chain {
		switch t.Name {
		case "ACCEPT":
			c.add(c.tr.verdict(VerdictAccept, ""))
		case "DROP":
			if c.table == "nat" {
				return c.unsupported(t.Pos, "-j DROP in the nat table: iptables refuses it (\"use of DROP is inhibited\")")
			}
			c.add(c.tr.verdict(VerdictDrop, ""))
		case "RETURN":
			c.add(c.tr.verdict(VerdictReturn, ""))
		case "QUEUE":
			c.add(&Queue{})
		default:
			k := VerdictJump
			if t.Goto {
				k = VerdictGoto
			}
			c.add(c.tr.verdict(k, c.chainName(t.Name)))
		}
		return nil
	}
	f, ok := targetFuncs[t.Name]
	if !ok {
		if why, ok := noTranslation[t.Name]; ok {
			return c.unsupported(t.Pos, "-j %s: %s", t.Name, why)
		}
		return c.unsupported(t.Pos, "target %q has no nft translation in xt2nft", t.Name)
	}
	return f(c, t)
}
