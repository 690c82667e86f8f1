package desc

import (
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/ipproto"
)

// Type is an nft data type (nftables' src/datatype.c): how wide a value
// is, its byte order in registers, whether a bare constant tests bits, and
// the symbolic constants it accepts. The byte order decides how constants
// are laid out; Flags types make `ct state established,related` a bit test.
type Type struct {
	Name  string            // nft's name, as in `type ipv4_addr` of a set
	ID    uint32            // nft's TYPE_* number (set key types, typeof)
	Bits  int               // width of a value
	Host  bool              // host byte order (meta and ct integers)
	Flags bool              // bitmask type: a bare constant tests bits
	Str   bool              // string (interface names, helpers)
	Syms  map[string]uint64 // symbolic constants
}

// Bytes is the width of a value in bytes.
func (t *Type) Bytes() int { return (t.Bits + 7) / 8 }

// Symbol resolves a symbolic constant of the type; a number written as a
// word (0x10, 5) is accepted for every type, as nft accepts it.
func (t *Type) Symbol(name string) (uint64, bool) {
	if n, ok := t.Syms[name]; ok {
		return n, true
	}
	if t == Priority {
		// tc handle MAJOR:MINOR, both hexadecimal
		if maj, minor, ok := strings.Cut(name, ":"); ok {
			a, err1 := strconv.ParseUint(maj, 16, 16)
			b, err2 := strconv.ParseUint(minor, 16, 16)
			if err1 == nil && err2 == nil {
				return a<<16 | b, true
			}
		}
	}
	if n, err := strconv.ParseUint(name, 0, 64); err == nil {
		return n, true
	}
	return 0, false
}

func (t *Type) String() string { return t.Name }

// nft's TYPE_* numbers (src/datatype.h enum datatypes).
const (
	idInteger     = 4
	idString      = 5
	idIPv4Addr    = 7
	idIPv6Addr    = 8
	idEtherAddr   = 9
	idEtherType   = 10
	idInetProto   = 12
	idInetService = 13
	idICMPType    = 14
	idTCPFlag     = 15
	idDCCPPktType = 16
	idMHType      = 17
	idTime        = 18
	idMark        = 19
	idIfIndex     = 20
	idARPHRD      = 21
	idRealm       = 22
	idUID         = 24
	idGID         = 25
	idCTState     = 26
	idCTDir       = 27
	idCTStatus    = 28
	idICMP6Type   = 29
	idCTLabel     = 30
	idPktType     = 31
	idICMPCode    = 32
	idICMP6Code   = 33
	idICMPXCode   = 34
	idDevGroup    = 35
	idDSCP        = 36
	idECN         = 37
	idFIBAddr     = 38
	idBoolean     = 39
	idIFName      = 41
	idTimeDate    = 43
	idTimeHour    = 44
	idTimeDay     = 45
	idNFProto     = 2
	idVerdict     = 1
)

// The data types. Integer widths matter for constants; the set key type of
// every integer is nft's "integer".
var (
	Integer8  = &Type{Name: "integer", ID: idInteger, Bits: 8}
	Integer16 = &Type{Name: "integer", ID: idInteger, Bits: 16}
	Integer32 = &Type{Name: "integer", ID: idInteger, Bits: 32}
	Host16    = &Type{Name: "integer", ID: idInteger, Bits: 16, Host: true}
	Host32    = &Type{Name: "integer", ID: idInteger, Bits: 32, Host: true}
	Host64    = &Type{Name: "integer", ID: idInteger, Bits: 64, Host: true}

	IPv4Addr    = &Type{Name: "ipv4_addr", ID: idIPv4Addr, Bits: 32}
	IPv6Addr    = &Type{Name: "ipv6_addr", ID: idIPv6Addr, Bits: 128}
	EtherAddr   = &Type{Name: "ether_addr", ID: idEtherAddr, Bits: 48}
	InetService = &Type{Name: "inet_service", ID: idInetService, Bits: 16}
	Ifname      = &Type{Name: "ifname", ID: idIFName, Bits: 128, Str: true}
	String      = &Type{Name: "string", ID: idString, Bits: 128, Str: true}
	Mark        = &Type{Name: "mark", ID: idMark, Bits: 32, Host: true}
	IfIndex     = &Type{Name: "iface_index", ID: idIfIndex, Bits: 32, Host: true}
	UID         = &Type{Name: "uid", ID: idUID, Bits: 32, Host: true}
	GID         = &Type{Name: "gid", ID: idGID, Bits: 32, Host: true}
	Realm       = &Type{Name: "realm", ID: idRealm, Bits: 32, Host: true}
	Devgroup    = &Type{Name: "devgroup", ID: idDevGroup, Bits: 32, Host: true}
	CTLabelType = &Type{Name: "ct_label", ID: idCTLabel, Bits: 128, Host: true, Flags: true}
	Boolean     = &Type{Name: "boolean", ID: idBoolean, Bits: 1,
		Syms: map[string]uint64{"exists": 1, "missing": 0, "true": 1, "false": 0}}
	// TimeNS is meta time: nanoseconds since the epoch.
	TimeNS = &Type{Name: "time", ID: idTimeDate, Bits: 64, Host: true}
	// Hour is meta hour: seconds since midnight, UTC.
	Hour = &Type{Name: "hour", ID: idTimeHour, Bits: 32, Host: true}
	Day  = &Type{Name: "day", ID: idTimeDay, Bits: 8,
		Syms: map[string]uint64{"Sunday": 0, "Monday": 1, "Tuesday": 2, "Wednesday": 3, "Thursday": 4, "Friday": 5, "Saturday": 6}}
	// Priority is meta priority, a tc handle.
	Priority = &Type{Name: "tc_handle", ID: idInteger, Bits: 32, Host: true, Syms: map[string]uint64{"none": 0, "root": 0xffffffff}}
	// CTExpirationType is ct expiration: milliseconds.
	CTExpirationType = &Type{Name: "time", ID: idTime, Bits: 32, Host: true}

	// Verdict is the value type of a verdict map (accept, drop, jump CHAIN).
	Verdict = &Type{Name: "verdict", ID: idVerdict}

	NFProto = &Type{Name: "nf_proto", ID: idNFProto, Bits: 8,
		Syms: map[string]uint64{"ipv4": NFProtoIPv4, "ipv6": NFProtoIPv6}}
	InetProto = &Type{Name: "inet_proto", ID: idInetProto, Bits: 8, Syms: inetProtoNames}
	EtherType = &Type{Name: "ether_type", ID: idEtherType, Bits: 16,
		Syms: map[string]uint64{"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "vlan": 0x8100}}
	PktType = &Type{Name: "pkt_type", ID: idPktType, Bits: 8,
		Syms: map[string]uint64{"host": 0, "unicast": 0, "broadcast": 1, "multicast": 2, "other": 3}}
	IfType = &Type{Name: "iface_type", ID: idARPHRD, Bits: 16, Host: true,
		Syms: map[string]uint64{"ether": 1, "ppp": 512, "ipip": 768, "ipip6": 769, "loopback": 772, "sit": 776, "ipgre": 778}}
	CTStateType = &Type{Name: "ct_state", ID: idCTState, Bits: 32, Host: true, Flags: true,
		Syms: map[string]uint64{"invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64}}
	CTStatusType = &Type{Name: "ct_status", ID: idCTStatus, Bits: 32, Host: true, Flags: true,
		Syms: map[string]uint64{"expected": 1, "seen-reply": 2, "assured": 4, "confirmed": 8, "snat": 16, "dnat": 32, "dying": 512}}
	CTDirType = &Type{Name: "ct_dir", ID: idCTDir, Bits: 8,
		Syms: map[string]uint64{"original": 0, "reply": 1}}
	TCPFlag = &Type{Name: "tcp_flag", ID: idTCPFlag, Bits: 8, Flags: true,
		Syms: map[string]uint64{"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32, "ecn": 64, "cwr": 128}}
	ICMPType = &Type{Name: "icmp_type", ID: idICMPType, Bits: 8, Syms: map[string]uint64{
		"echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5, "echo-request": 8,
		"router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11, "parameter-problem": 12,
		"timestamp-request": 13, "timestamp-reply": 14, "info-request": 15, "info-reply": 16,
		"address-mask-request": 17, "address-mask-reply": 18}}
	ICMPCode = &Type{Name: "icmp_code", ID: idICMPCode, Bits: 8, Syms: map[string]uint64{
		"net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2, "port-unreachable": 3,
		"frag-needed": 4, "net-prohibited": 9, "host-prohibited": 10, "admin-prohibited": 13}}
	ICMP6Type = &Type{Name: "icmpv6_type", ID: idICMP6Type, Bits: 8, Syms: map[string]uint64{
		"destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4,
		"echo-request": 128, "echo-reply": 129, "mld-listener-query": 130, "mld-listener-report": 131,
		"mld-listener-done": 132, "mld-listener-reduction": 132, "nd-router-solicit": 133, "nd-router-advert": 134,
		"nd-neighbor-solicit": 135, "nd-neighbor-advert": 136, "nd-redirect": 137, "router-renumbering": 138,
		"ind-neighbor-solicit": 141, "ind-neighbor-advert": 142, "mld2-listener-report": 143}}
	ICMP6Code = &Type{Name: "icmpv6_code", ID: idICMP6Code, Bits: 8, Syms: map[string]uint64{
		"no-route": 0, "admin-prohibited": 1, "addr-unreachable": 3, "port-unreachable": 4,
		"policy-fail": 5, "reject-route": 6}}
	ICMPXCode = &Type{Name: "icmpx_code", ID: idICMPXCode, Bits: 8, Syms: map[string]uint64{
		"no-route": 0, "port-unreachable": 1, "host-unreachable": 2, "admin-prohibited": 3}}
	DSCP = &Type{Name: "dscp", ID: idDSCP, Bits: 6, Syms: map[string]uint64{
		"cs0": 0, "cs1": 8, "af11": 10, "af12": 12, "af13": 14, "cs2": 16, "af21": 18, "af22": 20, "af23": 22,
		"cs3": 24, "af31": 26, "af32": 28, "af33": 30, "cs4": 32, "af41": 34, "af42": 36, "af43": 38,
		"cs5": 40, "va": 44, "ef": 46, "cs6": 48, "cs7": 56, "le": 1}}
	ECN = &Type{Name: "ecn", ID: idECN, Bits: 2,
		Syms: map[string]uint64{"not-ect": 0, "ect1": 1, "ect0": 2, "ce": 3}}
	FibAddr = &Type{Name: "fib_addrtype", ID: idFIBAddr, Bits: 32, Host: true, Syms: map[string]uint64{
		"unspec": 0, "unicast": 1, "local": 2, "broadcast": 3, "anycast": 4, "multicast": 5,
		"blackhole": 6, "unreachable": 7, "prohibit": 8}}
	DCCPPktType = &Type{Name: "dccp_pkttype", ID: idDCCPPktType, Bits: 4, Syms: map[string]uint64{
		"request": 0, "response": 1, "data": 2, "ack": 3, "dataack": 4, "closereq": 5, "close": 6,
		"reset": 7, "sync": 8, "syncack": 9}}
	MHType = &Type{Name: "mh_type", ID: idMHType, Bits: 8, Syms: map[string]uint64{
		"binding-refresh-request": 0, "home-test-init": 1, "careof-test-init": 2, "home-test": 3,
		"careof-test": 4, "binding-update": 5, "binding-acknowledgement": 6, "binding-error": 7,
		"fast-binding-update": 8, "fast-binding-acknowledgement": 9, "fast-binding-advertisement": 10,
		"experimental-mobility-header": 11, "home-agent-switch-message": 12}}
)

// Kernel protocol family numbers (NFPROTO_*).
const (
	NFProtoIPv4 = 2
	NFProtoIPv6 = 10
)

// inetProtoNames are the protocol names an inet_proto value may be
// written with: the IP protocol table (nft reads names with
// getprotobyname, i.e. /etc/protocols); the translator writes only the
// ProtocolNames by name.
var inetProtoNames = func() map[string]uint64 {
	m := map[string]uint64{}
	for _, p := range ipproto.All() {
		m[p.Name] = uint64(p.Number)
		for _, a := range p.Aliases {
			m[a] = uint64(p.Number)
		}
	}
	return m
}()

// SetKeyTypes are the types a named set may be declared with by name
// (`type ipv4_addr . inet_service`), by the name nft gives them there.
var SetKeyTypes = []*Type{IPv4Addr, IPv6Addr, InetService, Ifname, Mark, InetProto, EtherAddr, Integer32}

// ProtocolNames are the protocol names nft reads and prints without
// /etc/protocols; other protocols are written as numbers.
var ProtocolNames = map[string]bool{
	"tcp": true, "udp": true, "icmp": true, "esp": true, "ah": true, "sctp": true, "dccp": true,
	"udplite": true, "comp": true, "igmp": true, "gre": true, "ipv6-icmp": true, "icmpv6": true,
}
