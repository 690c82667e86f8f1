package desc

// MetaKey is a meta expression key (src/meta.c): its name, the kernel's
// NFT_META_* number and its type.
type MetaKey struct {
	Name string
	Key  uint32
	Type *Type
	// Bare keys are printed without "meta" (iifname, mark is "meta mark").
	Bare bool
}

func (k *MetaKey) String() string {
	if k.Bare {
		return k.Name
	}
	return "meta " + k.Name
}

func meta(name string, key uint32, t *Type, bare bool) *MetaKey {
	return &MetaKey{Name: name, Key: key, Type: t, Bare: bare}
}

// The meta keys (NFT_META_*).
var (
	MetaLength    = meta("length", 0, Host32, false)
	MetaProtocol  = meta("protocol", 1, EtherType, false)
	MetaPriority  = meta("priority", 2, Priority, false)
	MetaMark      = meta("mark", 3, Mark, false)
	MetaIif       = meta("iif", 4, IfIndex, true)
	MetaOif       = meta("oif", 5, IfIndex, true)
	MetaIifname   = meta("iifname", 6, Ifname, true)
	MetaOifname   = meta("oifname", 7, Ifname, true)
	MetaIiftype   = meta("iiftype", 8, IfType, true)
	MetaOiftype   = meta("oiftype", 9, IfType, true)
	MetaSkuid     = meta("skuid", 10, UID, true)
	MetaSkgid     = meta("skgid", 11, GID, true)
	MetaNftrace   = meta("nftrace", 12, Integer8, true)
	MetaRtclassid = meta("rtclassid", 13, Realm, true)
	MetaSecmark   = meta("secmark", 14, Host32, false)
	MetaNfproto   = meta("nfproto", 15, NFProto, false)
	MetaL4proto   = meta("l4proto", 16, InetProto, false)
	MetaPkttype   = meta("pkttype", 19, PktType, true)
	MetaCPU       = meta("cpu", 20, Host32, true)
	MetaIifgroup  = meta("iifgroup", 21, Devgroup, true)
	MetaOifgroup  = meta("oifgroup", 22, Devgroup, true)
	MetaCgroup    = meta("cgroup", 23, Host32, true)
	MetaRandom    = meta("random", 24, Integer32, false)
	MetaSecpath   = meta("secpath", 25, Boolean, false)
	MetaTime      = meta("time", 30, TimeNS, false)
	MetaDay       = meta("day", 31, Day, false)
	MetaHour      = meta("hour", 32, Hour, false)
)

// Direction is the direction of a conntrack key: none, original or reply.
type Direction string

// Conntrack directions.
const (
	CTAnyDir   Direction = ""
	CTOriginal Direction = "original"
	CTReply    Direction = "reply"
)

// Number is the kernel's IP_CT_DIR_* value of a direction.
func (d Direction) Number() uint8 {
	if d == CTReply {
		return 1
	}
	return 0
}

// CTKey is a conntrack expression key (src/ct.c).
type CTKey struct {
	Name string // as nft writes it after "ct [DIR]": state, saddr, ip saddr
	Key  uint32 // NFT_CT_*
	// Type is nil for keys whose type is the table family's address type
	// (ct original saddr in an ip table is an ipv4_addr).
	Type *Type
}

func (k *CTKey) String() string { return k.Name }

func ct(name string, key uint32, t *Type) *CTKey { return &CTKey{Name: name, Key: key, Type: t} }

// The conntrack keys (NFT_CT_*).
var (
	CTState      = ct("state", 0, CTStateType)
	CTDirection  = ct("direction", 1, CTDirType)
	CTStatus     = ct("status", 2, CTStatusType)
	CTMark       = ct("mark", 3, Mark)
	CTSecmark    = ct("secmark", 4, Host32)
	CTExpiration = ct("expiration", 5, CTExpirationType)
	CTHelper     = ct("helper", 6, String)
	CTL3proto    = ct("l3proto", 7, NFProto)
	CTSaddr      = ct("saddr", 8, nil)
	CTDaddr      = ct("daddr", 9, nil)
	CTProtocol   = ct("protocol", 10, InetProto)
	CTProtoSrc   = ct("proto-src", 11, InetService)
	CTProtoDst   = ct("proto-dst", 12, InetService)
	CTLabel      = ct("label", 13, CTLabelType)
	CTPackets    = ct("packets", 14, Host64)
	CTBytes      = ct("bytes", 15, Host64)
	CTAvgpkt     = ct("avgpkt", 16, Host64)
	CTZone       = ct("zone", 17, Host16)
	CTIPSaddr    = ct("ip saddr", 19, IPv4Addr)
	CTIPDaddr    = ct("ip daddr", 20, IPv4Addr)
	CTIP6Saddr   = ct("ip6 saddr", 21, IPv6Addr)
	CTIP6Daddr   = ct("ip6 daddr", 22, IPv6Addr)
	CTID         = ct("id", 23, Integer32)
)

// SocketKey is a socket expression key (NFT_SOCKET_*).
type SocketKey struct {
	Name string
	Key  uint32
	Type *Type
}

// The socket keys.
var (
	SocketTransparent = &SocketKey{"transparent", 0, Integer8}
	SocketMark        = &SocketKey{"mark", 1, Mark}
	SocketWildcard    = &SocketKey{"wildcard", 2, Integer8}
	// SocketCgroupv2 takes a level (socket cgroupv2 level N).
	SocketCgroupv2 = &SocketKey{"cgroupv2", 3, Host64}
)

// RtKey is a routing expression key (NFT_RT_*).
type RtKey struct {
	Name string
	Key  uint32
	Type *Type
}

// The routing keys.
var (
	RtClassid = &RtKey{"classid", 0, Realm}
	RtMTU     = &RtKey{"mtu", 3, Host16}
	RtIPsec   = &RtKey{"ipsec", 4, Boolean}
)

// FibFlag is an input of a fib lookup (NFTA_FIB_F_*).
type FibFlag struct {
	Name string
	Bit  uint32
}

// The fib lookup inputs.
var (
	FibSaddr = &FibFlag{"saddr", 1 << 0}
	FibDaddr = &FibFlag{"daddr", 1 << 1}
	FibMark  = &FibFlag{"mark", 1 << 2}
	FibIif   = &FibFlag{"iif", 1 << 3}
	FibOif   = &FibFlag{"oif", 1 << 4}
)

// FibResult is what a fib lookup returns (NFT_FIB_RESULT_*).
type FibResult struct {
	Name string
	Key  uint32
	Type *Type
}

// The fib results.
var (
	FibResultOif     = &FibResult{"oif", 1, IfIndex}
	FibResultOifname = &FibResult{"oifname", 2, Ifname}
	FibResultType    = &FibResult{"type", 3, FibAddr}
)

// IpsecKey is a key of nft's ipsec (xfrm) expression: ipsec in reqid.
type IpsecKey struct {
	Name string // reqid, spi, ip saddr, ...
	Key  uint32 // NFT_XFRM_KEY_*
	Type *Type
}

// The ipsec keys.
var (
	IpsecIPDaddr  = &IpsecKey{"ip daddr", 1, IPv4Addr}
	IpsecIP6Daddr = &IpsecKey{"ip6 daddr", 2, IPv6Addr}
	IpsecIPSaddr  = &IpsecKey{"ip saddr", 3, IPv4Addr}
	IpsecIP6Saddr = &IpsecKey{"ip6 saddr", 4, IPv6Addr}
	IpsecReqid    = &IpsecKey{"reqid", 5, Host32}
	IpsecSPI      = &IpsecKey{"spi", 6, Integer32}
)
