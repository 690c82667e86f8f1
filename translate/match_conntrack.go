package translate

// -m conntrack: iptables-extensions(8) "conntrack" (xt_conntrack); nft ct
// expressions. The virtual states SNAT and DNAT are the ct status bits
// snat and dnat.
//
// Kernel semantics kept (net/netfilter/xt_conntrack.c):
//   - --ctstate tests "any of the listed states", like nft's ct state
//     flags; "! --ctstate" becomes "ct state ! a,b" (none of them).
//   - --ctstate NEW,DNAT means "state NEW or DNAT'ed". One nft rule cannot
//     OR ct state with ct status, so a list mixing SNAT/DNAT with real states
//     is reported (upstream 1.8.9 silently drops the real states, or the
//     DNAT, depending on the list). Negated, it is an AND of two tests and
//     is translated.
//   - --ctexpire compares whole seconds (remaining jiffies / HZ), so
//     "--ctexpire 3" is 3000-3999 ms of nft's ct expiration; upstream's
//     "ct expiration 3" compares milliseconds exactly (3000) and almost
//     never matches. It is written as two compares with whole seconds,
//     "ct expiration >= 3s ct expiration < 4s": nft 1.0.6 prints the ends
//     of a time range (and of set intervals) in whole seconds, so the range
//     "3s-3999ms" lists as "3s-3s" and, loaded again from the listing,
//     matches nothing (see expireMatch).
//   - --ctstatus NONE (no status bit) never matches; "! --ctstatus NONE"
//     matches every tracked packet.
//
//   - A list that mixes SNAT/DNAT with real states is an OR of a ct state
//     and a ct status test: "--ctstate NEW,DNAT" is "ct state new" or
//     "ct state != new, ct status dnat". And "! --ctstate DNAT" matches
//     packets without a conntrack entry (INVALID, UNTRACKED: no DNAT bit)
//     where nft's ct status, which has nothing to read, never matches: it
//     is "ct state invalid,untracked" or "ct status & dnat == 0". Each OR
//     becomes one nft rule per alternative (ctx.alternatives); they exclude
//     each other, so at most one rule goes past them for a packet. With a
//     limit or quota before the match (evaluated once per rule) the
//     positive list is refused and the negated one translated in one rule
//     with a warning.
//
// Approximate: a packet without a conntrack entry (INVALID, UNTRACKED) that
// passes --ctstate skips every other conntrack test of the match in the
// kernel, while nft's ct expressions do not match such packets.

import (
	"net/netip"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// ctStateBits are the real conntrack states in xt_conntrack's bit order.
var ctStateBits = []string{"invalid", "established", "related", "new", "untracked"}

// ctStateOpt translates --state/--ctstate. It returns whether the option
// can let a packet without conntrack entry through (for the caller's
// approximation warning).
// With others (the match tests more than the state) an alternative for
// packets without a conntrack entry would need those tests left out, so
// the negated status keeps its one-rule form and its warning.
func ctStateOpt(c *ctx, o *parser.Option, others bool) (noCT bool, err error) {
	if o == nil {
		return false, nil
	}
	seen := map[string]bool{}
	for _, s := range strings.Split(strings.ToLower(o.Arg(0)), ",") {
		switch s {
		case "invalid", "established", "related", "new", "untracked", "snat", "dnat":
			seen[s] = true
		default:
			return false, c.badValue(o, "state")
		}
	}
	var states, status []string
	for _, s := range ctStateBits {
		if seen[s] {
			states = append(states, s)
		}
	}
	for _, s := range []string{"snat", "dnat"} {
		if seen[s] {
			status = append(status, s)
		}
	}
	op := OpEq
	if o.Negated {
		op = OpNot
	}
	ctMatch := func(key *desc.CTKey, op Op, names []string) Stmt {
		return &Match{Left: &CT{Key: key}, Op: op, Right: &Flags{Names: names}}
	}
	// noEntry are the states of packets without a conntrack entry that
	// "! --ctstate" lets through.
	var noEntry []string
	for _, s := range []string{"invalid", "untracked"} {
		if !seen[s] {
			noEntry = append(noEntry, s)
		}
	}
	switch {
	case len(states) > 0 && len(status) > 0 && !o.Negated:
		if c.statefulAround(c.stmts) {
			return false, c.unsupported(o.Pos, "--ctstate %s means \"state is one of %s OR the connection is %s\": one nft rule per alternative, and the limit or quota before it would count twice; split it into two rules (one with the states, one with %s)",
				o.Arg(0), strings.Join(states, ","), strings.Join(status, ","), strings.ToUpper(strings.Join(status, ",")))
		}
		c.alternatives(o.Pos, []Stmt{ctMatch(desc.CTState, OpEq, states)},
			[]Stmt{ctMatch(desc.CTState, OpNot, states), ctMatch(desc.CTStatus, OpEq, status)})
	case len(status) > 0 && o.Negated && len(noEntry) > 0 && !others && !c.statefulAround(c.stmts):
		tracked := []Stmt{ctMatch(desc.CTStatus, OpNot, status)}
		if len(states) > 0 {
			tracked = append([]Stmt{ctMatch(desc.CTState, OpNot, states)}, tracked...)
		}
		c.alternatives(o.Pos, []Stmt{ctMatch(desc.CTState, OpEq, noEntry)}, tracked)
	default:
		if len(states) > 0 {
			c.match(&CT{Key: desc.CTState}, op, &Flags{Names: states})
		}
		if len(status) > 0 {
			c.match(&CT{Key: desc.CTStatus}, op, &Flags{Names: status})
			if o.Negated && len(noEntry) > 0 {
				c.approx(o.Pos, "\"! --ctstate %s\" also matches packets without a conntrack entry in iptables; nft's ct status never matches them", o.Arg(0))
			}
		}
	}
	if o.Negated {
		noCT = !(seen["invalid"] && seen["untracked"])
	} else {
		noCT = seen["invalid"] || seen["untracked"]
	}
	return noCT, nil
}

func matchConntrack(c *ctx, m *parser.Match) error {
	others := false
	for _, o := range m.Options {
		if o.Name != "ctstate" {
			others = true
		}
	}
	// upstream's order: direction, protocol, state, status, expire,
	// addresses, ports
	if o := m.Opt("ctdir"); o != nil {
		d := strings.ToLower(o.Arg(0))
		if d != "original" && d != "reply" {
			return c.badValue(o, "direction (ORIGINAL or REPLY)")
		}
		c.match(&CT{Key: desc.CTDirection}, OpEq, &Sym{Name: d})
	}
	if o := m.Opt("ctproto"); o != nil {
		p, err := protoNumber(c, o)
		if err != nil {
			return err
		}
		c.match(&CT{Key: desc.CTProtocol, Dir: desc.CTOriginal}, eq(o.Negated), &Int{V: p})
	}
	if o := m.Opt("ctstate"); o != nil {
		noCT, err := ctStateOpt(c, o, others)
		if err != nil {
			return err
		}
		if noCT && others {
			c.approx(o.Pos, "iptables skips the other conntrack tests for packets without a conntrack entry (INVALID/UNTRACKED) once --ctstate matches; nft applies them, so such packets do not match")
		}
	}
	if o := m.Opt("ctstatus"); o != nil {
		seen := map[string]bool{}
		for _, s := range strings.Split(strings.ToLower(o.Arg(0)), ",") {
			switch s {
			case "expected", "seen_reply", "assured", "confirmed", "none":
				seen[s] = true
			default:
				return c.badValue(o, "status")
			}
		}
		var fl []string
		for _, s := range []string{"expected", "seen_reply", "assured", "confirmed"} {
			if seen[s] {
				fl = append(fl, strings.ReplaceAll(s, "_", "-"))
			}
		}
		if len(fl) == 0 {
			// NONE: no bit to test. Never matches; negated, matches
			// every packet with a conntrack entry.
			if !o.Negated {
				return c.unsupported(o.Pos, "--ctstatus NONE never matches (the rule would be dead)")
			}
			c.match(&CT{Key: desc.CTStatus}, OpGe, &Int{V: 0})
		} else {
			op := OpEq
			if o.Negated {
				op = OpNot
			}
			c.match(&CT{Key: desc.CTStatus}, op, &Flags{Names: fl})
		}
	}
	if o := m.Opt("ctexpire"); o != nil {
		lo, hi, isRange := strings.Cut(o.Arg(0), ":")
		l, okL := parseNum(lo, 32)
		if isRange && lo == "" {
			l, okL = 0, true
		}
		h, okH := l, true
		if isRange {
			h, okH = parseNum(hi, 32)
		}
		if !okL || !okH || h < l {
			return c.badValue(o, "expiry range")
		}
		if err := c.expireMatch(o, l, h); err != nil {
			return err
		}
	}
	for _, a := range []struct {
		opt string
		dir desc.Direction
		key *desc.CTKey
	}{
		{"ctorigsrc", desc.CTOriginal, desc.CTSaddr}, {"ctorigdst", desc.CTOriginal, desc.CTDaddr},
		{"ctreplsrc", desc.CTReply, desc.CTSaddr}, {"ctrepldst", desc.CTReply, desc.CTDaddr},
	} {
		if o := m.Opt(a.opt); o != nil {
			if err := c.ctAddr(&CT{Key: c.ctKey(a.key), Dir: a.dir}, o); err != nil {
				return err
			}
		}
	}
	for _, p := range []struct {
		opt string
		dir desc.Direction
		key *desc.CTKey
	}{
		{"ctorigsrcport", desc.CTOriginal, desc.CTProtoSrc}, {"ctorigdstport", desc.CTOriginal, desc.CTProtoDst},
		{"ctreplsrcport", desc.CTReply, desc.CTProtoSrc}, {"ctrepldstport", desc.CTReply, desc.CTProtoDst},
	} {
		if o := m.Opt(p.opt); o != nil {
			e, full, err := portExpr(c, o, o.Arg(0), "")
			if err != nil {
				return err
			}
			if full {
				// still requires a conntrack entry
				e = &Range{Lo: &Int{V: 0}, Hi: &Int{V: 65535}}
			}
			c.match(&CT{Key: p.key, Dir: p.dir}, eq(o.Negated), e)
		}
	}
	return nil
}

// maxExpireMs is the largest value of nft's ct expiration (u32 ms).
const maxExpireMs = 1<<32 - 1

// expireMatch matches remaining conntrack time of l to h whole seconds
// (xt_conntrack: nf_ct_expires / HZ in [l, h]), i.e. l*1000 <= ms <
// (h+1)*1000, with compares whose bounds are whole seconds: nft 1.0.6
// lists a range's ends truncated to seconds ("3s-3999ms" as "3s-3s"), so
// a range would not survive `nft list ruleset` and reload, while "< 4s"
// and ">= 3s" do. Negated, a range is needed (one rule cannot OR two
// compares): exact when one side is open, otherwise the whole-second range
// l s - (h+1) s, which also excludes exactly (h+1) s to the millisecond.
func (c *ctx) expireMatch(o *parser.Option, l, h uint64) error {
	ct := func() Expr { return &CT{Key: desc.CTExpiration} }
	secs := func(s uint64) Expr { return &Time{D: time.Duration(s) * time.Second} }
	hasLo := l > 0                     // ms >= l*1000 is a real bound
	hasHi := (h+1)*1000 <= maxExpireMs // ms < (h+1)*1000 is a real bound
	if l*1000 > maxExpireMs {
		// No connection has that much time left: never matches;
		// negated, matches every tracked packet.
		if !o.Negated {
			return c.unsupported(o.Pos, "--ctexpire %s never matches: nft's ct expiration counts at most %d ms (the rule would be dead)", o.Arg(0), uint64(maxExpireMs))
		}
		c.match(ct(), OpGe, secs(0))
		return nil
	}
	switch {
	case !o.Negated:
		if hasLo || !hasHi {
			c.match(ct(), OpGe, secs(l)) // ">= 0s" still needs a conntrack entry
		}
		if hasHi {
			c.match(ct(), OpLt, secs(h+1))
		}
	case !hasLo && !hasHi:
		return c.unsupported(o.Pos, "\"! --ctexpire %s\" never matches (the rule would be dead)", o.Arg(0))
	case !hasLo:
		c.match(ct(), OpGe, secs(h+1))
	case !hasHi:
		c.match(ct(), OpLt, secs(l))
	default:
		c.match(ct(), OpNe, &Range{Lo: secs(l), Hi: secs(h + 1)})
		c.approx(o.Pos, "\"! --ctexpire %s\" is written \"ct expiration != %ds-%ds\", which also refuses a connection with exactly %d.000 s left (nft 1.0.6 lists a range with milliseconds as whole seconds, so the exact range would not survive nft list ruleset)", o.Arg(0), l, h+1, h+1)
	}
	return nil
}

// ctAddr matches a conntrack tuple address (XTTYPE_HOSTMASK). A /0 prefix
// is kept: it still requires a conntrack entry.
func (c *ctx) ctAddr(left Expr, o *parser.Option) error {
	e, masked, err := c.parseAddr(o.Arg(0), o)
	if err != nil {
		return err
	}
	if masked != nil {
		m := masked.(*Match)
		m.Left = &Binop{Op: "&", Left: left, Right: m.Left.(*Binop).Right}
		m.Op = eq(o.Negated)
		c.add(m)
		return nil
	}
	if e == nil {
		p := "0.0.0.0/0"
		if c.fam == parser.IPv6 {
			p = "::/0"
		}
		e = &Addr{Prefix: mustPrefix(p)}
	}
	// nft 1.0.6 lowers "ct original daddr 10.9.0.0/24" to an exact compare
	// with 10.9.0.0 (no mask: checked with nft --debug=netlink), so a
	// prefix is written as the masked compare nft lowers right.
	if a, ok := e.(*Addr); ok && a.Prefix.Bits() < a.Prefix.Addr().BitLen() {
		left = &Binop{Op: "&", Left: left, Right: c.prefixMask(a.Prefix.Bits())}
		e = &Addr{Prefix: netip.PrefixFrom(a.Prefix.Masked().Addr(), a.Prefix.Addr().BitLen())}
	}
	c.match(left, eq(o.Negated), e)
	return nil
}

// protoNumber parses a protocol name or number (XTTYPE_PROTOCOL).
func protoNumber(c *ctx, o *parser.Option) (uint64, error) {
	p := strings.ToLower(o.Arg(0))
	if n, ok := parseNum(p, 8); ok {
		return n, nil
	}
	if n, ok := ipprotoNumber(p); ok {
		return n, nil
	}
	return 0, c.badValue(o, "protocol")
}
