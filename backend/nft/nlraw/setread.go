package nlraw

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Attributes of NFT_MSG_NEWSET that golang.org/x/sys does not name: the
// set's handle, and its element count (Linux 6.16).
const (
	nftaSetHandle = 16
	nftaSetCount  = 20
)

// Elem is one element of a set as the kernel reports it.
type Elem struct {
	Key []byte
	// Timeout is the element's own timeout, when it was given one other
	// than the set's (0: the set's, or none).
	Timeout time.Duration
	// Expires is the time it has left (0: it does not expire).
	Expires time.Duration
}

// SetInfo is what NFT_MSG_GETSET says of a set that google/nftables v0.3.0
// does not decode.
type SetInfo struct {
	Handle  uint64
	Comment string
	// Count is the number of elements the set holds, expired ones the
	// garbage collector has not removed yet included (-1: the kernel does
	// not say, before Linux 6.16).
	Count int
	// gen is the low 16 bits of the ruleset generation the answer was
	// made in (nfgenmsg res_id).
	gen uint16
}

// SetRead is the result of ReadSet.
type SetRead struct {
	Elems []Elem
	// Exact says one pass was proved complete: the kernel counted as many
	// elements before and after it as it returned, so no element left the
	// set or moved in it while it was read (on a kernel without counts: the
	// ruleset generation did not change and nothing came twice).
	Exact bool
	// Passes is the number of dumps made.
	Passes int
	// Recovered counts elements that a later pass (or a final lookup)
	// found in the set and an earlier pass had missed while they were in
	// it.
	Recovered int
}

// maxPasses bounds the dumps of one ReadSet.
const maxPasses = 6

// ReadSet reads every element of a set, in the biggest chunks the kernel
// makes, and proves the read complete or reads again.
//
// Why a plain dump is not enough: the kernel dumps a set in chunks of at
// most 32 KiB (netlink_dump caps an skb at the largest read length the
// socket has seen, itself capped at SKB_WITH_OVERHEAD(32768)), and between
// chunks it keeps only the number of elements it has walked
// (nf_tables_dump_set, cb->args[0]); each chunk walks the set again from the
// start and skips that many. That makes a dump quadratic, and it makes it
// lose elements: when an element the walk has passed leaves the set
// (expiry, a delete) or the hash table is resized (the rhashtable grows and
// shrinks in a worker, typically just after a big import), the positions
// shift and the elements at the next chunk's start are skipped. The kernel
// flags none of it: NLM_F_DUMP_INTR is never set on set element dumps and
// the ruleset generation does not change for the packet path, the garbage
// collector or a resize.
//
// So each pass asks the kernel for the set's element count before and after
// the dump (NFTA_SET_COUNT, Linux 6.16). Equal counts and as many distinct
// elements as counted prove the pass complete. Otherwise the set changed
// meanwhile; the passes are merged and repeated until one proves itself
// complete, or until a pass finds no element that the pass before it should
// have returned (an element whose last refresh, by its time left, predates
// that pass; new elements without a timeout count as such beyond as many
// as the set grew by meanwhile). Elements an
// earlier pass returned and the last did not are then looked up one by one,
// and kept only if still there. A set that changes under every one of
// maxPasses passes is an error: the read never returns a result it knows
// to be short.
func ReadSet(netns int, s *nftables.Set) (*SetRead, error) {
	// Room for the answers to a group of lookups (lookupRest).
	c, err := Dial(netns, 8<<20)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res := &SetRead{}
	seen := map[string]int{} // key -> index in res.Elems
	var prevStart time.Time
	last, prevCount := -1, -1
	for res.Passes < maxPasses {
		start := time.Now()
		p, err := readPass(c, s)
		if err != nil {
			return nil, err
		}
		res.Passes++
		last = p.after.Count
		if p.exact() {
			res.Elems, res.Exact = p.elems, true
			return res, nil
		}
		found, ageless := 0, 0
		for _, e := range p.elems {
			k := string(e.Key)
			if i, ok := seen[k]; ok {
				res.Elems[i] = e
				continue
			}
			seen[k] = len(res.Elems)
			res.Elems = append(res.Elems, e)
			switch {
			case res.Passes == 1:
			case e.Expires == 0:
				ageless++
			case refreshedBefore(e, s, p.at, prevStart):
				found++
			}
		}
		// New elements without a timeout have no age: as many as the set
		// grew by since the pass before began are taken as added, the
		// rest as missed before.
		if grew := p.after.Count - prevCount; prevCount >= 0 && p.after.Count >= 0 && grew > 0 {
			ageless = max(0, ageless-grew)
		}
		found += ageless
		res.Recovered += found
		if res.Passes > 1 && found == 0 {
			return res, lookupRest(c, s, res, p)
		}
		prevStart, prevCount = start, p.before.Count
	}
	return nil, fmt.Errorf("reading set %s: it changed during each of %d reads, and each found elements the one before had missed (the kernel counts %d elements; %d were seen): a dump of a changing set skips elements, so the read is refused rather than returned short", s.Name, res.Passes, last, len(res.Elems))
}

// refreshedBefore reports whether e, received at at, was last added or
// refreshed before t: its timeout minus its time left is its age. An
// element without a timeout has no age, so it may be as old as any.
func refreshedBefore(e Elem, s *nftables.Set, at, t time.Time) bool {
	to := e.Timeout
	if to == 0 {
		to = s.Timeout
	}
	if e.Expires == 0 || to == 0 {
		return true
	}
	return at.Add(e.Expires - to).Before(t)
}

// lookupRest keeps of the merged passes' elements that the last pass p
// missed those still in the set (with their time left now), and drops the
// others: they left the set.
func lookupRest(c *netlink.Conn, s *nftables.Set, res *SetRead, p *pass) error {
	in := map[string]bool{}
	for _, e := range p.elems {
		in[string(e.Key)] = true
	}
	var keys [][]byte
	for _, e := range res.Elems {
		if !in[string(e.Key)] {
			keys = append(keys, e.Key)
		}
	}
	now, err := LookupElems(c, s, keys)
	if err != nil {
		return err
	}
	out := p.elems
	for _, e := range now {
		if e != nil {
			out = append(out, *e)
			res.Recovered++
		}
	}
	res.Elems = out
	return nil
}

// pass is one dump and the set's state around it.
type pass struct {
	before, after SetInfo
	elems         []Elem
	// dups counts elements the dump returned twice; intr says a message
	// carried NLM_F_DUMP_INTR; gens are the generations of its messages.
	dups int
	intr bool
	gens map[uint16]bool
	// at is when the dump ended.
	at time.Time
}

// exact reports whether the pass is proved complete (see SetRead.Exact).
func (p *pass) exact() bool {
	if p.intr || p.before.Handle != p.after.Handle {
		return false
	}
	if p.before.Count >= 0 && p.after.Count >= 0 {
		return p.before.Count == p.after.Count && len(p.elems) == p.before.Count
	}
	return p.before.gen == p.after.gen && len(p.gens) <= 1 && p.gens[p.before.gen] && p.dups == 0
}

// readPass dumps the set once on c, between two GETSETs. The GETSET
// answer is read with ReadRaw's 64 KiB buffer, which raises the socket's
// largest read (nlk->max_recvmsg_len) so that the dump's first chunk is
// already 32 KiB.
func readPass(c *netlink.Conn, s *nftables.Set) (*pass, error) {
	p := &pass{gens: map[uint16]bool{}}
	var err error
	if p.before, err = getSet(c, s); err != nil {
		return nil, err
	}
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table.Name)
	ae.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	req, err := c.Send(request(unix.NFT_MSG_GETSETELEM, s.Table.Family, netlink.Dump, attrs))
	if err != nil {
		return nil, fmt.Errorf("reading set %s: %w", s.Name, err)
	}
	n := 0
	if p.before.Count > 0 {
		n = p.before.Count
	}
	idx := make(map[string]struct{}, n)
	p.elems = make([]Elem, 0, n)
	err = ReadRaw(c, func(m syscall.NetlinkMessage) (bool, error) {
		if m.Header.Seq != req.Header.Sequence {
			return false, nil
		}
		if m.Header.Flags&unix.NLM_F_DUMP_INTR != 0 {
			p.intr = true
		}
		switch m.Header.Type {
		case unix.NLMSG_DONE:
			return true, nil
		case unix.NLMSG_ERROR:
			if e := Errno(m); e != 0 {
				return true, fmt.Errorf("reading set %s: %w", s.Name, e)
			}
			return false, nil
		}
		if len(m.Data) < 4 {
			return false, nil
		}
		p.gens[binary.BigEndian.Uint16(m.Data[2:4])] = true
		parseElems(m.Data[4:], func(e Elem) {
			if _, dup := idx[string(e.Key)]; dup {
				p.dups++
				return
			}
			idx[string(e.Key)] = struct{}{}
			p.elems = append(p.elems, e)
		})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	p.at = time.Now()
	if p.after, err = getSet(c, s); err != nil {
		return nil, err
	}
	return p, nil
}

// getSet asks the kernel for one set (a non-dump NFT_MSG_GETSET).
func getSet(c *netlink.Conn, s *nftables.Set) (SetInfo, error) {
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_TABLE, s.Table.Name)
	ae.String(unix.NFTA_SET_NAME, s.Name)
	attrs, err := ae.Encode()
	if err != nil {
		return SetInfo{}, err
	}
	req, err := c.Send(request(unix.NFT_MSG_GETSET, s.Table.Family, 0, attrs))
	if err != nil {
		return SetInfo{}, fmt.Errorf("reading set %s: %w", s.Name, err)
	}
	var info SetInfo
	found := false
	err = ReadRaw(c, func(m syscall.NetlinkMessage) (bool, error) {
		if m.Header.Seq != req.Header.Sequence {
			return false, nil
		}
		if m.Header.Type == unix.NLMSG_ERROR {
			if e := Errno(m); e != 0 {
				return true, fmt.Errorf("reading set %s: %w", s.Name, e)
			}
			return true, nil
		}
		if len(m.Data) >= 4 {
			_, info = parseSet(m.Data)
			found = true
		}
		return true, nil
	})
	if err == nil && !found {
		err = fmt.Errorf("reading set %s: the kernel did not describe it", s.Name)
	}
	return info, err
}

// parseSet decodes a NEWSET message's payload (nfgenmsg and attributes).
func parseSet(b []byte) (name string, info SetInfo) {
	info.Count = -1
	info.gen = binary.BigEndian.Uint16(b[2:4])
	ad, err := netlink.NewAttributeDecoder(b[4:])
	if err != nil {
		return "", info
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_SET_NAME:
			name = ad.String()
		case nftaSetHandle:
			info.Handle = binary.BigEndian.Uint64(ad.Bytes())
		case unix.NFTA_SET_USERDATA:
			info.Comment = setComment(ad.Bytes())
		case nftaSetCount:
			info.Count = int(binary.BigEndian.Uint32(ad.Bytes()))
		}
	}
	return name, info
}

// parseElems calls f with each element of a NEWSETELEM message's
// attributes.
func parseElems(b []byte, f func(Elem)) {
	elems(b, func(el *netlink.AttributeDecoder) {
		var e Elem
		for el.Next() {
			switch el.Type() {
			case unix.NFTA_SET_ELEM_KEY:
				el.Nested(func(k *netlink.AttributeDecoder) error {
					for k.Next() {
						if k.Type() == unix.NFTA_DATA_VALUE {
							e.Key = append([]byte(nil), k.Bytes()...)
						}
					}
					return nil
				})
			case unix.NFTA_SET_ELEM_TIMEOUT:
				e.Timeout = time.Duration(binary.BigEndian.Uint64(el.Bytes())) * time.Millisecond
			case unix.NFTA_SET_ELEM_EXPIRATION:
				e.Expires = time.Duration(binary.BigEndian.Uint64(el.Bytes())) * time.Millisecond
			}
		}
		if e.Key != nil {
			f(e)
		}
	})
}
