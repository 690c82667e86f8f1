package nft

import (
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// dtype is an nft data type as the nft evaluator knows it: its size, byte
// order, set key type, and the symbolic constants it accepts. The names and
// values are those of nftables' src/datatype.c, src/proto.c, src/meta.c and
// src/ct.c; the byte order decides how constants are laid out in registers.
type dtype struct {
	name  string
	key   nftables.SetDatatype // set key type; TypeInteger when none applies
	bits  int                  // width of the value
	host  bool                 // host byte order (meta and ct integers)
	flags bool                 // bitmask type: a bare constant tests bits
	str   bool                 // string (interface names, helpers)
	syms  map[string]uint64
}

func (d *dtype) bytes() int { return (d.bits + 7) / 8 }

var (
	tInteger8  = &dtype{name: "integer", key: nftables.TypeInteger, bits: 8}
	tInteger16 = &dtype{name: "integer", key: nftables.TypeInteger, bits: 16}
	tInteger32 = &dtype{name: "integer", key: nftables.TypeInteger, bits: 32}
	tHost16    = &dtype{name: "integer", key: nftables.TypeInteger, bits: 16, host: true}
	tHost32    = &dtype{name: "integer", key: nftables.TypeInteger, bits: 32, host: true}
	tHost64    = &dtype{name: "integer", key: nftables.TypeInteger, bits: 64, host: true}
	tIPv4      = &dtype{name: "ipv4_addr", key: nftables.TypeIPAddr, bits: 32}
	tIPv6      = &dtype{name: "ipv6_addr", key: nftables.TypeIP6Addr, bits: 128}
	tEther     = &dtype{name: "ether_addr", key: nftables.TypeEtherAddr, bits: 48}
	tService   = &dtype{name: "inet_service", key: nftables.TypeInetService, bits: 16}
	tIfname    = &dtype{name: "ifname", key: nftables.TypeIFName, bits: 128, str: true}
	tString    = &dtype{name: "string", key: nftables.TypeString, bits: 128, str: true}
	tMark      = &dtype{name: "mark", key: nftables.TypeMark, bits: 32, host: true}
	tIfindex   = &dtype{name: "iface_index", key: nftables.TypeIFIndex, bits: 32, host: true}
	tUID       = &dtype{name: "uid", key: nftables.TypeUID, bits: 32, host: true}
	tGID       = &dtype{name: "gid", key: nftables.TypeGID, bits: 32, host: true}
	tRealm     = &dtype{name: "realm", key: nftables.TypeRealm, bits: 32, host: true}
	tDevgroup  = &dtype{name: "devgroup", key: nftables.TypeDevGroup, bits: 32, host: true}
	tCPU       = tHost32
	tLabel     = &dtype{name: "ct_label", key: nftables.TypeCTLabel, bits: 128, host: true, flags: true}
	tBool      = &dtype{name: "boolean", key: nftables.TypeBoolean, bits: 1,
		syms: map[string]uint64{"exists": 1, "missing": 0, "true": 1, "false": 0}}
	tTimeNS = &dtype{name: "time", key: nftables.TypeTimeDate, bits: 64, host: true}
	tHour   = &dtype{name: "hour", key: nftables.TypeTimeHour, bits: 32, host: true}
	tDay    = &dtype{name: "day", key: nftables.TypeTimeDay, bits: 8,
		syms: map[string]uint64{"Sunday": 0, "Monday": 1, "Tuesday": 2, "Wednesday": 3, "Thursday": 4, "Friday": 5, "Saturday": 6}}
	tPriority     = &dtype{name: "tc_handle", key: nftables.TypeInteger, bits: 32, host: true, syms: map[string]uint64{"none": 0, "root": 0xffffffff}}
	tCTExpiration = &dtype{name: "time", key: nftables.TypeTime, bits: 32, host: true}

	tNFProto = &dtype{name: "nf_proto", key: nftables.TypeNFProto, bits: 8,
		syms: map[string]uint64{"ipv4": unix.NFPROTO_IPV4, "ipv6": unix.NFPROTO_IPV6}}
	tInetProto = &dtype{name: "inet_proto", key: nftables.TypeInetProto, bits: 8, syms: protoNumbers}
	tEtherType = &dtype{name: "ether_type", key: nftables.TypeEtherType, bits: 16,
		syms: map[string]uint64{"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "vlan": 0x8100}}
	tPktType = &dtype{name: "pkt_type", key: nftables.TypePktType, bits: 8,
		syms: map[string]uint64{"host": 0, "unicast": 0, "broadcast": 1, "multicast": 2, "other": 3}}
	tIfType = &dtype{name: "iface_type", key: nftables.TypeARPHRD, bits: 16, host: true,
		syms: map[string]uint64{"ether": 1, "ppp": 512, "ipip": 768, "ipip6": 769, "loopback": 772, "sit": 776, "ipgre": 778}}
	tCTState = &dtype{name: "ct_state", key: nftables.TypeCTState, bits: 32, host: true, flags: true,
		syms: map[string]uint64{"invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64}}
	tCTStatus = &dtype{name: "ct_status", key: nftables.TypeCTStatus, bits: 32, host: true, flags: true,
		syms: map[string]uint64{"expected": 1, "seen-reply": 2, "assured": 4, "confirmed": 8, "snat": 16, "dnat": 32, "dying": 512}}
	tCTDir = &dtype{name: "ct_dir", key: nftables.TypeCTDir, bits: 8,
		syms: map[string]uint64{"original": 0, "reply": 1}}
	tTCPFlag = &dtype{name: "tcp_flag", key: nftables.TypeTCPFlag, bits: 8, flags: true,
		syms: map[string]uint64{"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32, "ecn": 64, "cwr": 128}}
	tICMPType = &dtype{name: "icmp_type", key: nftables.TypeICMPType, bits: 8, syms: map[string]uint64{
		"echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5, "echo-request": 8,
		"router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11, "parameter-problem": 12,
		"timestamp-request": 13, "timestamp-reply": 14, "info-request": 15, "info-reply": 16,
		"address-mask-request": 17, "address-mask-reply": 18}}
	tICMPCode = &dtype{name: "icmp_code", key: nftables.TypeICMPCode, bits: 8, syms: map[string]uint64{
		"net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2, "port-unreachable": 3,
		"frag-needed": 4, "net-prohibited": 9, "host-prohibited": 10, "admin-prohibited": 13}}
	tICMP6Type = &dtype{name: "icmpv6_type", key: nftables.TypeICMP6Type, bits: 8, syms: map[string]uint64{
		"destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4,
		"echo-request": 128, "echo-reply": 129, "mld-listener-query": 130, "mld-listener-report": 131,
		"mld-listener-done": 132, "mld-listener-reduction": 132, "nd-router-solicit": 133, "nd-router-advert": 134,
		"nd-neighbor-solicit": 135, "nd-neighbor-advert": 136, "nd-redirect": 137, "router-renumbering": 138,
		"ind-neighbor-solicit": 141, "ind-neighbor-advert": 142, "mld2-listener-report": 143}}
	tICMP6Code = &dtype{name: "icmpv6_code", key: nftables.TypeICMPV6Code, bits: 8, syms: map[string]uint64{
		"no-route": 0, "admin-prohibited": 1, "addr-unreachable": 3, "port-unreachable": 4,
		"policy-fail": 5, "reject-route": 6}}
	tICMPXCode = &dtype{name: "icmpx_code", key: nftables.TypeICMPXCode, bits: 8, syms: map[string]uint64{
		"no-route": 0, "port-unreachable": 1, "host-unreachable": 2, "admin-prohibited": 3}}
	tDSCP = &dtype{name: "dscp", key: nftables.TypeDSCP, bits: 6, syms: map[string]uint64{
		"cs0": 0, "cs1": 8, "af11": 10, "af12": 12, "af13": 14, "cs2": 16, "af21": 18, "af22": 20, "af23": 22,
		"cs3": 24, "af31": 26, "af32": 28, "af33": 30, "cs4": 32, "af41": 34, "af42": 36, "af43": 38,
		"cs5": 40, "va": 44, "ef": 46, "cs6": 48, "cs7": 56, "le": 1}}
	tECN = &dtype{name: "ecn", key: nftables.TypeECN, bits: 2,
		syms: map[string]uint64{"not-ect": 0, "ect1": 1, "ect0": 2, "ce": 3}}
	tFibAddr = &dtype{name: "fib_addrtype", key: nftables.TypeFIBAddr, bits: 32, host: true, syms: map[string]uint64{
		"unspec": 0, "unicast": 1, "local": 2, "broadcast": 3, "anycast": 4, "multicast": 5,
		"blackhole": 6, "unreachable": 7, "prohibit": 8}}
	tDCCPType = &dtype{name: "dccp_pkttype", key: nftables.TypeDCCPPktType, bits: 4, syms: map[string]uint64{
		"request": 0, "response": 1, "data": 2, "ack": 3, "dataack": 4, "closereq": 5, "close": 6,
		"reset": 7, "sync": 8, "syncack": 9}}
	tMHType = &dtype{name: "mh_type", key: nftables.TypeMHType, bits: 8, syms: map[string]uint64{
		"binding-refresh-request": 0, "home-test-init": 1, "careof-test-init": 2, "home-test": 3,
		"careof-test": 4, "binding-update": 5, "binding-acknowledgement": 6, "binding-error": 7,
		"fast-binding-update": 8, "fast-binding-acknowledgement": 9, "fast-binding-advertisement": 10,
		"experimental-mobility-header": 11, "home-agent-switch-message": 12}}
)

// protoNumbers are the protocol names nft accepts (getprotobyname).
var protoNumbers = map[string]uint64{
	"icmp": 1, "igmp": 2, "ipencap": 4, "tcp": 6, "udp": 17, "dccp": 33, "ipv6": 41, "gre": 47,
	"esp": 50, "ah": 51, "ipv6-icmp": 58, "icmpv6": 58, "pim": 103, "comp": 108, "ipcomp": 108,
	"vrrp": 112, "l2tp": 115, "sctp": 132, "mobility-header": 135, "udplite": 136,
}

// field is a header field: where it is and what it holds. Offsets and
// lengths are in bits from the start of the header.
type field struct {
	base     expr.PayloadBase
	off, len uint32
	dt       *dtype
}

var (
	nh = expr.PayloadBaseNetworkHeader
	th = expr.PayloadBaseTransportHeader
	lh = expr.PayloadBaseLLHeader
)

func ports(extra map[string]field) map[string]field {
	m := map[string]field{"sport": {th, 0, 16, tService}, "dport": {th, 16, 16, tService}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// payloadFields are the header fields by protocol keyword (src/proto.c).
var payloadFields = map[string]map[string]field{
	"ip": {
		"version": {nh, 0, 4, tInteger8}, "hdrlength": {nh, 4, 4, tInteger8}, "dscp": {nh, 8, 6, tDSCP},
		"ecn": {nh, 14, 2, tECN}, "length": {nh, 16, 16, tInteger16}, "id": {nh, 32, 16, tInteger16},
		"frag-off": {nh, 48, 16, tInteger16}, "ttl": {nh, 64, 8, tInteger8}, "protocol": {nh, 72, 8, tInetProto},
		"checksum": {nh, 80, 16, tInteger16}, "saddr": {nh, 96, 32, tIPv4}, "daddr": {nh, 128, 32, tIPv4},
	},
	"ip6": {
		"version": {nh, 0, 4, tInteger8}, "dscp": {nh, 4, 6, tDSCP}, "ecn": {nh, 10, 2, tECN},
		"flowlabel": {nh, 12, 20, tInteger32}, "length": {nh, 32, 16, tInteger16},
		"nexthdr": {nh, 48, 8, tInetProto}, "hoplimit": {nh, 56, 8, tInteger8},
		"saddr": {nh, 64, 128, tIPv6}, "daddr": {nh, 192, 128, tIPv6},
	},
	"tcp": ports(map[string]field{
		"sequence": {th, 32, 32, tInteger32}, "ackseq": {th, 64, 32, tInteger32}, "doff": {th, 96, 4, tInteger8},
		"reserved": {th, 100, 4, tInteger8}, "flags": {th, 104, 8, tTCPFlag}, "window": {th, 112, 16, tInteger16},
		"checksum": {th, 128, 16, tInteger16}, "urgptr": {th, 144, 16, tInteger16},
	}),
	"udp":     ports(map[string]field{"length": {th, 32, 16, tInteger16}, "checksum": {th, 48, 16, tInteger16}}),
	"udplite": ports(map[string]field{"csumcov": {th, 32, 16, tInteger16}, "checksum": {th, 48, 16, tInteger16}}),
	"th":      ports(nil),
	"sctp":    ports(map[string]field{"vtag": {th, 32, 32, tInteger32}, "checksum": {th, 64, 32, tInteger32}}),
	"dccp":    ports(map[string]field{"type": {th, 67, 4, tDCCPType}}),
	"icmp": {
		"type": {th, 0, 8, tICMPType}, "code": {th, 8, 8, tICMPCode}, "checksum": {th, 16, 16, tInteger16},
		"id": {th, 32, 16, tInteger16}, "sequence": {th, 48, 16, tInteger16}, "gateway": {th, 32, 32, tInteger32},
		"mtu": {th, 48, 16, tInteger16},
	},
	"icmpv6": {
		"type": {th, 0, 8, tICMP6Type}, "code": {th, 8, 8, tICMP6Code}, "checksum": {th, 16, 16, tInteger16},
		"parameter-problem": {th, 32, 32, tInteger32}, "mtu": {th, 32, 32, tInteger32},
		"id": {th, 32, 16, tInteger16}, "sequence": {th, 48, 16, tInteger16}, "max-delay": {th, 32, 16, tInteger16},
	},
	"ah": {
		"nexthdr": {th, 0, 8, tInetProto}, "hdrlength": {th, 8, 8, tInteger8}, "reserved": {th, 16, 16, tInteger16},
		"spi": {th, 32, 32, tInteger32}, "sequence": {th, 64, 32, tInteger32},
	},
	"esp":  {"spi": {th, 0, 32, tInteger32}, "sequence": {th, 32, 32, tInteger32}},
	"comp": {"nexthdr": {th, 0, 8, tInetProto}, "flags": {th, 8, 8, tInteger8}, "cpi": {th, 16, 16, tInteger16}},
	"ether": {
		"daddr": {lh, 0, 48, tEther}, "saddr": {lh, 48, 48, tEther}, "type": {lh, 96, 16, tEtherType},
	},
}

// l4Numbers are the protocol numbers transport-header keywords depend on.
var l4Numbers = map[string]uint64{
	"tcp": 6, "udp": 17, "udplite": 136, "sctp": 132, "dccp": 33, "icmp": 1, "icmpv6": 58,
	"ah": 51, "esp": 50, "comp": 108,
}

// metaKey is a meta expression key.
type metaKey struct {
	key expr.MetaKey
	dt  *dtype
}

var metaKeys = map[string]metaKey{
	"length": {expr.MetaKeyLEN, tHost32}, "protocol": {expr.MetaKeyPROTOCOL, tEtherType},
	"priority": {expr.MetaKeyPRIORITY, tPriority}, "mark": {expr.MetaKeyMARK, tMark},
	"iif": {expr.MetaKeyIIF, tIfindex}, "oif": {expr.MetaKeyOIF, tIfindex},
	"iifname": {expr.MetaKeyIIFNAME, tIfname}, "oifname": {expr.MetaKeyOIFNAME, tIfname},
	"iiftype": {expr.MetaKeyIIFTYPE, tIfType}, "oiftype": {expr.MetaKeyOIFTYPE, tIfType},
	"skuid": {expr.MetaKeySKUID, tUID}, "skgid": {expr.MetaKeySKGID, tGID},
	"nftrace": {expr.MetaKeyNFTRACE, tInteger8}, "rtclassid": {expr.MetaKeyRTCLASSID, tRealm},
	"secmark": {expr.MetaKeySECMARK, tHost32}, "nfproto": {expr.MetaKeyNFPROTO, tNFProto},
	"l4proto": {expr.MetaKeyL4PROTO, tInetProto}, "pkttype": {expr.MetaKeyPKTTYPE, tPktType},
	"cpu": {expr.MetaKeyCPU, tCPU}, "iifgroup": {expr.MetaKeyIIFGROUP, tDevgroup},
	"oifgroup": {expr.MetaKeyOIFGROUP, tDevgroup}, "cgroup": {expr.MetaKeyCGROUP, tHost32},
	"random": {expr.MetaKeyPRANDOM, tInteger32}, "secpath": {expr.MetaKey(nftMetaSecpath), tBool},
	"ipsec": {expr.MetaKey(nftMetaSecpath), tBool},
	"time":  {expr.MetaKey(nftMetaTimeNS), tTimeNS}, "day": {expr.MetaKey(nftMetaTimeDay), tDay},
	"hour": {expr.MetaKey(nftMetaTimeHour), tHour},
}

// ctKey is a conntrack expression key; dirDT gives per-family types of
// direction-dependent address keys.
type ctKey struct {
	key expr.CtKey
	dt  *dtype
}

var ctKeys = map[string]ctKey{
	"state": {expr.CtKeySTATE, tCTState}, "direction": {expr.CtKeyDIRECTION, tCTDir},
	"status": {expr.CtKeySTATUS, tCTStatus}, "mark": {expr.CtKeyMARK, tMark},
	"secmark": {expr.CtKeySECMARK, tHost32}, "expiration": {expr.CtKeyEXPIRATION, tCTExpiration},
	"helper": {expr.CtKeyHELPER, tString}, "l3proto": {expr.CtKeyL3PROTOCOL, tNFProto},
	"protocol": {expr.CtKeyPROTOCOL, tInetProto}, "proto-src": {expr.CtKeyPROTOSRC, tService},
	"proto-dst": {expr.CtKeyPROTODST, tService}, "label": {expr.CtKeyLABELS, tLabel},
	"bytes": {expr.CtKeyBYTES, tHost64}, "packets": {expr.CtKeyPKTS, tHost64},
	"avgpkt": {expr.CtKeyAVGPKT, tHost64}, "zone": {expr.CtKeyZONE, tHost16},
	"id": {expr.CtKey(nftCtID), tInteger32},
}

// Kernel enum values golang.org/x/sys/unix does not name
// (include/uapi/linux/netfilter/nf_tables.h).
const (
	nftMetaSecpath  = 25
	nftMetaTimeNS   = 30
	nftMetaTimeDay  = 31
	nftMetaTimeHour = 32
	nftCtSrcIP      = 19
	nftCtDstIP      = 20
	nftCtSrcIP6     = 21
	nftCtDstIP6     = 22
	nftCtID         = 23
	nftRtXfrm       = 4
)
