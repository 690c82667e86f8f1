package recent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"

	"github.com/mdlayher/netlink"
	"github.com/xt2nft/xt2nft/backend/nft"
	"golang.org/x/sys/unix"
)

// getElement asks the kernel for one element of a set (a non-dump
// NFT_MSG_GETSETELEM carrying the key), so a lookup does not read the whole
// set. It returns the element's remaining time (0: no timeout) and whether
// it exists.
func getElement(c *netlink.Conn, s *nftables.Set, a netip.Addr) (time.Duration, bool, error) {
	msg, err := getElemMsg(s, a)
	if err != nil {
		return 0, false, err
	}
	replies, err := c.Execute(msg)
	if err != nil {
		var oe *netlink.OpError
		if errors.As(err, &oe) && errors.Is(oe.Err, unix.ENOENT) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("looking %s up in set %s: %w", a, s.Name, err)
	}
	for _, r := range replies {
		if len(r.Data) < 4 {
			continue
		}
		left, found := parseElemReply(r.Data[4:])
		if found {
			return left, true, nil
		}
	}
	return 0, false, nil
}

// getElemMsg is the request for one element of a set.
func getElemMsg(s *nftables.Set, a netip.Addr) (netlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table.Name)
	ae.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
	ae.Nested(unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(l *netlink.AttributeEncoder) error {
		l.Nested(unix.NFTA_LIST_ELEM, func(e *netlink.AttributeEncoder) error {
			e.Nested(unix.NFTA_SET_ELEM_KEY, func(k *netlink.AttributeEncoder) error {
				k.Bytes(unix.NFTA_DATA_VALUE, a.AsSlice())
				return nil
			})
			return nil
		})
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return netlink.Message{}, err
	}
	hdr := []byte{byte(s.Table.Family), unix.NFNETLINK_V0, 0, 0} // nfgenmsg
	return netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETSETELEM),
			Flags: netlink.Request,
		},
		Data: append(hdr, attrs...),
	}, nil
}

// parseElemReply finds NFTA_SET_ELEM_EXPIRATION in a NEWSETELEM reply.
func parseElemReply(b []byte) (time.Duration, bool) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return 0, false
	}
	var left time.Duration
	found := false
	for ad.Next() {
		if ad.Type() != unix.NFTA_SET_ELEM_LIST_ELEMENTS {
			continue
		}
		ad.Nested(func(list *netlink.AttributeDecoder) error {
			for list.Next() {
				found = true
				list.Nested(func(el *netlink.AttributeDecoder) error {
					for el.Next() {
						if el.Type() == unix.NFTA_SET_ELEM_EXPIRATION {
							left = time.Duration(binary.BigEndian.Uint64(el.Bytes())) * time.Millisecond
						}
					}
					return nil
				})
			}
			return nil
		})
	}
	return left, found
}

// Lookup returns one address's entry without reading whole sets: one
// element query per set of the list.
func (n *NFT) Lookup(ctx context.Context, name string, a netip.Addr) (Entry, bool, error) {
	ls, err := n.lists(name)
	if err != nil {
		return Entry{}, false, err
	}
	l := pick(ls, a)
	if l == nil {
		return Entry{}, false, nil
	}
	a = l.masked(a)
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: n.Conn.NetNS})
	if err != nil {
		return Entry{}, false, err
	}
	defer c.Close()
	e := Entry{Addr: a, LastSeen: -1}
	found := false
	get := func(s *nftables.Set) (time.Duration, bool, error) { return getElement(c, s, a) }
	if l.mem != nil {
		_, ok, err := get(l.mem)
		if err != nil {
			return e, false, err
		}
		found = found || ok
	}
	for w, s := range l.last {
		left, ok, err := get(s)
		if err != nil {
			return e, false, err
		}
		if ok {
			found = true
			e.sawWindow(w, left)
		}
	}
	if w, ok := l.stampWindow(); ok {
		for _, s := range l.slots[w] {
			left, ok, err := get(s)
			if err != nil {
				return e, false, err
			}
			if ok {
				found = true
				e.sawSlot(w, left)
			}
		}
		sort.Slice(e.Stamps, func(i, j int) bool { return e.Stamps[i] > e.Stamps[j] })
	}
	if e.LastSeen < 0 {
		e.LastSeen = 0
	}
	return e, found, nil
}

// setComments returns the comments of a table's sets by name, read with a
// raw NFT_MSG_GETSET dump: google/nftables v0.3.0 does not decode them, and
// the translator records a list's --mask there.
func setComments(netns int, t *nftables.Table) (map[string]string, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: netns})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_TABLE, t.Name)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	msg := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETSET),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: append([]byte{byte(t.Family), unix.NFNETLINK_V0, 0, 0}, attrs...),
	}
	replies, err := c.Execute(msg)
	if err != nil {
		return nil, fmt.Errorf("reading the sets of table %s: %w", t.Name, err)
	}
	out := map[string]string{}
	for _, r := range replies {
		if len(r.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(r.Data[4:])
		if err != nil {
			continue
		}
		var name, comment string
		for ad.Next() {
			switch ad.Type() {
			case unix.NFTA_SET_NAME:
				name = ad.String()
			case unix.NFTA_SET_USERDATA:
				comment, _ = userdata.GetString(ad.Bytes(), userdata.NFTNL_UDATA_SET_COMMENT)
			}
		}
		if name != "" && comment != "" {
			out[name] = comment
		}
	}
	return out, nil
}

// getElements looks many addresses up in one set: one non-dump
// NFT_MSG_GETSETELEM per address, sent in groups (one sendmsg carries a
// group, the kernel answers each request by its sequence number: the
// element, or ENOENT). A dump would be quadratic in the kernel on a big set.
func getElements(c *netlink.Conn, s *nftables.Set, addrs []netip.Addr) (map[netip.Addr]bool, error) {
	const group = 1024
	found := map[netip.Addr]bool{}
	for i := 0; i < len(addrs); i += group {
		part := addrs[i:min(i+group, len(addrs))]
		msgs := make([]netlink.Message, len(part))
		for j, a := range part {
			m, err := getElemMsg(s, a)
			if err != nil {
				return nil, err
			}
			msgs[j] = m
		}
		sent, err := c.SendMessages(msgs)
		if err != nil {
			return nil, fmt.Errorf("looking up in set %s: %w", s.Name, err)
		}
		bySeq := make(map[uint32]netip.Addr, len(sent))
		for j, m := range sent {
			bySeq[m.Header.Sequence] = part[j]
		}
		// One answer per request: the element, or ENOENT.
		err = nft.ReadRaw(c, func(r syscall.NetlinkMessage) (bool, error) {
			a, ok := bySeq[r.Header.Seq]
			if !ok {
				return false, nil
			}
			delete(bySeq, r.Header.Seq)
			if r.Header.Type == unix.NLMSG_ERROR {
				if e := nft.Errno(r); e != 0 && e != unix.ENOENT {
					return true, fmt.Errorf("looking %s up in set %s: %w", a, s.Name, e)
				}
			} else {
				found[a] = true
			}
			return len(bySeq) == 0, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

// dumpUpTo reads a set's keys with an NFT_MSG_GETSETELEM dump, but gives up
// (complete false) past limit elements: the kernel walks a big set again for
// every part of a dump, so reading a million elements takes minutes, while a
// small or empty set is read at once. The dump only advances as it is read,
// so closing the socket ends it.
func dumpUpTo(netns int, s *nftables.Set, limit int) (keys map[netip.Addr]bool, complete bool, err error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: netns})
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table.Name)
	ae.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, false, err
	}
	req := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETSETELEM),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: append([]byte{byte(s.Table.Family), unix.NFNETLINK_V0, 0, 0}, attrs...),
	}
	if _, err := c.Send(req); err != nil {
		return nil, false, err
	}
	keys = map[netip.Addr]bool{}
	err = nft.ReadRaw(c, func(m syscall.NetlinkMessage) (bool, error) {
		switch m.Header.Type {
		case unix.NLMSG_DONE:
			complete = true
			return true, nil
		case unix.NLMSG_ERROR:
			if e := nft.Errno(m); e != 0 {
				return true, fmt.Errorf("reading set %s: %w", s.Name, e)
			}
			return false, nil
		}
		if len(m.Data) >= 4 {
			for _, k := range elemKeys(m.Data[4:]) {
				if a, ok := netip.AddrFromSlice(k); ok {
					keys[a] = true
				}
			}
		}
		return len(keys) > limit, nil // past the limit: stop, the socket closes
	})
	if err != nil || !complete {
		return nil, false, err
	}
	return keys, true, nil
}

// elemKeys returns the keys of a NEWSETELEM message's elements.
func elemKeys(b []byte) [][]byte {
	var out [][]byte
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil
	}
	for ad.Next() {
		if ad.Type() != unix.NFTA_SET_ELEM_LIST_ELEMENTS {
			continue
		}
		ad.Nested(func(list *netlink.AttributeDecoder) error {
			for list.Next() {
				list.Nested(func(el *netlink.AttributeDecoder) error {
					for el.Next() {
						if el.Type() == unix.NFTA_SET_ELEM_KEY {
							el.Nested(func(k *netlink.AttributeDecoder) error {
								for k.Next() {
									if k.Type() == unix.NFTA_DATA_VALUE {
										out = append(out, append([]byte(nil), k.Bytes()...))
									}
								}
								return nil
							})
						}
					}
					return nil
				})
			}
			return nil
		})
	}
	return out
}
