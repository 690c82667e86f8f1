// Package desc is xt2nft's one description of what nft knows: its data
// types (width, byte order, symbolic constants), the protocol headers and
// their fields (offset, length, type), IPv6 extension headers, TCP options
// and SCTP chunks, and the meta, ct, socket, rt, fib and ipsec keys. It
// plays the part of nftables' own templates (src/proto.c proto_hdr_template,
// src/meta.c, src/ct.c, src/datatype.c), which serve nft's parser, printer
// and linearizer at once: here the translator builds IR leaves that point
// at these descriptors, the renderer prints their names, the netlink
// lowering (backend/nft) reads their offsets and key numbers, and tests
// craft packets from the same offsets. Nothing outside this package spells
// a field or a key as a string to be looked up again.
//
// The package knows no netlink: key numbers are the kernel's NFT_META_*,
// NFT_CT_* ... values and type IDs nft's TYPE_* values, as plain integers.
package desc
