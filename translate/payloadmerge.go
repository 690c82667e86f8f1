package translate

import "github.com/xt2nft/xt2nft/translate/desc"

// nft's evaluator merges a rule's comparisons of adjacent header fields
// into one (src/rule.c, payload_try_merge): "ip protocol udp ip ttl 5"
// becomes one 2-byte load compared with 0x0511, listed back as "ip ttl 5
// ip protocol udp". The kernel then runs what nft made, not what was
// written, and two of nft's merges change the meaning (nft 1.0.6,
// measured with packets on the kernel):
//
//   - two != of adjacent fields become one != of both: "tcp sport != 1024
//     tcp dport != 22", which iptables' ! --sport 1024 ! --dport 22 means
//     as both, matches a packet from 1024 to 80 (the pair differs);
//   - a comparison after a statement is merged into one before it when
//     only one comparison preceded the statement: "udp sport 53 limit rate
//     1/second udp dport 53" tests the dport before the limit, so the
//     limit no longer counts the packets of other ports.
//
// PayloadMerges finds the merges nft makes of a rule; GuardMerges writes
// the comparisons of a merge that would change the meaning as a one-value
// range (dport != 22-22), which nft leaves alone, so nft -f loads what the
// rule means; backend/nft makes the merges that remain, as nft does, so
// that both backends give the kernel the same rule.

// PayloadMerge is one merge nft makes of a rule's statements: Members are
// the indexes of the merged comparisons, in header order; Keep is the
// one whose place the merged comparison takes (the others disappear).
type PayloadMerge struct {
	Members []int
	Keep    int
	// Off and Len are the merged bytes' place in the header (bits).
	Off, Len uint32
	// Safe is false when the merge changes what the rule means: a merge
	// of !=, or of comparisons on both sides of another statement.
	Safe bool
}

// mergeCand is a statement nft considers for a merge.
type mergeCand struct {
	i int
	f *desc.Field
	m *Match
}

// PayloadMerges returns the merges nft's evaluator makes of stmts.
func PayloadMerges(stmts []Stmt) []PayloadMerge {
	var mb [4]scanned
	var ib [8]int
	merges, members := scanMerges(stmts, mb[:0], ib[:0])
	if len(merges) == 0 {
		return nil // most rules: nothing to merge, nothing allocated
	}
	out := make([]PayloadMerge, len(merges))
	for i, m := range merges {
		out[i] = PayloadMerge{Members: append([]int(nil), members[m.first:m.first+m.n]...), Keep: m.keep, Off: m.off, Len: m.len, Safe: m.safe}
	}
	return out
}

// scanned is a merge as scanMerges finds it: its members are
// members[first:first+n] of the scan.
type scanned struct {
	first, n, keep int
	off, len       uint32
	safe           bool
}

// scanMerges appends the merges of stmts to merges, their members to
// members, in buffers the caller may keep on its stack: the translation
// guards every rule it makes.
func scanMerges(stmts []Stmt, merges []scanned, members []int) ([]scanned, []int) {
	n := 0
	for _, st := range stmts {
		if m, ok := st.(*Match); ok && mergeField(m) != nil {
			n++
		}
	}
	if n < 2 {
		return merges, members
	}
	var cb [8]mergeCand
	run := cb[:0]
	for i, st := range stmts {
		m, ok := st.(*Match)
		if !ok {
			// nft merges the candidates seen so far at another statement,
			// but only when there are two: a single one stays a candidate
			// for comparisons after the statement.
			if len(run) >= 2 {
				merges, members = mergeRun(merges, members, run, stmts)
				run = run[:0]
			}
			continue
		}
		if f := mergeField(m); f != nil {
			run = append(run, mergeCand{i, f, m})
		}
	}
	if len(run) >= 2 {
		merges, members = mergeRun(merges, members, run, stmts)
	}
	return merges, members
}

// mergeField is the header field of a comparison nft may merge: a
// byte-aligned payload field compared (== or !=) with one value.
func mergeField(m *Match) *desc.Field {
	p, ok := m.Left.(*Payload)
	if !ok || p.Field.Proto.Kind != desc.Payload || p.Field.Offset%8 != 0 || p.Field.Len%8 != 0 {
		return nil
	}
	if m.Op != OpEq && m.Op != OpNe && m.Op != "" {
		return nil
	}
	switch v := MergedValue(m).(type) {
	case *Int:
	case *Sym:
		if p.Field.Type.Flags && m.Op != OpNe {
			return nil // a test of bits: tcp flags syn
		}
	case *Addr:
		if v.Prefix.Bits() != v.Prefix.Addr().BitLen() {
			return nil
		}
	case *MAC:
	default:
		return nil
	}
	return p.Field
}

// MergedValue is the value a comparison nft may merge compares with: its
// right side, the element of a one-element set (nft makes that a value).
func MergedValue(m *Match) Expr {
	if s, ok := m.Right.(*SetLit); ok && len(s.Elems) == 1 {
		return s.Elems[0]
	}
	return m.Right
}

// mergeRun merges one run of candidates as nft does: in header order,
// each with the next when they are adjacent, take the same operator and
// fit in a register's first word (a link-layer header: the whole
// register). The merged comparison takes the place of the field that
// names the next protocol (ip protocol), when one is merged, so that it
// stays before the fields that depend on it; else of the first field.
func mergeRun(out []scanned, members []int, run []mergeCand, stmts []Stmt) ([]scanned, []int) {
	// In header order (an insertion sort: runs are short, and the order
	// of equal places is kept, as nft's qsort keeps it for them).
	for i := 1; i < len(run); i++ {
		for j := i; j > 0 && before(run[j].f, run[j-1].f); j-- {
			run[j], run[j-1] = run[j-1], run[j]
		}
	}
	var cur scanned
	open := false
	var op Op
	var base desc.Base
	for k := 0; k <= len(run); k++ {
		var c mergeCand
		cop := Op("")
		if k < len(run) {
			c = run[k]
			if cop = c.m.Op; cop == "" {
				cop = OpEq
			}
			if open && c.f.Proto.Base == base && cur.off+cur.len == c.f.Offset && cop == op && fits(base, cur.len+c.f.Len) {
				members = append(members, c.i)
				cur.n++
				cur.len += c.f.Len
				if protocolKey(c.f) {
					cur.keep = c.i
				}
				continue
			}
		}
		if open && cur.n > 1 {
			cur.safe = op == OpEq && !statementBetween(stmts, members[cur.first:cur.first+cur.n])
			out = append(out, cur)
		} else if open {
			members = members[:cur.first] // a field merged with none
		}
		open = false
		if k < len(run) {
			cur = scanned{first: len(members), n: 1, keep: c.i, off: c.f.Offset, len: c.f.Len}
			members = append(members, c.i)
			open = true
			base, op = c.f.Proto.Base, cop
		}
	}
	return out, members
}

// before orders header fields as nft sorts the comparisons it merges: by
// base, then offset.
func before(a, b *desc.Field) bool {
	if a.Proto.Base != b.Proto.Base {
		return a.Proto.Base < b.Proto.Base
	}
	return a.Offset < b.Offset
}

// fits says whether a merged field of n bits is one nft makes: at most 32
// bits (what the kernel loads on its fast path), 128 in the link layer.
func fits(b desc.Base, n uint32) bool {
	if b == desc.LinkHeader {
		return n <= 128
	}
	return n <= 32
}

// protocolKey says whether f names the protocol of the next header (nft's
// protocol_key): ip protocol, ip6 nexthdr, ether type, ah and comp nexthdr.
func protocolKey(f *desc.Field) bool {
	return f.Name == "protocol" && f.Proto == desc.IP || f.Name == "nexthdr" && (f.Proto == desc.IP6 || f.Proto == desc.AH || f.Proto == desc.Comp) ||
		f.Name == "type" && f.Proto == desc.Ether
}

// statementBetween says whether a statement other than a comparison
// stands between the first and last of the statements at members.
func statementBetween(stmts []Stmt, members []int) bool {
	lo, hi := members[0], members[0]
	for _, i := range members {
		lo, hi = min(lo, i), max(hi, i)
	}
	for _, st := range stmts[lo:hi] {
		if _, ok := st.(*Match); !ok {
			return true
		}
	}
	return false
}

// GuardMerges rewrites, in every rule of rs, the comparisons nft would
// merge in a way that changes their meaning: the last of each such merge
// (in the rule's order) is written as a one-value range, which nft does
// not merge, until no such merge is left.
func GuardMerges(rs *Ruleset) {
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				guardRule(r)
			}
		}
	}
}

func guardRule(r *Rule) {
	var mb [4]scanned
	var ib [8]int
	for {
		changed := false
		merges, members := scanMerges(r.Stmts, mb[:0], ib[:0])
		for _, pm := range merges {
			if pm.safe {
				continue
			}
			last := 0
			for _, i := range members[pm.first : pm.first+pm.n] {
				last = max(last, i)
			}
			m := r.Stmts[last].(*Match)
			v := MergedValue(m)
			if sym, ok := v.(*Sym); ok {
				if n, known := m.Left.(*Payload).Field.Type.Symbol(sym.Name); known {
					v = &Int{V: n}
				}
			}
			m.Right = &Range{Lo: v, Hi: v}
			changed = true
			break // the statements' merges are found again
		}
		if !changed {
			return
		}
	}
}
