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
	buf    []byte // reused between reads
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
	if cap(r.buf) < entriesHdr+int(size) {
		r.buf = make([]byte, entriesHdr+int(size))
	}
	buf := r.buf[:entriesHdr+int(size)]
	clear(buf[:entriesHdr])
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

// nftReader dumps the rules of a lab's namespace over netlink: its own
// socket and buffer, the messages walked in place (a dump per probe of a
// big ruleset is most of verify's CPU time otherwise).
type nftReader struct {
	fd    int
	buf   []byte
	seq   uint32
	out   map[nftChain][][]uint64
	names map[string]string
	spare []uint64
}

func newNFTReader(ns *lab.NS) (*nftReader, error) {
	r := &nftReader{fd: -1, buf: make([]byte, 1<<20), out: map[nftChain][][]uint64{}, names: map[string]string{}}
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
		if err != nil {
			return fmt.Errorf("verify: nftables netlink socket: %w", err)
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
		r.fd = fd
		return unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	})
	if err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *nftReader) close() {
	if r.fd >= 0 {
		unix.Close(r.fd)
	}
}

// nfproto numbers of table families.
var nfFamilies = map[uint8]translate.Family{unix.NFPROTO_IPV4: translate.FamilyIP, unix.NFPROTO_IPV6: translate.FamilyIP6, unix.NFPROTO_INET: translate.FamilyInet}

// read returns, per chain, every rule's top-level counters (packets), in
// rule order: of every chain, or with only set, of those chains alone
// (one dump each, the kernel walking that chain only). The slices are the
// reader's: valid until the next read.
func (r *nftReader) read(only []nftChain) (map[nftChain][][]uint64, error) {
	for k, v := range r.out {
		r.out[k] = v[:0]
	}
	if only == nil {
		return r.out, r.dump(nil)
	}
	for i := range only {
		if err := r.dump(&only[i]); err != nil {
			return nil, err
		}
	}
	return r.out, nil
}

// nfprotos are the nfproto numbers of table families.
var nfprotos = map[translate.Family]uint8{translate.FamilyIP: unix.NFPROTO_IPV4, translate.FamilyIP6: unix.NFPROTO_IPV6, translate.FamilyInet: unix.NFPROTO_INET}

// dump asks for the rules (of one chain, when set) and records them.
func (r *nftReader) dump(c *nftChain) error {
	r.seq++
	req := make([]byte, 20, 64)
	if c != nil {
		req[16] = nfprotos[c.fam]
		for _, a := range []struct {
			t uint16
			v string
		}{{unix.NFTA_RULE_TABLE, c.table}, {unix.NFTA_RULE_CHAIN, c.chain}} {
			l := 4 + len(a.v) + 1
			h := make([]byte, (l+3)&^3)
			binary.NativeEndian.PutUint16(h, uint16(l))
			binary.NativeEndian.PutUint16(h[2:], a.t)
			copy(h[4:], a.v)
			req = append(req, h...)
		}
	}
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_GETRULE)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], r.seq)
	if err := unix.Sendto(r.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("verify: listing nft rules: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return fmt.Errorf("verify: listing nft rules: %w", err)
		}
		b := r.buf[:n]
		for len(b) >= 16 {
			l := int(binary.NativeEndian.Uint32(b))
			if l < 16 || l > len(b) {
				return errors.New("verify: malformed netlink message")
			}
			typ := binary.NativeEndian.Uint16(b[4:])
			switch typ {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if l >= 20 {
					if e := int32(binary.NativeEndian.Uint32(b[16:])); e != 0 {
						return fmt.Errorf("verify: listing nft rules: %w", unix.Errno(-e))
					}
				}
				return nil
			}
			r.rule(b[16:l])
			b = b[(l+3)&^3:]
		}
	}
}

// rule records one NEWRULE message: family, table, chain, counters.
func (r *nftReader) rule(m []byte) {
	if len(m) < 4 {
		return
	}
	fam, ok := nfFamilies[m[0]]
	if !ok {
		return
	}
	var table, chain []byte
	ctrs := r.spare[:0]
	attrs(m[4:], func(t uint16, v []byte) {
		switch t {
		case unix.NFTA_RULE_TABLE:
			table = cbytes(v)
		case unix.NFTA_RULE_CHAIN:
			chain = cbytes(v)
		case unix.NFTA_RULE_EXPRESSIONS:
			attrs(v, func(_ uint16, elem []byte) {
				var name []byte
				attrs(elem, func(t uint16, v []byte) {
					switch t {
					case unix.NFTA_EXPR_NAME:
						name = cbytes(v)
					case unix.NFTA_EXPR_DATA:
						if string(name) == "counter" {
							attrs(v, func(t uint16, v []byte) {
								if t == unix.NFTA_COUNTER_PACKETS && len(v) == 8 {
									ctrs = append(ctrs, binary.BigEndian.Uint64(v))
								}
							})
						}
					}
				})
			})
		}
	})
	key := nftChain{fam, r.intern(table), r.intern(chain)}
	rules := r.out[key]
	if n := len(rules); n < cap(rules) {
		// Reuse the slice this rule had the last time.
		rules = rules[:n+1]
		rules[n] = append(rules[n][:0], ctrs...)
	} else {
		rules = append(rules, append([]uint64(nil), ctrs...))
	}
	r.out[key] = rules
	r.spare = ctrs
}

// intern returns a string of b without allocating for names seen before.
func (r *nftReader) intern(b []byte) string {
	if s, ok := r.names[string(b)]; ok {
		return s
	}
	s := string(b)
	r.names[s] = s
	return s
}

// attrs calls fn for every netlink attribute in b (type without flags).
func attrs(b []byte, fn func(uint16, []byte)) {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		if l < 4 || l > len(b) {
			return
		}
		fn(binary.NativeEndian.Uint16(b[2:])&0x3fff, b[4:l])
		b = b[min((l+3)&^3, len(b)):]
	}
}

// cbytes is a NUL-terminated string's bytes.
func cbytes(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}
