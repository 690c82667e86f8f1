package nft

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/translate/desc"
)

// google/nftables v0.3.0 encodes a ct expression's direction only for the
// keys saddr, daddr, proto-src and proto-dst. The other keys a direction
// applies to, among them the address keys that name their family (ct original ip saddr, ct reply ip6 daddr: NFT_CT_SRC_IP and
// the like, which an inet table needs, and which the kernel refuses
// without a direction) are lowered with the direction marked in the key
// (ctDirKey), and the rule encoder (exprenc.go) turns the mark into the key
// and its NFTA_CT_DIRECTION attribute; ctDirection does the same to an
// expression google/nftables encoded (the encoder's tests compare the two). A key still marked when it
// reaches the kernel is one the kernel does not know: the rule is refused,
// never loaded with another meaning.

// ctDirKeys are the keys that go through the mark: the family-named
// addresses, and the counts and zone a direction selects (ct original
// packets, -m connbytes --connbytes-dir original).
var ctDirKeys = map[*desc.CTKey]bool{desc.CTIPSaddr: true, desc.CTIPDaddr: true, desc.CTIP6Saddr: true, desc.CTIP6Daddr: true,
	desc.CTPackets: true, desc.CTBytes: true, desc.CTAvgpkt: true, desc.CTZone: true}

// ctDirKey is key k marked with direction dir (0 original, 1 reply).
func ctDirKey(k uint32, dir uint8) uint32 { return k | uint32(dir+1)<<8 }

// ctMarked reports whether a ct key carries the mark.
func ctMarked(k uint32) bool { return k > 0xff }

// ctDirection rewrites one encoded ct expression (the attributes of an
// NFTA_LIST_ELEM: NFTA_EXPR_NAME "ct", NFTA_EXPR_DATA) whose key is marked
// into the key and its direction.
func ctDirection(elem []byte) []byte {
	isCt := false
	rewriteAttrs(elem, func(t uint16, v []byte) []byte {
		isCt = isCt || t&0x3fff == unix.NFTA_EXPR_NAME && string(v) == "ct\x00"
		return v
	})
	if !isCt {
		return elem
	}
	return rewriteAttrs(elem, func(t uint16, data []byte) []byte {
		if t&0x3fff != unix.NFTA_EXPR_DATA {
			return data
		}
		dir := -1
		out := rewriteAttrs(data, func(t uint16, v []byte) []byte {
			if t&0x3fff == unix.NFTA_CT_KEY && len(v) == 4 {
				if k := binary.BigEndian.Uint32(v); ctMarked(k) {
					dir = int(k>>8) - 1
					return binary.BigEndian.AppendUint32(nil, k&0xff)
				}
			}
			return v
		})
		if dir < 0 {
			return data
		}
		return appendAttr(out, unix.NFTA_CT_DIRECTION, []byte{byte(dir)})
	})
}

// rewriteAttrs returns the netlink attributes in b with each value
// replaced by f(type, value) (the type keeps its flag bits); malformed
// input is returned as it is.
func rewriteAttrs(b []byte, f func(typ uint16, val []byte) []byte) []byte {
	var out []byte
	rest := b
	for len(rest) >= 4 {
		l := int(binary.NativeEndian.Uint16(rest[0:2]))
		typ := binary.NativeEndian.Uint16(rest[2:4])
		if l < 4 || l > len(rest) {
			return b
		}
		out = appendAttr(out, typ, f(typ, rest[4:l]))
		rest = rest[min((l+3)&^3, len(rest)):]
	}
	return out
}
