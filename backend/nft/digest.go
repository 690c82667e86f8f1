package nft

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
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

func sum(parts ...[]byte) digest {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

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
	for _, m := range b.msgs {
		h.Write(m.Data)
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
	for _, m := range b.msgs {
		h.Write(m.Data)
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d, nil
}

// encodedRule is a rule ready to send: its encoded attributes (without
// user data) and its digest.
type encodedRule struct {
	attrs  []byte
	digest digest
}

// encodeRuleProgram encodes r and computes its digest: of the message it
// is sent as, with each anonymous set it looks up standing for its own
// contents (the kernel names anonymous sets, and their IDs follow the
// batch) and each named set's batch ID left out.
func encodeRuleProgram(r *RuleProgram) (encodedRule, error) {
	attrs, err := encodeRule(r.Rule)
	if err != nil {
		return encodedRule{}, err
	}
	udata := r.Rule.UserData
	plain := len(r.Anon) == 0
	for _, e := range r.Rule.Exprs {
		switch x := e.(type) {
		case *expr.Lookup:
			plain = plain && x.SetID == 0
		case *expr.Dynset:
			plain = plain && x.SetID == 0
		}
	}
	if plain {
		return encodedRule{attrs: attrs, digest: sum(attrs, udata)}, nil
	}
	anon := map[string]string{}
	for _, a := range r.Anon {
		d, err := anonDigest(a)
		if err != nil {
			return encodedRule{}, err
		}
		anon[a.Set.Name] = "anon:" + d.String()
	}
	norm := *r.Rule
	norm.Exprs = make([]expr.Any, len(r.Rule.Exprs))
	for i, e := range r.Rule.Exprs {
		switch x := e.(type) {
		case *expr.Lookup:
			y := *x
			if n, ok := anon[y.SetName]; ok {
				y.SetName = n
			}
			y.SetID = 0
			e = &y
		case *expr.Dynset:
			y := *x
			y.SetID = 0
			e = &y
		}
		norm.Exprs[i] = e
	}
	nattrs, err := encodeRule(&norm)
	if err != nil {
		return encodedRule{}, err
	}
	return encodedRule{attrs: attrs, digest: sum(nattrs, udata)}, nil
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
