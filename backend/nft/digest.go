package nft

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/xt2nft/xt2nft/internal/par"
)

// Every rule and named set xt2nft sends carries, in its user data, a
// digest of what it was sent as: a TLV of type udataDigest that nft
// ignores (it reads only the types it knows; a listing, nft -j and a
// reload of the listing are unchanged, and a reload drops it). A re-apply
// reads the digests back and leaves in place what the new program would
// send again the same (see incremental.go). Another tool's rule, or one
// nft wrote (nft -f, nft replace rule), has no digest and never matches.
const udataDigest = 0xc8

// digestLen is the length of a digest: the first 16 bytes of a SHA-256.
const digestLen = 16

type digest [digestLen]byte

func (d digest) String() string { return hex.EncodeToString(d[:]) }

// withDigest appends the digest TLV to user data.
func withDigest(udata []byte, d digest) []byte {
	out := make([]byte, 0, len(udata)+2+digestLen)
	out = append(out, udata...)
	out = append(out, udataDigest, digestLen)
	return append(out, d[:]...)
}

// digestIn finds the digest TLV in user data.
func digestIn(udata []byte) (digest, bool) {
	for len(udata) >= 2 {
		typ, l := udata[0], int(udata[1])
		if 2+l > len(udata) {
			break
		}
		if typ == udataDigest && l == digestLen {
			var d digest
			copy(d[:], udata[2:2+l])
			return d, true
		}
		udata = udata[2+l:]
	}
	return digest{}, false
}

// setDigest is the digest of a set's definition: its NEWSET message
// without the batch's set ID. A constant set's elements are part of its
// definition: the kernel refuses to add or delete elements of a constant
// set a rule is bound to (EBUSY), so one whose elements changed is made
// again with the rules that use it, and one that did not stays as it is,
// its element counters with it. Other sets' elements are not part of it.
func setDigest(sp *SetProgram) digest {
	s := *sp.Set
	s.ID = 0
	var els []nftables.SetElement
	if s.Constant {
		els = sp.Elems
	}
	var b batch
	if b.set(&s, sp.udata, els) != nil {
		_ = b.set(&s, sp.udata, nil) // refused later, when it is sent
	}
	h := sha256.New()
	for k := range b.len() {
		h.Write(b.data(k))
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

// anonDigest is the digest of an anonymous set: definition and elements.
func anonDigest(sp *SetProgram) (digest, error) {
	s := *sp.Set
	s.ID = 0
	s.Name = "anon"
	var b batch
	if err := b.set(&s, sp.udata, sp.Elems); err != nil {
		return digest{}, err
	}
	h := sha256.New()
	for k := range b.len() {
		h.Write(b.data(k))
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d, nil
}

// A rule's digest is of the message it is sent as, with each anonymous
// set it looks up standing for its own contents (the kernel names
// anonymous sets, and their IDs follow the batch) and each named set's
// batch ID left out: the SHA-256 of its attributes so (appendRule with
// anonNames) and of its user data.

// anonNames are the names an anonymous set's lookups have in the digest's
// form of a rule: "anon:" and the set's digest. Any other set keeps its
// name.
type anonNames struct {
	sets, names []string
}

func (a *anonNames) of(set string) string {
	for i, s := range a.sets {
		if s == set {
			return a.names[i]
		}
	}
	return set
}

// ruleDigester computes rules' digests in buffers it reuses: a re-apply
// computes every rule's, and keeps none of the encodings.
type ruleDigester struct {
	buf  []byte
	h    hash.Hash
	anon anonNames
}

func (d *ruleDigester) digest(r *RuleProgram) (digest, error) {
	d.anon.sets, d.anon.names = d.anon.sets[:0], d.anon.names[:0]
	for _, a := range r.Anon {
		ad, err := anonDigest(a)
		if err != nil {
			return digest{}, err
		}
		d.anon.sets = append(d.anon.sets, a.Set.Name)
		d.anon.names = append(d.anon.names, "anon:"+ad.String())
	}
	var err error
	if d.buf, err = appendRule(d.buf[:0], r.Rule, &d.anon); err != nil {
		return digest{}, err
	}
	if d.h == nil {
		d.h = sha256.New()
	}
	d.h.Reset()
	d.h.Write(d.buf)
	d.h.Write(r.Rule.UserData)
	var dg digest
	d.buf = d.h.Sum(d.buf[:0])
	copy(dg[:], d.buf)
	return dg, nil
}

// ruleDigests computes the digest of every rule of p: out[i][k] is that
// of p.Tables[i].Rules[k].
// A big table's rules are digested in parts, each on a processor of its
// own (par).
func ruleDigests(p *Program) ([][]digest, error) {
	out := make([][]digest, len(p.Tables))
	for i, tp := range p.Tables {
		out[i] = make([]digest, len(tp.Rules))
		err := par.Try(len(tp.Rules), parallelRules, func(_, lo, hi int) error {
			var d ruleDigester
			for k := lo; k < hi; k++ {
				r := tp.Rules[k]
				var err error
				if out[i][k], err = d.digest(r); err != nil {
					return &Error{Pos: r.Origin, Msg: err.Error()}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setNames lists the named sets and objects a rule refers to.
func refsOf(r *nftables.Rule) (sets, objs []string) {
	for _, e := range r.Exprs {
		switch x := e.(type) {
		case *expr.Lookup:
			sets = append(sets, x.SetName)
		case *expr.Dynset:
			sets = append(sets, x.SetName)
		case *expr.Objref:
			if x.Name != "" {
				objs = append(objs, x.Name)
			}
		}
	}
	return sets, objs
}
