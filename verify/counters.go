//go:build linux

package verify

// Per-rule packet counters, read straight from the kernel after every
// probe: iptables-legacy's with the getsockopt iptables-save itself uses
// (IPT_SO_GET_ENTRIES: one call per table, no process started), nft's
// with one netlink dump of every rule.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// xtChain names an iptables chain.
type xtChain struct {
	fam   parser.Family
	table string
	chain string
}

// legacyReader reads iptables-legacy counters in a lab's namespace.
type legacyReader struct {
	fd     [2]int // raw sockets of the namespace (IPv4, IPv6)
	tables map[parser.Family][]string
}

// ip_tables.h / ip6_tables.h layouts (checked against the kernel headers).
const (
	soGetInfo    = 64 // IPT_SO_GET_INFO, IP6T_SO_GET_INFO
	soGetEntries = 65
	infoSize     = 84
	infoHooks    = 36
	infoUnder    = 56
	infoSizeOff  = 80
	entriesHdr   = 40
)

// entryLayout is where an ipt_entry / ip6t_entry keeps its offsets and
// counters.
type entryLayout struct{ targetOff, nextOff, counters int }

var layouts = [2]entryLayout{{88, 90, 96}, {140, 142, 152}}

var hookNames = [5]string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}

func newLegacyReader(ns *lab.NS, tables map[parser.Family][]string) (*legacyReader, error) {
	r := &legacyReader{fd: [2]int{-1, -1}, tables: tables}
	err := ns.Do(func() error {
		for i, fam := range []int{unix.AF_INET, unix.AF_INET6} {
			fd, err := unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
			if err != nil {
				return fmt.Errorf("verify: raw socket for counters: %w", err)
			}
			r.fd[i] = fd
		}
		return nil
	})
	if err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *legacyReader) close() {
	for _, fd := range r.fd {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// read returns the packet counters of every rule of the loaded tables.
func (r *legacyReader) read() (map[xtChain][]uint64, error) {
	out := map[xtChain][]uint64{}
	for fam, tables := range r.tables {
		for _, t := range tables {
			if err := r.readTable(fam, t, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func getsockopt(fd, level, opt int, buf []byte) error {
	n := uint32(len(buf))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return e
	}
	return nil
}

func (r *legacyReader) readTable(fam parser.Family, table string, out map[xtChain][]uint64) error {
	i, level := 0, unix.IPPROTO_IP
	if fam == parser.IPv6 {
		i, level = 1, unix.IPPROTO_IPV6
	}
	info := make([]byte, infoSize)
	copy(info, table)
	if err := getsockopt(r.fd[i], level, soGetInfo, info); err != nil {
		return fmt.Errorf("verify: reading the %s %s table: %w", fam, table, err)
	}
	le := binary.NativeEndian
	size := le.Uint32(info[infoSizeOff:])
	buf := make([]byte, entriesHdr+int(size))
	copy(buf, table)
	le.PutUint32(buf[32:], size)
	if err := getsockopt(r.fd[i], level, soGetEntries, buf); err != nil {
		return fmt.Errorf("verify: reading the %s %s table: %w", fam, table, err)
	}
	var hooks, under [5]uint32
	valid := le.Uint32(info[32:])
	for h := 0; h < 5; h++ {
		hooks[h], under[h] = le.Uint32(info[infoHooks+4*h:]), le.Uint32(info[infoUnder+4*h:])
	}
	return decodeEntries(buf[entriesHdr:], layouts[i], valid, hooks, under, func(chain string, pkts []uint64) {
		out[xtChain{fam, table, chain}] = pkts
	})
}

// decodeEntries walks a table blob: built-in chains run from their hook
// entry to their policy (underflow), user chains from after their ERROR
// entry (which names them) to the RETURN that ends them.
func decodeEntries(b []byte, l entryLayout, valid uint32, hooks, under [5]uint32, emit func(string, []uint64)) error {
	le := binary.NativeEndian
	type entry struct {
		off    uint32
		target string
		data   []byte
		pkts   uint64
	}
	var es []entry
	for off := 0; off < len(b); {
		if off+l.counters+16 > len(b) {
			return errors.New("verify: truncated iptables table")
		}
		to, next := int(le.Uint16(b[off+l.targetOff:])), int(le.Uint16(b[off+l.nextOff:]))
		if next == 0 || to+32 > next {
			return errors.New("verify: malformed iptables table")
		}
		tgt := b[off+to : off+next]
		es = append(es, entry{off: uint32(off), target: cstring(tgt[2:31]), data: tgt[32:], pkts: le.Uint64(b[off+l.counters:])})
		off += next
	}
	idx := map[uint32]int{}
	for i, e := range es {
		idx[e.off] = i
	}
	for h := 0; h < 5; h++ {
		if valid&(1<<h) == 0 {
			continue
		}
		from, to := idx[hooks[h]], idx[under[h]]
		var pkts []uint64
		for _, e := range es[from:to] {
			pkts = append(pkts, e.pkts)
		}
		emit(hookNames[h], pkts)
	}
	for i, e := range es {
		if e.target != "ERROR" || cstring(e.data) == "ERROR" {
			continue
		}
		end := i + 1
		for end < len(es) && es[end].target != "ERROR" {
			end++
		}
		var pkts []uint64
		for _, x := range es[i+1 : end-1] { // the last entry is the chain's RETURN
			pkts = append(pkts, x.pkts)
		}
		emit(cstring(e.data), pkts)
	}
	return nil
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// nftChain names an nft chain as the kernel lists it.
type nftChain struct {
	fam   translate.Family
	table string
	chain string
}

// nftReader dumps the rules of a lab's namespace over netlink.
type nftReader struct {
	c *netlink.Conn
}

func newNFTReader(ns *lab.NS) (*nftReader, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: ns.Fd()})
	if err != nil {
		return nil, fmt.Errorf("verify: nftables netlink socket: %w", err)
	}
	_ = c.SetReadBuffer(8 << 20)
	return &nftReader{c: c}, nil
}

func (r *nftReader) close() { r.c.Close() }

// nfproto numbers of table families.
var nfFamilies = map[uint8]translate.Family{unix.NFPROTO_IPV4: translate.FamilyIP, unix.NFPROTO_IPV6: translate.FamilyIP6, unix.NFPROTO_INET: translate.FamilyInet}

// read returns, per chain, every rule's top-level counters (packets), in
// rule order.
func (r *nftReader) read() (map[nftChain][][]uint64, error) {
	msgs, err := r.c.Execute(netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETRULE), Flags: netlink.Request | netlink.Dump},
		Data:   []byte{unix.AF_UNSPEC, 0, 0, 0},
	})
	if err != nil {
		return nil, fmt.Errorf("verify: listing nft rules: %w", err)
	}
	out := map[nftChain][][]uint64{}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		fam, ok := nfFamilies[m.Data[0]]
		if !ok {
			continue
		}
		var key nftChain
		key.fam = fam
		var ctrs []uint64
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return nil, err
		}
		for ad.Next() {
			switch ad.Type() {
			case unix.NFTA_RULE_TABLE:
				key.table = ad.String()
			case unix.NFTA_RULE_CHAIN:
				key.chain = ad.String()
			case unix.NFTA_RULE_EXPRESSIONS:
				ad.Nested(func(nd *netlink.AttributeDecoder) error {
					for nd.Next() {
						nd.Nested(func(ed *netlink.AttributeDecoder) error {
							name := ""
							for ed.Next() {
								switch ed.Type() {
								case unix.NFTA_EXPR_NAME:
									name = ed.String()
								case unix.NFTA_EXPR_DATA:
									if name == "counter" {
										ed.Nested(func(cd *netlink.AttributeDecoder) error {
											cd.ByteOrder = binary.BigEndian
											for cd.Next() {
												if cd.Type() == unix.NFTA_COUNTER_PACKETS {
													ctrs = append(ctrs, cd.Uint64())
												}
											}
											return nil
										})
									}
								}
							}
							return nil
						})
					}
					return nil
				})
			}
		}
		if err := ad.Err(); err != nil {
			return nil, err
		}
		out[key] = append(out[key], ctrs)
	}
	return out, nil
}
