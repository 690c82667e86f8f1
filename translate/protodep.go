package translate

import "github.com/xt2nft/xt2nft/translate/desc"

// nft's listing drops a protocol match (ip protocol icmp, meta l4proto gre)
// that stands before a read of the transport header which the protocol's
// header has no field for (th sport of an ICMP packet, th dport of GRE):
// it takes the match for the dependency nft itself would have inserted,
// and lists "ip saddr . meta l4proto . th sport @s", which loads again
// without the protocol test (nft 1.0.6; a named field, icmp checksum or
// tcp dport, keeps its protocol). After the read, the match is not taken
// for one, and it means the same there, the statements between being
// comparisons.

// keepProto moves the protocol match at st[at] (of header h, nil when nft
// has none) after the first later comparison that reads a transport-header
// field h does not name, when only comparisons stand between them.
func keepProto(st []Stmt, at int, h *desc.Proto) {
	for i := at + 1; i < len(st); i++ {
		m, ok := st[i].(*Match)
		if !ok {
			return // a statement: the match stays before it
		}
		if !readsUnnamedTH(m.Left, h) {
			continue
		}
		p := st[at]
		copy(st[at:i], st[at+1:i+1])
		st[i] = p
		return
	}
}

// readsUnnamedTH says whether e reads bytes of the transport header that
// header h names no field for.
func readsUnnamedTH(e Expr, h *desc.Proto) bool {
	named := func(off, n uint32) bool {
		if h == nil {
			return false
		}
		for _, f := range h.Fields {
			if f.Offset == off && f.Len == n {
				return true
			}
		}
		return false
	}
	switch v := e.(type) {
	case *Payload:
		return v.Field.Proto == desc.TH && !named(v.Field.Offset, v.Field.Len)
	case *Raw:
		return v.Base == desc.TransportHeader && !named(v.Offset, v.Len)
	case *Binop:
		return readsUnnamedTH(v.Left, h)
	case *Concat:
		for _, x := range v.Exprs {
			if readsUnnamedTH(x, h) {
				return true
			}
		}
	}
	return false
}
