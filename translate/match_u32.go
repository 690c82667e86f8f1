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
// short for the word fails the test in both, so only a negated test of a
// word past the shortest header differs (warned). Measured:
// golden/misc-u32 (its trace), TestPrivilegedU32ShortPacket.

import (
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
	tests := strings.Split(strings.ReplaceAll(o.Arg(0), " ", ""), "&&")
	if len(tests) > 1 && o.Negated {
		return c.unsupported(o.Pos, "! --u32 with %d tests: u32 requires all of them, and nft has no one negated test of several", len(tests))
	}
	for _, t := range tests {
		loc, vals, ok := strings.Cut(t, "=")
		if !ok {
			return c.badValue(o, "u32 test (LOCATION=VALUES)")
		}
		if strings.Contains(loc, "@") {
			return c.unsupported(o.Pos, "-m u32: nft cannot follow the @ operator (it reads the next offset from the packet, and nft's raw payload loads take fixed offsets)")
		}
		pos, mask, r, l, err := u32Location(loc)
		if err != nil {
			return c.badValue(o, "u32 location ("+err.Error()+")")
		}
		var ranges []Expr
		for _, v := range strings.Split(vals, ",") {
			a, b, err := u32Range(v)
			if err != nil {
				return c.badValue(o, "u32 value ("+err.Error()+")")
			}
			lo, hi := (a+(1<<l)-1)>>l, b>>l
			if lo > hi {
				continue // no multiple of 2^L in [a, b]
			}
			lo, hi = lo<<r, min(hi<<r|(1<<r-1), 0xffffffff)
			if lo == hi {
				ranges = append(ranges, &Int{V: lo, Hex: true})
			} else {
				ranges = append(ranges, &Range{Lo: &Int{V: lo, Hex: true}, Hi: &Int{V: hi, Hex: true}})
			}
		}
		var left Expr = &Raw{Base: desc.NetworkHeader, Offset: uint32(pos) * 8, Len: 32}
		if mask != 0xffffffff {
			left = &Binop{Op: "&", Left: left, Right: &Int{V: mask, Hex: true}}
		}
		if o.Negated && pos+4 > minHeader[c.fam == parser.IPv6] {
			c.approx(o.Pos, "! --u32: a packet too short for the word at offset %d matches in iptables (its test fails, and is negated) and not in nft (the load fails, and ends the rule)", pos)
		}
		switch {
		case len(ranges) == 0:
			if !o.Negated {
				c.neverMatch(left, 0xffffffff)
			}
			continue
		case len(ranges) == 1:
			c.match(left, eq(o.Negated), ranges[0])
		default:
			c.match(left, eq(o.Negated), &SetLit{Elems: ranges})
		}
	}
	return nil
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

// u32Number parses a number as libxt_u32 does: C strtoul with base 0
// (0x hex, a leading 0 octal, else decimal), 32 bits.
func u32Number(s string) (uint64, error) {
	if strings.ContainsAny(s, "_oObB") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 0, 32)
}
