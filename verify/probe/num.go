package probe

import (
	"math/bits"
	"net/netip"
)

// Num is an unsigned value of up to 128 bits: every key a rule tests (a
// port, a mark, an IPv6 address) is a Num of its key's width, so one set
// of operations finds the values at a condition's boundaries.
type Num struct{ Hi, Lo uint64 }

// N is the Num of a small integer.
func N(v uint64) Num { return Num{Lo: v} }

// AddrNum is the Num of an address (32 bits for IPv4, 128 for IPv6).
func AddrNum(a netip.Addr) Num {
	b := a.As16()
	if a.Is4() {
		return N(uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15]))
	}
	var n Num
	for i := 0; i < 8; i++ {
		n.Hi = n.Hi<<8 | uint64(b[i])
		n.Lo = n.Lo<<8 | uint64(b[8+i])
	}
	return n
}

// Addr is n as an address of the given width (32 or 128 bits).
func (n Num) Addr(width int) netip.Addr {
	if width == 32 {
		v := uint32(n.Lo)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[7-i] = byte(n.Hi >> (8 * i))
		b[15-i] = byte(n.Lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

// Ones is the Num with the low w bits set.
func Ones(w int) Num {
	switch {
	case w >= 128:
		return Num{^uint64(0), ^uint64(0)}
	case w > 64:
		return Num{1<<(w-64) - 1, ^uint64(0)}
	case w == 64:
		return Num{0, ^uint64(0)}
	}
	return Num{0, 1<<w - 1}
}

// Bit is the Num with only bit i set.
func Bit(i int) Num {
	if i >= 64 {
		return Num{Hi: 1 << (i - 64)}
	}
	return Num{Lo: 1 << i}
}

// Cmp compares n and m: -1, 0 or 1.
func (n Num) Cmp(m Num) int {
	switch {
	case n.Hi < m.Hi || n.Hi == m.Hi && n.Lo < m.Lo:
		return -1
	case n == m:
		return 0
	}
	return 1
}

// And, Or, Xor and Not are bitwise operations (Not within width w).
func (n Num) And(m Num) Num    { return Num{n.Hi & m.Hi, n.Lo & m.Lo} }
func (n Num) Or(m Num) Num     { return Num{n.Hi | m.Hi, n.Lo | m.Lo} }
func (n Num) Xor(m Num) Num    { return Num{n.Hi ^ m.Hi, n.Lo ^ m.Lo} }
func (n Num) Not(w int) Num    { return Num{^n.Hi, ^n.Lo}.And(Ones(w)) }
func (n Num) IsZero() bool     { return n == Num{} }
func (n Num) Has(bit int) bool { return !n.And(Bit(bit)).IsZero() }

// Add1 and Sub1 step to the next and previous value; ok is false when the
// step leaves the width w.
func (n Num) Add1(w int) (Num, bool) {
	lo, c := bits.Add64(n.Lo, 1, 0)
	r := Num{n.Hi + c, lo}
	return r, r.Cmp(Ones(w)) <= 0 && !(r.IsZero())
}

// Sub1 is the previous value; ok is false at zero.
func (n Num) Sub1() (Num, bool) {
	if n.IsZero() {
		return n, false
	}
	lo, b := bits.Sub64(n.Lo, 1, 0)
	return Num{n.Hi - b, lo}, true
}

// Shl and Shr shift by s bits.
func (n Num) Shl(s uint) Num {
	switch {
	case s == 0:
		return n
	case s >= 128:
		return Num{}
	case s >= 64:
		return Num{n.Lo << (s - 64), 0}
	}
	return Num{n.Hi<<s | n.Lo>>(64-s), n.Lo << s}
}

func (n Num) Shr(s uint) Num {
	switch {
	case s == 0:
		return n
	case s >= 128:
		return Num{}
	case s >= 64:
		return Num{0, n.Hi >> (s - 64)}
	}
	return Num{n.Hi >> s, n.Lo>>s | n.Hi<<(64-s)}
}

// LowBit and HighBit are the positions of the lowest and highest set bits
// (-1 for zero).
func (n Num) LowBit() int {
	switch {
	case n.Lo != 0:
		return bits.TrailingZeros64(n.Lo)
	case n.Hi != 0:
		return 64 + bits.TrailingZeros64(n.Hi)
	}
	return -1
}

func (n Num) HighBit() int {
	switch {
	case n.Hi != 0:
		return 127 - bits.LeadingZeros64(n.Hi)
	case n.Lo != 0:
		return 63 - bits.LeadingZeros64(n.Lo)
	}
	return -1
}

// Span is an inclusive range of values.
type Span struct{ Lo, Hi Num }

// Spans is a set of values as sorted, disjoint, non-adjacent spans.
type Spans []Span

// Norm sorts and merges s.
func (s Spans) Norm() Spans {
	out := append(Spans(nil), s...)
	for i := 1; i < len(out); i++ { // insertion sort: sets are small
		for j := i; j > 0 && out[j].Lo.Cmp(out[j-1].Lo) < 0; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	var m Spans
	for _, sp := range out {
		if n := len(m); n > 0 {
			next, ok := m[n-1].Hi.Add1(128)
			if sp.Lo.Cmp(m[n-1].Hi) <= 0 || ok && sp.Lo == next {
				if sp.Hi.Cmp(m[n-1].Hi) > 0 {
					m[n-1].Hi = sp.Hi
				}
				continue
			}
		}
		m = append(m, sp)
	}
	return m
}

// Contains reports whether v is in s.
func (s Spans) Contains(v Num) bool {
	for _, sp := range s {
		if v.Cmp(sp.Lo) >= 0 && v.Cmp(sp.Hi) <= 0 {
			return true
		}
	}
	return false
}

// Complement is every value of width w not in s.
func (s Spans) Complement(w int) Spans {
	var out Spans
	next, have := Num{}, true
	for _, sp := range s.Norm() {
		if have && next.Cmp(sp.Lo) < 0 {
			prev, _ := sp.Lo.Sub1()
			out = append(out, Span{next, prev})
		}
		next, have = sp.Hi.Add1(w)
	}
	if have {
		out = append(out, Span{next, Ones(w)})
	}
	return out
}

// Intersect is the values in both s and t.
func (s Spans) Intersect(t Spans) Spans {
	var out Spans
	for _, a := range s {
		for _, b := range t {
			lo, hi := a.Lo, a.Hi
			if b.Lo.Cmp(lo) > 0 {
				lo = b.Lo
			}
			if b.Hi.Cmp(hi) < 0 {
				hi = b.Hi
			}
			if lo.Cmp(hi) <= 0 {
				out = append(out, Span{lo, hi})
			}
		}
	}
	return out.Norm()
}

// PrefixSpan is the span of addresses in p.
func PrefixSpan(p netip.Prefix) Span {
	w := p.Addr().BitLen()
	lo := AddrNum(p.Masked().Addr())
	host := Ones(w - p.Bits())
	return Span{lo, lo.Or(host)}
}
