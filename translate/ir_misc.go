package translate

// Helpers shared by the misc area's translators (conntrack, meta and
// stateful matches): number parsing as libxtables does it, mark/mask
// values, and named sets and objects declared in the rule's table.

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// parseNum parses an unsigned number as xtables_strtoul does (strtoul with
// base 0: decimal, 0x hex, leading-0 octal), within bits bits.
func parseNum(s string, bits int) (uint64, bool) {
	if s == "" || strings.ContainsAny(s, "_+- ") || strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0b") ||
		strings.HasPrefix(s, "0O") || strings.HasPrefix(s, "0B") {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 0, bits)
	return v, err == nil
}

// strtoulPrefix reads the number at the start of s as C strtoumax with
// base 0 and an end pointer does (xtables_strtoul with end != NULL): space
// and a '+' may lead, 0x starts hex and 0 octal, and reading stops at the
// first character that is not a digit of the base. It returns the value
// and the rest of s; ok is false when no digit was read or the value does
// not fit in 64 bits.
func strtoulPrefix(s string) (v uint64, rest string, ok bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	t = strings.TrimPrefix(t, "+")
	base := uint64(10)
	switch {
	case len(t) > 2 && (t[1] == 'x' || t[1] == 'X') && t[0] == '0' && hexDigit(t[2]) >= 0:
		base, t = 16, t[2:]
	case len(t) > 0 && t[0] == '0':
		base = 8
	}
	i := 0
	for ; i < len(t); i++ {
		d := hexDigit(t[i])
		if d < 0 || uint64(d) >= base {
			break
		}
		if v > (^uint64(0)-uint64(d))/base {
			return 0, "", false
		}
		v = v*base + uint64(d)
	}
	if i == 0 {
		return 0, "", false
	}
	return v, t[i:], true
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// markMask parses "value[/mask]" (XTTYPE_MARKMASK32); mask defaults to
// 0xffffffff.
func markMask(c *ctx, o *parser.Option) (v, mask uint64, err error) {
	vs, ms, hasMask := strings.Cut(o.Arg(0), "/")
	v, ok := parseNum(vs, 32)
	if !ok {
		return 0, 0, c.badValue(o, "mark")
	}
	mask = 0xffffffff
	if hasMask {
		if mask, ok = parseNum(ms, 32); !ok {
			return 0, 0, c.badValue(o, "mask")
		}
	}
	return v, mask, nil
}

// maskedMatch emits "left == v" or, with a partial mask, "left & mask == v"
// (negated with !=). Values print in hex as iptables shows marks.
func (c *ctx) maskedMatch(left Expr, v, mask uint64, neg bool) {
	if mask != 0xffffffff {
		left = &Binop{Op: "&", Left: left, Right: &Int{V: mask, Hex: true}}
	}
	c.match(left, eq(neg), &Int{V: v, Hex: true})
}

// tableSet returns the set called name in the rule's nft table, or nil.
func (c *ctx) tableSet(name string) *Set {
	for _, s := range c.tr.nftTable(c.fam, c.table).Sets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// tableObject returns the object of kind called name in the rule's table, or nil.
func (c *ctx) tableObject(kind ObjKind, name string) *Object {
	for _, o := range c.tr.nftTable(c.fam, c.table).Objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	return nil
}

// freeSetName returns base (made a valid identifier) or base_2, base_3, ...:
// the first name no set of the rule's table uses yet.
func (c *ctx) freeSetName(base string) string {
	base = safeIdent(base)
	name := base
	for i := 2; c.setNameTaken(name); i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

// setNameTaken reports whether a set of the rule's table is called name; in
// the inet layout, a set of either family's part. A set whose state is the
// family's own (a hashlimit table, a connlimit count: xt keeps them per
// family, or per rule) takes a name this way, so that the two parts never
// hold different sets of one name.
func (c *ctx) setNameTaken(name string) bool {
	if c.tableSet(name) != nil {
		return true
	}
	if !c.tr.inet() {
		return false
	}
	for _, t := range c.tr.tables {
		for _, s := range t.Sets {
			if s.Name == name {
				return true
			}
		}
	}
	return false
}

// addSet declares s in the rule's table.
func (c *ctx) addSet(s *Set) {
	t := c.tr.nftTable(c.fam, c.table)
	t.Sets = append(t.Sets, s)
}

// l3AddrType is the nft data type of this family's addresses.
func (c *ctx) l3AddrType() *desc.Type { return c.l3().AddrType }

// typeNames writes a concatenated key type as nft does: ipv4_addr . inet_service.
func typeNames(ts []*desc.Type) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.Name)
	}
	return strings.Join(names, " . ")
}

// prefixMask returns the address mask of a prefix length for the family.
func (c *ctx) prefixMask(bits int) *Addr {
	n := 32
	if c.fam == parser.IPv6 {
		n = 128
	}
	b := make([]byte, n/8)
	for i := 0; i < bits; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netipAddrFromSlice(b)
	return &Addr{Prefix: a}
}

// optArgPos is the position of an option's first word (or of the option).
func optArgPos(o *parser.Option) parser.Pos {
	if len(o.Args) > 0 {
		return o.Args[0].Pos
	}
	return o.Pos
}

func netipAddrFromSlice(b []byte) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(b)
	return netip.PrefixFrom(a, a.BitLen()), ok
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// selfRendering is a statement added by an area's IR file that prints
// itself (render.go calls nft() for it).
type selfRendering interface {
	Stmt
	nft() string
}

func itoa(n int) string { return strconv.Itoa(n) }

// oneOrSet is the one element, or the anonymous set of several.
func oneOrSet(elems []Expr) Expr {
	if len(elems) == 1 {
		return elems[0]
	}
	return &SetLit{Elems: elems}
}
