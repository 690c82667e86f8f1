package translate

// -m ipv6header --header LIST [--soft] (IPv6). ip6tables'
// libip6t_ipv6header; the kernel's ip6t_ipv6header.c; nft(8) "exthdr NAME
// exists|missing" and "meta l4proto".
//
// The kernel walks the header chain and collects a flag per header it
// meets: hop-by-hop, destination options, routing, fragment and AH, then
// one flag for how the chain ends: ESP, "no next header" (59), or any
// other protocol ("prot"). A well-formed packet has exactly one end. The
// four extension headers are "exthdr NAME exists" (ipv6_find_hdr walks the
// whole chain, AH included); the rest is meta l4proto, where nft's
// ipv6_find_hdr stops at the first AH (IP6_FH_F_AUTH: l4proto ah), at ESP
// (not an extension header to it), at 59 and at the first upper-layer
// protocol. So nft sees AH anywhere, and an end only where no AH comes
// before it: a packet with AH is let through whatever its chain ends in,
// where the end would let some packet with AH through, and a test that the
// end decides for such a packet is warned.
//
// With --soft the packet must have every listed header ("! --header":
// every listed header missing). Without it (the default), the set of
// headers must be exactly the list: every header not listed missing and
// the end the listed one, so that a list without esp, none or prot (or
// with two of them) matches only a malformed packet (a header running past
// the packet's end): translated as matching none, and warned. Refused:
// "! --header" without --soft (every set of headers but one: an "or" of
// tests that one rule cannot write).

import (
	"slices"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// The ends of a header chain.
const (
	endESP = 1 << iota
	endNone
	endProto
)

// ipv6Header is what a --header word names: an extension header nft tests
// with exthdr (ext), an end of the chain (end), or AH (neither).
type ipv6Header struct {
	ext *desc.Proto
	end int
}

// ipv6Headers maps --header words (chain_protos names, /etc/protocols names
// and numbers) to what they name.
var ipv6Headers = map[string]ipv6Header{
	"hop-by-hop": {ext: desc.HBH}, "hop": {ext: desc.HBH}, "hopopt": {ext: desc.HBH}, "0": {ext: desc.HBH},
	"dst": {ext: desc.Dst}, "ipv6-opts": {ext: desc.Dst}, "60": {ext: desc.Dst},
	"route": {ext: desc.RT}, "ipv6-route": {ext: desc.RT}, "43": {ext: desc.RT},
	"frag": {ext: desc.Frag}, "ipv6-frag": {ext: desc.Frag}, "44": {ext: desc.Frag},
	"auth": {}, "ah": {}, "51": {},
	"esp": {end: endESP}, "50": {end: endESP},
	"none": {end: endNone}, "ipv6-nonxt": {end: endNone}, "59": {end: endNone},
	"protocol": {end: endProto}, "prot": {end: endProto}, "255": {end: endProto},
}

// ipv6Exts are the extension headers exthdr tests, in the order the hard
// mode tests them.
var ipv6Exts = []*desc.Proto{desc.HBH, desc.Dst, desc.RT, desc.Frag}

// l4Classes are what meta l4proto tells of a header chain, with the
// values nft writes: its end, or that it has an AH header (auth; its end
// unseen).
var l4Classes = []struct {
	auth bool
	end  int
	v    func() Expr
}{
	{false, endESP, func() Expr { return &Sym{Name: "esp"} }},
	{false, endNone, func() Expr { return &Int{V: 59} }},
	{true, 0, func() Expr { return &Sym{Name: "ah"} }},
	{false, endProto, nil}, // any other value
}

func matchIPv6Header(c *ctx, m *parser.Match) error {
	o := m.Opt("header")
	if o == nil {
		return c.unsupported(m.Pos, "-m ipv6header requires --header")
	}
	var exts []*desc.Proto
	auth, ends := false, 0
	for _, w := range strings.Split(o.Arg(0), ",") {
		h, ok := ipv6Headers[strings.ToLower(w)]
		if !ok {
			return c.unsupported(argPos(o), "unknown header %q in --header", w)
		}
		switch {
		case h.ext != nil:
			if !slices.Contains(exts, h.ext) {
				exts = append(exts, h.ext)
			}
		case h.end != 0:
			ends |= h.end
		default:
			auth = true
		}
	}
	soft := m.Opt("soft") != nil
	if !soft && o.Negated {
		return c.unsupported(o.Pos, "! --header without --soft matches every set of headers but the one listed, an \"or\" of tests that one nft rule cannot write")
	}
	// match is the kernel's test of the flags past the four extension
	// headers: AH and the end.
	match := func(hasAuth bool, end int) bool {
		switch {
		case !soft:
			return hasAuth == auth && end == ends
		case o.Negated:
			return !(auth && hasAuth) && end&ends == 0
		default:
			return (!auth || hasAuth) && end&ends == ends
		}
	}
	// A packet with AH is let through if some end would let it.
	ahAny := match(true, endESP) || match(true, endNone) || match(true, endProto)
	ahAll := match(true, endESP) && match(true, endNone) && match(true, endProto)
	var allowed []int // indexes into l4Classes
	for i, cl := range l4Classes {
		if cl.auth && ahAny || !cl.auth && match(false, cl.end) {
			allowed = append(allowed, i)
		}
	}
	if len(allowed) == 0 {
		c.approx(m.Pos, "no well-formed packet has this set of headers (a header chain ends in exactly one of esp, none and another protocol; ip6tables sees no end only where a header runs past the end of the packet): translated as matching none (--soft would match the packets that carry these headers)")
		c.neverMatch(&Meta{Key: desc.MetaL4proto}, 255)
		return nil
	}
	if ahAny != ahAll {
		c.approx(m.Pos, "nft sees where a header chain ends only if no AH header comes before the end (meta l4proto is ah then): a packet with AH matches whatever its chain ends in")
	}
	if soft {
		op := OpExists
		if o.Negated {
			op = OpMissing
		}
		for _, n := range exts {
			c.match(&Exthdr{Hdr: n}, op, nil)
		}
	} else {
		for _, n := range ipv6Exts {
			op := OpMissing
			if slices.Contains(exts, n) {
				op = OpExists
			}
			c.match(&Exthdr{Hdr: n}, op, nil)
		}
	}
	c.l4Classes(allowed)
	return nil
}

// l4Classes requires meta l4proto to be one of the allowed classes: a set
// of the values allowed, or, where "any other value" is, none of those
// not allowed.
func (c *ctx) l4Classes(allowed []int) {
	other := len(l4Classes) - 1
	var vals []Expr
	op := OpEq
	if slices.Contains(allowed, other) {
		op = OpNe
		for i := range other {
			if !slices.Contains(allowed, i) {
				vals = append(vals, l4Classes[i].v())
			}
		}
	} else {
		for _, i := range allowed {
			vals = append(vals, l4Classes[i].v())
		}
	}
	if len(vals) > 0 {
		c.match(&Meta{Key: desc.MetaL4proto}, op, oneOrSet(vals))
	}
}
