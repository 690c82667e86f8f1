//go:build linux

package lab

// NFLOG reader: the observer table's "log group" statements send every
// packet they see, with its mark, interfaces and conntrack entry, to an
// nfnetlink_log socket in the firewall namespace (nfnetlink_log.h).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// nfnetlink_log constants (linux/netfilter/nfnetlink_log.h).
const (
	nfnlSubsysULOG  = 4
	nfulnlMsgPacket = 0
	nfulnlMsgConfig = 1

	nfulaPacketHdr = 1
	nfulaMark      = 2
	nfulaIfIn      = 4
	nfulaIfOut     = 5
	nfulaPayload   = 9
	nfulaPrefix    = 10

	nfulaCfgCmd    = 1
	nfulaCfgMode   = 2
	nfulaCfgQThres = 5

	nfulnlCfgCmdBind = 1
	nfulnlCopyPacket = 2

	// ctnetlink (linux/netfilter/nfnetlink_conntrack.h).
	nfnlSubsysCT = 1
	ctMsgNew     = 0
	ctMsgGet     = 1
	ctMsgDelete  = 2

	// ctnetlink attributes inside NFULA_CT (linux/netfilter/nfnetlink_conntrack.h).
	ctaTupleOrig  = 1
	ctaTupleReply = 2
	ctaStatus     = 3
	ctaTimeout    = 7
	ctaMark       = 8
	ctaTupleIP    = 1
	ctaTupleProto = 2
	ctaIPv4Src    = 1
	ctaIPv4Dst    = 2
	ctaIPv6Src    = 3
	ctaIPv6Dst    = 4
	ctaProtoNum   = 1
	ctaProtoSport = 2
	ctaProtoDport = 3
)

// CT is a conntrack entry.
type CT struct {
	Status  uint32 // IPS_* bits (nf_conntrack_common.h): 2 seen reply, 4 assured, 8 confirmed, 16 snat, 32 dnat
	Mark    uint32
	Timeout uint32 // seconds left, as ctnetlink reports it
	// Orig and Reply are the tuples (after NAT, the reply tuple shows it).
	Orig, Reply Tuple
}

// Tuple is one direction of a connection.
type Tuple struct {
	Src, Dst     netip.Addr
	Proto        uint8
	Sport, Dport uint16
}

// nflogOpen binds group on a netfilter netlink socket in namespace fd: whole
// packets, one message per packet. (Conntrack entries are read with a
// ctnetlink dump instead of NFULA_CT, which needs a kernel built with
// CONFIG_NETFILTER_NETLINK_GLUE_CT.)
func nflogOpen(fd int, group uint16) (*netlink.Conn, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: fd})
	if err != nil {
		return nil, fmt.Errorf("lab: nflog socket: %w", err)
	}
	// A big receive buffer (forced: root may exceed rmem_max): each
	// message takes a whole nlbufsiz skb, and a default buffer holds only
	// a couple of dozen; an overflow loses messages (ENOBUFS).
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20) })
	}
	cfg := func(attrs ...netlink.Attribute) error {
		data, err := netlink.MarshalAttributes(attrs)
		if err != nil {
			return err
		}
		hdr := []byte{unix.AF_UNSPEC, 0, byte(group >> 8), byte(group)} // nfgenmsg: res_id is the group, big-endian
		_, err = c.Execute(netlink.Message{
			Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysULOG<<8 | nfulnlMsgConfig), Flags: netlink.Request | netlink.Acknowledge},
			Data:   append(hdr, data...),
		})
		return err
	}
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	mode := append(be32(0xffff), nfulnlCopyPacket, 0)
	for _, step := range [][]netlink.Attribute{
		{{Type: nfulaCfgCmd, Data: []byte{nfulnlCfgCmdBind}}},
		{{Type: nfulaCfgMode, Data: mode}},
		{{Type: nfulaCfgQThres, Data: be32(1)}},
	} {
		if err := cfg(step...); err != nil {
			c.Close()
			return nil, fmt.Errorf("lab: configuring nflog group %d: %w", group, err)
		}
	}
	return c, nil
}

// logMsg is one decoded NFLOG packet message.
type logMsg struct {
	prefix  string
	hook    uint8
	mark    uint32
	in, out uint32 // ifindexes
	payload []byte
}

func parseLog(m netlink.Message) (logMsg, error) {
	var l logMsg
	if m.Header.Type != netlink.HeaderType(nfnlSubsysULOG<<8|nfulnlMsgPacket) || len(m.Data) < 4 {
		return l, errors.New("not an nflog packet")
	}
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return l, err
	}
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		switch ad.Type() {
		case nfulaPacketHdr:
			if b := ad.Bytes(); len(b) >= 3 {
				l.hook = b[2]
			}
		case nfulaMark:
			l.mark = ad.Uint32()
		case nfulaIfIn:
			l.in = ad.Uint32()
		case nfulaIfOut:
			l.out = ad.Uint32()
		case nfulaPayload:
			l.payload = append([]byte(nil), ad.Bytes()...)
		case nfulaPrefix:
			l.prefix = trimNul(ad.String())
		}
	}
	return l, ad.Err()
}

func trimNul(s string) string {
	for len(s) > 0 && s[len(s)-1] == 0 {
		s = s[:len(s)-1]
	}
	return s
}

func parseCT(ad *netlink.AttributeDecoder, ct *CT) error {
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		switch ad.Type() {
		case ctaStatus:
			ct.Status = ad.Uint32()
		case ctaMark:
			ct.Mark = ad.Uint32()
		case ctaTimeout:
			ct.Timeout = ad.Uint32()
		case ctaTupleOrig:
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseTuple(nad, &ct.Orig) })
		case ctaTupleReply:
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseTuple(nad, &ct.Reply) })
		}
	}
	return nil
}

func parseTuple(ad *netlink.AttributeDecoder, t *Tuple) error {
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		switch ad.Type() {
		case ctaTupleIP:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					a, _ := netip.AddrFromSlice(nad.Bytes())
					switch nad.Type() {
					case ctaIPv4Src, ctaIPv6Src:
						t.Src = a
					case ctaIPv4Dst, ctaIPv6Dst:
						t.Dst = a
					}
				}
				return nil
			})
		case ctaTupleProto:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				nad.ByteOrder = binary.BigEndian
				for nad.Next() {
					switch nad.Type() {
					case ctaProtoNum:
						t.Proto = nad.Uint8()
					case ctaProtoSport:
						t.Sport = nad.Uint16()
					case ctaProtoDport:
						t.Dport = nad.Uint16()
					}
				}
				return nil
			})
		}
	}
	return nil
}

// ctDump lists the conntrack table of namespace fd through ctnetlink.
func ctDump(c *netlink.Conn) ([]CT, error) {
	msgs, err := c.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysCT<<8 | ctMsgGet), Flags: netlink.Request | netlink.Dump},
		Data:   []byte{unix.AF_UNSPEC, 0, 0, 0},
	})
	if err != nil {
		return nil, fmt.Errorf("lab: conntrack dump: %w", err)
	}
	var out []CT
	for _, m := range msgs {
		if m.Header.Type != netlink.HeaderType(nfnlSubsysCT<<8|ctMsgNew) || len(m.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return nil, err
		}
		var ct CT
		if err := parseCT(ad, &ct); err != nil {
			return nil, err
		}
		out = append(out, ct)
	}
	return out, nil
}

// ctaProtoICMP* are the ICMP (4-6) and ICMPv6 (7-9) fields of a tuple.
const (
	ctaProtoICMPID   = 4
	ctaProtoICMPType = 5
	ctaProtoICMPCode = 6
	ctaProtoICMP6ID  = 7
)

// ctLookup is a tuple the kernel can look a conntrack entry up by.
type ctLookup struct {
	v6               bool
	src, dst         []byte
	proto            uint8
	sport, dport     uint16
	icmpID           uint16
	icmpType, icmpCo uint8
}

// ctGet asks for the entry one of whose tuples is t (one hash lookup in
// the kernel, where a dump walks the whole, global, conntrack table): nil
// when there is none.
func ctGet(c *netlink.Conn, t ctLookup) (*CT, error) { return ctRequest(c, t, ctMsgGet) }

// ctDelete removes the entry one of whose tuples is t, if there is one.
func ctDelete(c *netlink.Conn, t ctLookup) error {
	_, err := ctRequest(c, t, ctMsgDelete)
	return err
}

func ctRequest(c *netlink.Conn, t ctLookup, op int) (*CT, error) {
	be16 := func(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
	srcT, dstT := uint16(ctaIPv4Src), uint16(ctaIPv4Dst)
	fam := byte(unix.AF_INET)
	if t.v6 {
		srcT, dstT, fam = ctaIPv6Src, ctaIPv6Dst, unix.AF_INET6
	}
	ip, err := netlink.MarshalAttributes([]netlink.Attribute{{Type: srcT, Data: t.src}, {Type: dstT, Data: t.dst}})
	if err != nil {
		return nil, err
	}
	pa := []netlink.Attribute{{Type: ctaProtoNum, Data: []byte{t.proto}}}
	switch t.proto {
	case 1:
		pa = append(pa, netlink.Attribute{Type: ctaProtoICMPID, Data: be16(t.icmpID)},
			netlink.Attribute{Type: ctaProtoICMPType, Data: []byte{t.icmpType}}, netlink.Attribute{Type: ctaProtoICMPCode, Data: []byte{t.icmpCo}})
	case 58:
		pa = append(pa, netlink.Attribute{Type: ctaProtoICMP6ID, Data: be16(t.icmpID)},
			netlink.Attribute{Type: ctaProtoICMP6ID + 1, Data: []byte{t.icmpType}}, netlink.Attribute{Type: ctaProtoICMP6ID + 2, Data: []byte{t.icmpCo}})
	default:
		pa = append(pa, netlink.Attribute{Type: ctaProtoSport, Data: be16(t.sport)}, netlink.Attribute{Type: ctaProtoDport, Data: be16(t.dport)})
	}
	proto, err := netlink.MarshalAttributes(pa)
	if err != nil {
		return nil, err
	}
	tuple, err := netlink.MarshalAttributes([]netlink.Attribute{{Type: ctaTupleIP | unix.NLA_F_NESTED, Data: ip}, {Type: ctaTupleProto | unix.NLA_F_NESTED, Data: proto}})
	if err != nil {
		return nil, err
	}
	data, err := netlink.MarshalAttributes([]netlink.Attribute{{Type: ctaTupleOrig | unix.NLA_F_NESTED, Data: tuple}})
	if err != nil {
		return nil, err
	}
	msgs, err := c.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(nfnlSubsysCT<<8 | op), Flags: netlink.Request | netlink.Acknowledge},
		Data:   append([]byte{fam, 0, 0, 0}, data...),
	})
	if err != nil {
		var oe *netlink.OpError
		if errors.As(err, &oe) && (errors.Is(oe.Err, unix.ENOENT) || errors.Is(oe.Err, unix.EINVAL)) {
			return nil, nil
		}
		return nil, fmt.Errorf("lab: conntrack lookup: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type != netlink.HeaderType(nfnlSubsysCT<<8|ctMsgNew) || len(m.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return nil, err
		}
		var ct CT
		if err := parseCT(ad, &ct); err != nil {
			return nil, err
		}
		return &ct, nil
	}
	return nil, nil
}
