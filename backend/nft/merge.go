package nft

import (
	"github.com/google/nftables/expr"

	"github.com/xt2nft/xt2nft/translate"
)

// A rule's comparisons of adjacent header fields are one comparison in
// the kernel when nft -f loads them (translate.PayloadMerges says which,
// as nft's evaluator decides): "ip protocol udp ip ttl 5" is one 2-byte
// load at the protocol's place. The netlink backend makes the same merges
// (those that keep the rule's meaning; translate.GuardMerges rewrote the
// others), so that the kernel holds the same rule either way and nft lists
// it alike.

// mergedAt returns the merge statement i is part of, if any.
func mergedAt(merges []translate.PayloadMerge, i int) *translate.PayloadMerge {
	for k := range merges {
		if !merges[k].Safe {
			continue
		}
		for _, j := range merges[k].Members {
			if j == i {
				return &merges[k]
			}
		}
	}
	return nil
}

// merged lowers statement i, a member of merge pm: the merged comparison
// where it is kept, else only the protocol dependency nft had inserted
// before it.
func (l *lowerer) merged(stmts []translate.Stmt, pm *translate.PayloadMerge, i int) error {
	m := stmts[i].(*translate.Match)
	f := m.Left.(*translate.Payload).Field
	l.dependency(f.Proto)
	if i == pm.Keep {
		data := make([]byte, 0, pm.Len/8)
		for _, j := range pm.Members {
			mj := stmts[j].(*translate.Match)
			fj := mj.Left.(*translate.Payload).Field
			v, err := constantN(fj.Type, translate.MergedValue(mj), 0, int(fj.Len/8))
			if err != nil {
				return err
			}
			data = append(data, v...)
		}
		l.emit(l.payload(expr.Payload{DestRegister: 1, Base: payloadBases[f.Proto.Base], Offset: pm.Off / 8, Len: pm.Len / 8}),
			l.cmp(cmpOps[m.Op], data))
	}
	l.noteContext(m)
	return nil
}
