package nlraw

import (
	"fmt"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Dial opens an nfnetlink socket in the namespace with descriptor netns (0:
// this process's), its receive buffer at least rcvbuf bytes (0: the
// default; growing it needs CAP_NET_ADMIN and is skipped without).
func Dial(netns, rcvbuf int) (*netlink.Conn, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: netns})
	if err != nil {
		return nil, err
	}
	if rcvbuf > 0 {
		if rc, err := c.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) })
		}
	}
	return c, nil
}

// request is an nf_tables request of type t for the family.
func request(t int, family nftables.TableFamily, flags netlink.HeaderFlags, attrs []byte) netlink.Message {
	return netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | t), Flags: netlink.Request | flags},
		Data:   append([]byte{byte(family), unix.NFNETLINK_V0, 0, 0}, attrs...), // nfgenmsg
	}
}

// elemRequest is the request for one element of a set (a non-dump
// NFT_MSG_GETSETELEM carrying the key).
func elemRequest(s *nftables.Set, key []byte) (netlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table.Name)
	ae.String(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
	ae.Nested(unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(l *netlink.AttributeEncoder) error {
		l.Nested(unix.NFTA_LIST_ELEM, func(e *netlink.AttributeEncoder) error {
			e.Nested(unix.NFTA_SET_ELEM_KEY, func(k *netlink.AttributeEncoder) error {
				k.Bytes(unix.NFTA_DATA_VALUE, key)
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
	return request(unix.NFT_MSG_GETSETELEM, s.Table.Family, 0, attrs), nil
}

// Lookup asks the kernel for one element of a set, so a lookup does not
// read the whole set. It returns the element's remaining time (0: no
// timeout) and whether it exists.
func Lookup(c *netlink.Conn, s *nftables.Set, key []byte) (time.Duration, bool, error) {
	els, err := LookupElems(c, s, [][]byte{key})
	if err != nil || els[0] == nil {
		return 0, false, err
	}
	return els[0].Expires, true, nil
}

// elems calls f with the attributes of each element of a NEWSETELEM
// message's payload.
func elems(b []byte, f func(el *netlink.AttributeDecoder)) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return
	}
	for ad.Next() {
		if ad.Type() != unix.NFTA_SET_ELEM_LIST_ELEMENTS {
			continue
		}
		ad.Nested(func(list *netlink.AttributeDecoder) error {
			for list.Next() {
				list.Nested(func(el *netlink.AttributeDecoder) error {
					f(el)
					return nil
				})
			}
			return nil
		})
	}
}

// LookupMany looks many keys up in one set; found[i] says whether keys[i]
// is in it (see LookupElems).
func LookupMany(c *netlink.Conn, s *nftables.Set, keys [][]byte) ([]bool, error) {
	els, err := LookupElems(c, s, keys)
	if err != nil {
		return nil, err
	}
	found := make([]bool, len(keys))
	for i, e := range els {
		found[i] = e != nil
	}
	return found, nil
}

// LookupElems looks many keys up in one set: one non-dump
// NFT_MSG_GETSETELEM per key, sent in groups (one sendmsg carries a group,
// the kernel answers each request by its sequence number: the element, or
// ENOENT). els[i] is keys[i]'s element, nil when it is not in the set. Each
// lookup costs the kernel the same whatever the set's size, where a dump
// is quadratic in it.
func LookupElems(c *netlink.Conn, s *nftables.Set, keys [][]byte) ([]*Elem, error) {
	const group = 1024
	out := make([]*Elem, len(keys))
	for i := 0; i < len(keys); i += group {
		part := keys[i:min(i+group, len(keys))]
		msgs := make([]netlink.Message, len(part))
		for j, k := range part {
			m, err := elemRequest(s, k)
			if err != nil {
				return nil, err
			}
			msgs[j] = m
		}
		sent, err := c.SendMessages(msgs)
		if err != nil {
			return nil, fmt.Errorf("looking up in set %s: %w", s.Name, err)
		}
		bySeq := make(map[uint32]int, len(sent))
		for j, m := range sent {
			bySeq[m.Header.Sequence] = i + j
		}
		err = ReadRaw(c, func(r syscall.NetlinkMessage) (bool, error) {
			at, ok := bySeq[r.Header.Seq]
			if !ok {
				return false, nil
			}
			delete(bySeq, r.Header.Seq)
			if r.Header.Type == unix.NLMSG_ERROR {
				if e := Errno(r); e != 0 && e != unix.ENOENT {
					return true, fmt.Errorf("looking up in set %s: %w", s.Name, e)
				}
			} else if len(r.Data) >= 4 {
				parseElems(r.Data[4:], func(e Elem) { out[at] = &e })
			}
			return len(bySeq) == 0, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DumpKeys reads a set's keys with an NFT_MSG_GETSETELEM dump, but gives up
// (complete false) past limit elements: the kernel walks a big set again for
// every part of a dump, so reading a million elements takes minutes, while a
// small or empty set is read at once. The dump only advances as it is read,
// so closing the socket ends it.
func DumpKeys(netns int, s *nftables.Set, limit int) (keys [][]byte, complete bool, err error) {
	c, err := Dial(netns, 0)
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
	if _, err := c.Send(request(unix.NFT_MSG_GETSETELEM, s.Table.Family, netlink.Dump, attrs)); err != nil {
		return nil, false, err
	}
	err = ReadRaw(c, func(m syscall.NetlinkMessage) (bool, error) {
		switch m.Header.Type {
		case unix.NLMSG_DONE:
			complete = true
			return true, nil
		case unix.NLMSG_ERROR:
			if e := Errno(m); e != 0 {
				return true, fmt.Errorf("reading set %s: %w", s.Name, e)
			}
			return false, nil
		}
		if len(m.Data) >= 4 {
			elems(m.Data[4:], func(el *netlink.AttributeDecoder) {
				for el.Next() {
					if el.Type() == unix.NFTA_SET_ELEM_KEY {
						el.Nested(func(k *netlink.AttributeDecoder) error {
							for k.Next() {
								if k.Type() == unix.NFTA_DATA_VALUE {
									keys = append(keys, append([]byte(nil), k.Bytes()...))
								}
							}
							return nil
						})
					}
				}
			})
		}
		return len(keys) > limit, nil // past the limit: stop, the socket closes
	})
	if err != nil || !complete {
		return nil, false, err
	}
	return keys, true, nil
}

// SetInfos describes a table's sets by name (their comments, which
// google/nftables v0.3.0 does not decode, and their element counts), read
// with one NFT_MSG_GETSET dump.
func SetInfos(netns int, t *nftables.Table) (map[string]SetInfo, error) {
	c, err := Dial(netns, 0)
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
	replies, err := c.Execute(request(unix.NFT_MSG_GETSET, t.Family, netlink.Dump, attrs))
	if err != nil {
		return nil, fmt.Errorf("reading the sets of table %s: %w", t.Name, err)
	}
	out := map[string]SetInfo{}
	for _, r := range replies {
		if len(r.Data) < 4 {
			continue
		}
		if name, info := parseSet(r.Data); name != "" {
			out[name] = info
		}
	}
	return out, nil
}

// setComment is the comment in a set's user data ("" without one).
func setComment(b []byte) string {
	c, _ := userdata.GetString(b, userdata.NFTNL_UDATA_SET_COMMENT)
	return c
}
