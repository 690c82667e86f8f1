package translate

// -m u32 --u32 TESTS: iptables-extensions(8) "u32". Each test reads the
// 32-bit big-endian word at a byte offset from the network header (no
// match when the packet is shorter), transforms it with &, << and >>, and
// checks the result against ranges; every test must hold (xt_u32.c
// u32_match_it). The @ operator moves to an offset read from the packet,
// which nft's raw payload loads cannot follow: refused.
//
// The rest is exact: a chain of &, << and >> on a 32-bit word is
// ((x & M) >> R) << L without overflow (bits a << would push out are
// masked off first), so "result in [a, b]" is "x & M in [lo << R,
// hi << R | 2^R - 1]" with lo = ceil(a / 2^L), hi = floor(b / 2^L): one
// "@nh,OFFSET,32 & M" match per test against the ranges. A packet too
// short for the word fails the test in both; a negated test of a word
// past the shortest header matches such a packet in u32 only, so it is
// two rules, the short packets' and the others' (warned where the rule
// cannot be split: a limit before it, -m recent in it). A negated test of
// several, ! (T1 && ... && Tn), is one rule per test Ti that fails while
// those before it hold, split again where Ti's word can be missing: rules
// that exclude each other (refused where the rule cannot be split).
// Measured: golden/misc-u32 (its trace), TestPrivilegedU32ShortPacket,
// TestPrivilegedU32NegatedTests.

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchU32(c *ctx, m *parser.Match) error {
	o := m.Opt("u32")
	if o == nil {
		return c.unsupported(m.Pos, "-m u32 requires --u32")
	}
	var tests []u32Test
	for _, t := range strings.Split(strings.ReplaceAll(o.Arg(0), " ", ""), "&&") {
		ut, err := c.u32Test(o, t)
		if err != nil {
			return err
		}
		tests = append(tests, ut)
	}
	if !o.Negated {
		for _, t := range tests {
			if t.ranges == nil {
				c.neverMatch(t.left, t.full)
			} else {
				c.match(t.left, OpEq, oneOrSet(t.ranges))
			}
		}
		return nil
	}
	// ! (T1 && ... && Tn) is "T1 .. Ti-1 hold and Ti does not" for one i:
	// alternatives that exclude each other, each test's negation split
	// again where its word can be missing (a packet too short for it
	// fails the test, which is negated: it matches).
	var alt [][]Stmt
	var prefix []Stmt
	split := false
	for _, t := range tests {
		if t.ranges == nil {
			// Ti never holds: the rest of the alternatives cannot be
			// reached past it, and this one holds whenever the prefix does.
			alt = append(alt, prefix)
			break
		}
		set := oneOrSet(t.ranges)
		value := &Match{Left: t.left, Op: OpNe, Right: set}
		if t.mayBeShort {
			split = true
			alt = append(alt, append(slices.Clip(prefix), &Match{Left: &Meta{Key: desc.MetaLength}, Op: OpLt, Right: &Int{V: t.pos + 4}}))
		}
		alt = append(alt, append(slices.Clip(prefix), value))
		prefix = append(slices.Clip(prefix), &Match{Left: t.left, Op: OpEq, Right: set})
	}
	if len(alt) == 1 {
		c.add(alt[0]...)
		return nil
	}
	if c.statefulAround(c.stmts) || c.alts != nil || c.ruleHas("recent", "hashlimit") {
		if len(tests) > 1 {
			return c.unsupported(o.Pos, "! --u32 with %d tests is several nft rules (one per test that can fail), which this rule cannot be split into (a limit or quota before it, -m recent or hashlimit in it, or another such match)", len(tests))
		}
		if split {
			t := tests[0]
			c.approx(o.Pos, "! --u32: a packet too short for the word at offset %d matches in iptables (its test fails, and is negated) and not in nft (the load fails, and ends the rule)", t.pos)
			c.match(t.left, OpNe, oneOrSet(t.ranges))
			return nil
		}
	}
	c.alternatives(o.Pos, alt...)
	return nil
}

// u32Test is one test of --u32: the word (or the bytes of it the mask
// covers) and the ranges its value must fall in (nil: none can).
type u32Test struct {
	left   Expr
	ranges []Expr
	full   uint64 // the largest value left can have
	pos    uint64 // the word's offset
	// mayBeShort: the word lies past the shortest header, so a packet can
	// be too short for it.
	mayBeShort bool
}

func (c *ctx) u32Test(o *parser.Option, t string) (u32Test, error) {
	loc, vals, ok := strings.Cut(t, "=")
	if !ok {
		return u32Test{}, c.badValue(o, "u32 test (LOCATION=VALUES)")
	}
	if strings.Contains(loc, "@") {
		return u32Test{}, c.unsupported(o.Pos, "-m u32: nft cannot follow the @ operator (it reads the next offset from the packet, and nft's raw payload loads take fixed offsets)")
	}
	pos, mask, r, l, err := u32Location(loc)
	if err != nil {
		return u32Test{}, c.badValue(o, "u32 location ("+err.Error()+")")
	}
	type span struct{ lo, hi uint64 }
	var spans []span
	for _, v := range strings.Split(vals, ",") {
		a, b, err := u32Range(v)
		if err != nil {
			return u32Test{}, c.badValue(o, "u32 value ("+err.Error()+")")
		}
		lo, hi := (a+(1<<l)-1)>>l, b>>l
		if lo > hi {
			continue // no multiple of 2^L in [a, b]
		}
		spans = append(spans, span{lo << r, min(hi<<r|(1<<r-1), 0xffffffff)})
	}
	// Within the shortest header the word is always there: load only
	// the bytes the mask covers, as nft writes a header field (so that
	// what nft lists, "ip hdrlength 5", loads the same bytecode again).
	within := pos+4 <= minHeader[c.fam == parser.IPv6]
	off, size, full := pos, uint64(4), uint64(0xffffffff)
	if mask != 0 && mask != full && within {
		first, last := uint64(0), uint64(3)
		for mask>>(8*(3-first))&0xff == 0 {
			first++
		}
		for mask>>(8*(3-last))&0xff == 0 {
			last--
		}
		shift := 8 * (3 - last)
		off, size = pos+first, last-first+1
		full = 1<<(8*size) - 1
		mask = mask >> shift & full
		var narrowed []span
		for _, sp := range spans {
			// x & M has no bits below the shift: its multiples there.
			if lo, hi := (sp.lo+(1<<shift)-1)>>shift, min(sp.hi>>shift, full); lo <= hi {
				narrowed = append(narrowed, span{lo, hi})
			}
		}
		spans = narrowed
	}
	ut := u32Test{full: full, pos: pos, mayBeShort: !within}
	for _, sp := range spans {
		if sp.lo == sp.hi {
			ut.ranges = append(ut.ranges, &Int{V: sp.lo, Hex: true})
		} else {
			ut.ranges = append(ut.ranges, &Range{Lo: &Int{V: sp.lo, Hex: true}, Hi: &Int{V: sp.hi, Hex: true}})
		}
	}
	ut.left = &Raw{Base: desc.NetworkHeader, Offset: uint32(off) * 8, Len: uint32(size) * 8}
	if mask != full {
		ut.left = &Binop{Op: "&", Left: ut.left, Right: &Int{V: mask, Hex: true}}
	}
	return ut, nil
}

// minHeader is the shortest packet the network layer passes to
// netfilter: a word within it is always there.
var minHeader = map[bool]uint64{false: 20, true: 40}

// u32Location reduces "NUMBER(OP NUMBER)*" (OP &, << or >>) to the byte
// offset and ((x & mask) >> r) << l, with mask clearing what a << pushes
// out.
func u32Location(s string) (pos, mask, r, l uint64, err error) {
	var ops []string
	var nums []string
	start := 0
	for i := 0; i < len(s); i++ {
		op := ""
		switch {
		case s[i] == '&':
			op = "&"
		case strings.HasPrefix(s[i:], "<<"), strings.HasPrefix(s[i:], ">>"):
			op = s[i : i+2]
		}
		if op == "" {
			continue
		}
		nums, ops = append(nums, s[start:i]), append(ops, op)
		i += len(op) - 1
		start = i + 1
	}
	nums = append(nums, s[start:])
	var ns []uint64
	for _, n := range nums {
		v, err := u32Number(n)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		ns = append(ns, v)
	}
	pos, mask = ns[0], 0xffffffff
	for i, op := range ops {
		n := ns[i+1]
		switch op {
		case "&":
			mask &= (n >> l) << r & 0xffffffff
		case ">>":
			if n <= l {
				l -= n
			} else {
				r, l = r+n-l, 0
			}
		case "<<":
			if l+n >= 32 {
				mask = 0
			} else {
				mask &= (0xffffffff >> (l + n)) << r & 0xffffffff
			}
			l += n
		}
		if r >= 32 {
			r, mask = 0, 0
		}
		if l >= 32 {
			l, mask = 0, 0
		}
	}
	return pos, mask, r, l, nil
}

// u32Range parses "N" or "N:M".
func u32Range(s string) (uint64, uint64, error) {
	a, b, isRange := strings.Cut(s, ":")
	lo, err := u32Number(a)
	if err != nil {
		return 0, 0, err
	}
	hi := lo
	if isRange {
		if hi, err = u32Number(b); err != nil {
			return 0, 0, err
		}
	}
	return lo, hi, nil
}

// u32Number parses a number as libxt_u32 does (strtoul, base 0, 32 bits).
func u32Number(s string) (uint64, error) {
	v, ok := xtUint(s, math.MaxUint32)
	if !ok {
		return 0, strconv.ErrSyntax
	}
	return v, nil
}
