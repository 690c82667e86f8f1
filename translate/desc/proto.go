package desc

import "strconv"

// Base is where a payload header starts (nft's payload bases).
type Base int

// Payload bases.
const (
	LinkHeader Base = iota
	NetworkHeader
	TransportHeader
)

// Kind says how a header is found: at a payload base, or by walking the
// IPv6 extension headers, the TCP options or the SCTP chunks.
type Kind int

// Header kinds.
const (
	Payload   Kind = iota // a fixed header at a payload base
	IPv6Ext               // an IPv6 extension header (nft exthdr)
	TCPOption             // a TCP option (nft tcp option)
	SCTPChunk             // an SCTP chunk (nft sctp chunk)
)

// Proto is a header nft knows: a protocol header (src/proto.c), an IPv6
// extension header (src/exthdr.c), a TCP option (src/tcpopt.c) or an SCTP
// chunk (src/sctp_chunk.c).
type Proto struct {
	Name string // keyword: ip, tcp, frag, maxseg (tcp option), data (sctp chunk)
	Kind Kind
	Base Base // for Payload headers
	// Number is, for a transport header, the IP protocol its fields imply
	// (nft adds `meta l4proto N` before them); for an extension header its
	// next-header value; for a TCP option its kind; for an SCTP chunk its
	// type. 0 with Implied false: none (th, ip, ip6, ether).
	Number  uint8
	Implied bool
	// NFProto is the family a network header implies (ip: NFPROTO_IPV4);
	// nft adds `meta nfproto` before its fields in inet tables.
	NFProto uint8
	// TypeofID is nft's proto_desc number, stored in the user data of
	// sets declared with typeof (0: not supported there).
	TypeofID uint32
	Fields   []*Field
	// Parent is the header a TCP option or SCTP chunk is found in.
	Parent *Proto
	// Sport and Dport are the port fields of transport headers that have
	// them (tcp, udp, udplite, sctp, dccp, th).
	Sport, Dport *Field
}

// Field is a header field: where it is (in bits from the start of its
// header) and what it holds.
type Field struct {
	Proto  *Proto
	Name   string
	Offset uint32 // bits
	Len    uint32 // bits
	Type   *Type
	// Index is the field's number in nft's header template (typeof user
	// data); 0 when unknown.
	Index uint32
}

// String is the header as nft names it before a field: "ip", "frag",
// "tcp option maxseg", "sctp chunk data".
func (p *Proto) String() string {
	switch p.Kind {
	case TCPOption:
		return "tcp option " + p.Name
	case SCTPChunk:
		return "sctp chunk " + p.Name
	}
	return p.Name
}

// Presence is how nft tests that the header is there (followed by exists
// or missing): "exthdr frag", "tcp option maxseg", "sctp chunk init".
func (p *Proto) Presence() string {
	if p.Kind == IPv6Ext {
		return "exthdr " + p.Name
	}
	return p.String()
}

// String is the field as nft writes it: "ip saddr", "frag id", "tcp option
// maxseg size".
func (f *Field) String() string { return f.Proto.String() + " " + f.Name }

// Field returns the field called name. Naming a field the header does not
// have is a programming error: it panics, so that every test that reaches
// the call fails.
func (p *Proto) Field(name string) *Field {
	if f := p.lookup(name); f != nil {
		return f
	}
	panic("desc: " + p.String() + " has no field " + name)
}

func (p *Proto) lookup(name string) *Field {
	for _, f := range p.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// fld is one field of a header definition: name, offset and length in bits.
type fld struct {
	name     string
	off, len uint32
	typ      *Type
}

// def builds a header and its fields; fields are numbered in the order
// given (nft's template order where Index matters).
func def(p *Proto, fields ...fld) *Proto {
	for i, f := range fields {
		p.Fields = append(p.Fields, &Field{Proto: p, Name: f.name, Offset: f.off, Len: f.len, Type: f.typ, Index: uint32(i + 1)})
	}
	p.Sport, p.Dport = p.lookup("sport"), p.lookup("dport")
	return p
}

func ports(extra ...fld) []fld {
	return append([]fld{{"sport", 0, 16, InetService}, {"dport", 16, 16, InetService}}, extra...)
}

// The protocol headers (src/proto.c), fields in nft's template order.
var (
	IP = def(&Proto{Name: "ip", Base: NetworkHeader, NFProto: NFProtoIPv4, TypeofID: 12},
		fld{"version", 0, 4, Integer8}, fld{"hdrlength", 4, 4, Integer8}, fld{"dscp", 8, 6, DSCP},
		fld{"ecn", 14, 2, ECN}, fld{"length", 16, 16, Integer16}, fld{"id", 32, 16, Integer16},
		fld{"frag-off", 48, 16, Integer16}, fld{"ttl", 64, 8, Integer8}, fld{"protocol", 72, 8, InetProto},
		fld{"checksum", 80, 16, Integer16}, fld{"saddr", 96, 32, IPv4Addr}, fld{"daddr", 128, 32, IPv4Addr})
	IP6 = def(&Proto{Name: "ip6", Base: NetworkHeader, NFProto: NFProtoIPv6, TypeofID: 13},
		fld{"version", 0, 4, Integer8}, fld{"dscp", 4, 6, DSCP}, fld{"ecn", 10, 2, ECN},
		fld{"flowlabel", 12, 20, Integer32}, fld{"length", 32, 16, Integer16}, fld{"nexthdr", 48, 8, InetProto},
		fld{"hoplimit", 56, 8, Integer8}, fld{"saddr", 64, 128, IPv6Addr}, fld{"daddr", 192, 128, IPv6Addr})
	TCP = def(&Proto{Name: "tcp", Base: TransportHeader, Number: 6, Implied: true},
		ports(fld{"sequence", 32, 32, Integer32}, fld{"ackseq", 64, 32, Integer32}, fld{"doff", 96, 4, Integer8},
			fld{"reserved", 100, 4, Integer8}, fld{"flags", 104, 8, TCPFlag}, fld{"window", 112, 16, Integer16},
			fld{"checksum", 128, 16, Integer16}, fld{"urgptr", 144, 16, Integer16})...)
	UDP     = def(&Proto{Name: "udp", Base: TransportHeader, Number: 17, Implied: true}, ports(fld{"length", 32, 16, Integer16}, fld{"checksum", 48, 16, Integer16})...)
	UDPLite = def(&Proto{Name: "udplite", Base: TransportHeader, Number: 136, Implied: true}, ports(fld{"csumcov", 32, 16, Integer16}, fld{"checksum", 48, 16, Integer16})...)
	TH      = def(&Proto{Name: "th", Base: TransportHeader}, ports()...)
	SCTP    = def(&Proto{Name: "sctp", Base: TransportHeader, Number: 132, Implied: true}, ports(fld{"vtag", 32, 32, Integer32}, fld{"checksum", 64, 32, Integer32})...)
	DCCP    = def(&Proto{Name: "dccp", Base: TransportHeader, Number: 33, Implied: true}, ports(fld{"type", 67, 4, DCCPPktType})...)
	ICMP    = def(&Proto{Name: "icmp", Base: TransportHeader, Number: 1, Implied: true, NFProto: NFProtoIPv4},
		fld{"type", 0, 8, ICMPType}, fld{"code", 8, 8, ICMPCode}, fld{"checksum", 16, 16, Integer16},
		fld{"id", 32, 16, Integer16}, fld{"sequence", 48, 16, Integer16}, fld{"gateway", 32, 32, Integer32},
		fld{"mtu", 48, 16, Integer16})
	ICMPv6 = def(&Proto{Name: "icmpv6", Base: TransportHeader, Number: 58, Implied: true, NFProto: NFProtoIPv6},
		fld{"type", 0, 8, ICMP6Type}, fld{"code", 8, 8, ICMP6Code}, fld{"checksum", 16, 16, Integer16},
		fld{"parameter-problem", 32, 32, Integer32}, fld{"mtu", 32, 32, Integer32}, fld{"id", 32, 16, Integer16},
		fld{"sequence", 48, 16, Integer16}, fld{"max-delay", 32, 16, Integer16})
	AH = def(&Proto{Name: "ah", Base: TransportHeader, Number: 51, Implied: true},
		fld{"nexthdr", 0, 8, InetProto}, fld{"hdrlength", 8, 8, Integer8}, fld{"reserved", 16, 16, Integer16},
		fld{"spi", 32, 32, Integer32}, fld{"sequence", 64, 32, Integer32})
	ESP   = def(&Proto{Name: "esp", Base: TransportHeader, Number: 50, Implied: true}, fld{"spi", 0, 32, Integer32}, fld{"sequence", 32, 32, Integer32})
	Comp  = def(&Proto{Name: "comp", Base: TransportHeader, Number: 108, Implied: true}, fld{"nexthdr", 0, 8, InetProto}, fld{"flags", 8, 8, Integer8}, fld{"cpi", 16, 16, Integer16})
	Ether = def(&Proto{Name: "ether", Base: LinkHeader},
		fld{"daddr", 0, 48, EtherAddr}, fld{"saddr", 48, 48, EtherAddr}, fld{"type", 96, 16, EtherType})
)

// Frequently used fields.
var (
	IPSaddr, IPDaddr, IPTTL, IPProtocol    = IP.Field("saddr"), IP.Field("daddr"), IP.Field("ttl"), IP.Field("protocol")
	IPFragOff, IPDSCP, IPECN               = IP.Field("frag-off"), IP.Field("dscp"), IP.Field("ecn")
	IP6Saddr, IP6Daddr, IP6Hoplimit        = IP6.Field("saddr"), IP6.Field("daddr"), IP6.Field("hoplimit")
	IP6Nexthdr, IP6DSCP, IP6ECN            = IP6.Field("nexthdr"), IP6.Field("dscp"), IP6.Field("ecn")
	TCPFlags, TCPSport, TCPDport           = TCP.Field("flags"), TCP.Sport, TCP.Dport
	ICMPTypeField, ICMPCodeField           = ICMP.Field("type"), ICMP.Field("code")
	ICMPv6TypeField, ICMPv6CodeField       = ICMPv6.Field("type"), ICMPv6.Field("code")
	EtherSaddr                             = Ether.Field("saddr")
	AHSPI, AHHdrLength, AHReserved, ESPSPI = AH.Field("spi"), AH.Field("hdrlength"), AH.Field("reserved"), ESP.Field("spi")
	CompCPI, DCCPType                      = Comp.Field("cpi"), DCCP.Field("type")
)

// Fields of the IPv6 extension headers the translators test.
var (
	FragNexthdr, FragReserved, FragOff = Frag.Field("nexthdr"), Frag.Field("reserved"), Frag.Field("frag-off")
	FragReserved2, FragMF, FragID      = Frag.Field("reserved2"), Frag.Field("more-fragments"), Frag.Field("id")
	RTHdrLength, RTType, RTSegLeft     = RT.Field("hdrlength"), RT.Field("type"), RT.Field("seg-left")
	MHTypeField                        = MH.Field("type")
)

// RT0Addr is addr[i] (1-based) of a type 0 routing header.
func RT0Addr(i int) *Field { return RT0.Field("addr[" + strconv.Itoa(i) + "]") }

// L3 is the network header of a family, with the fields both families
// have under their own names (ttl / hoplimit, protocol / nexthdr).
type L3 struct {
	Proto                             *Proto
	Saddr, Daddr, TTL, Protocol, DSCP *Field
	ECN                               *Field
	AddrType                          *Type // ipv4_addr or ipv6_addr
	AddrBits                          int
	ICMP                              *Proto // icmp or icmpv6
	Ext                               bool   // IPv6: the upper protocol follows extension headers
}

// The network headers of the two families.
var (
	IPv4 = &L3{Proto: IP, Saddr: IPSaddr, Daddr: IPDaddr, TTL: IPTTL, Protocol: IPProtocol, DSCP: IPDSCP, ECN: IPECN,
		AddrType: IPv4Addr, AddrBits: 32, ICMP: ICMP}
	IPv6 = &L3{Proto: IP6, Saddr: IP6Saddr, Daddr: IP6Daddr, TTL: IP6Hoplimit, Protocol: IP6Nexthdr, DSCP: IP6DSCP, ECN: IP6ECN,
		AddrType: IPv6Addr, AddrBits: 128, ICMP: ICMPv6, Ext: true}
)

func rt0Addrs() []fld {
	var out []fld
	for i := uint32(0); i < 16; i++ {
		out = append(out, fld{"addr[" + strconv.Itoa(int(i+1)) + "]", 64 + 128*i, 128, IPv6Addr})
	}
	return out
}

func exthdr(name string, typ uint8, extra ...fld) *Proto {
	return def(&Proto{Name: name, Kind: IPv6Ext, Number: typ},
		append([]fld{{"nexthdr", 0, 8, InetProto}, {"hdrlength", 8, 8, Integer8}}, extra...)...)
}

// The IPv6 extension headers (src/exthdr.c).
var (
	HBH = exthdr("hbh", 0)
	RT  = exthdr("rt", 43, fld{"type", 16, 8, Integer8}, fld{"seg-left", 24, 8, Integer8},
		fld{"addr[1]", 64, 128, IPv6Addr}, fld{"addr[2]", 192, 128, IPv6Addr})
	// RT0 is the type 0 routing header, addresses addr[1] ... addr[16].
	RT0  = exthdr("rt0", 43, rt0Addrs()...)
	Frag = def(&Proto{Name: "frag", Kind: IPv6Ext, Number: 44},
		fld{"nexthdr", 0, 8, InetProto}, fld{"reserved", 8, 8, Integer8}, fld{"frag-off", 16, 13, Integer16},
		fld{"reserved2", 29, 2, Integer8}, fld{"more-fragments", 31, 1, Integer8}, fld{"id", 32, 32, Integer32})
	Dst = exthdr("dst", 60)
	MH  = exthdr("mh", 135, fld{"type", 16, 8, MHType}, fld{"reserved", 24, 8, Integer8}, fld{"checksum", 32, 16, Integer16})
	// The headers ip6tables' ipv6header match also names (presence only).
	ExtAH   = exthdr("ah", 51)
	ExtESP  = exthdr("esp", 50)
	ExtComp = exthdr("comp", 108)
)

// IPv6Exts lists the extension headers by the names ip6tables and nft
// share (hbh, dst, rt, frag, mh, ah, esp, comp).
var IPv6Exts = []*Proto{HBH, Dst, RT, Frag, MH, ExtAH, ExtESP, ExtComp}

// Exthdr returns the extension header nft calls name, or nil.
func Exthdr(name string) *Proto {
	for _, p := range IPv6Exts {
		if p.Name == name {
			return p
		}
	}
	if name == "rt0" {
		return RT0
	}
	return nil
}

func tcpopt(name string, kind uint8, extra ...fld) *Proto {
	var fields []fld
	if kind > 1 {
		fields = append([]fld{{"length", 8, 8, Integer8}}, extra...)
	}
	return def(&Proto{Name: name, Kind: TCPOption, Number: kind, Parent: TCP}, fields...)
}

// The TCP options (src/tcpopt.c); offsets from the option's kind byte.
var (
	OptEOL       = tcpopt("eol", 0)
	OptNOP       = tcpopt("nop", 1)
	OptMaxseg    = tcpopt("maxseg", 2, fld{"size", 16, 16, Integer16})
	OptWindow    = tcpopt("window", 3, fld{"count", 16, 8, Integer8})
	OptSackPerm  = tcpopt("sack-perm", 4)
	OptSack      = tcpopt("sack", 5)
	OptTimestamp = tcpopt("timestamp", 8, fld{"tsval", 16, 32, Integer32}, fld{"tsecr", 48, 32, Integer32})
	// OptMaxsegSize is what TCPMSS reads and writes.
	OptMaxsegSize = OptMaxseg.Field("size")
)

var tcpOptions = []*Proto{OptEOL, OptNOP, OptMaxseg, OptWindow, OptSackPerm, OptSack, OptTimestamp}

// TCPOptionKind returns the TCP option of that kind: a named one, or one
// nft addresses by number (tcp option 23 exists).
func TCPOptionKind(kind uint8) *Proto {
	for _, p := range tcpOptions {
		if p.Number == kind {
			return p
		}
	}
	return &Proto{Name: strconv.Itoa(int(kind)), Kind: TCPOption, Number: kind, Parent: TCP}
}

// SCTPChunks are the SCTP chunk types nft names (src/sctp_chunk.c), each
// with the fields of the common chunk header.
var SCTPChunks = func() []*Proto {
	types := []struct {
		name string
		typ  uint8
	}{{"data", 0}, {"init", 1}, {"init-ack", 2}, {"sack", 3}, {"heartbeat", 4}, {"heartbeat-ack", 5},
		{"abort", 6}, {"shutdown", 7}, {"shutdown-ack", 8}, {"error", 9}, {"cookie-echo", 10},
		{"cookie-ack", 11}, {"ecne", 12}, {"cwr", 13}, {"shutdown-complete", 14}, {"asconf-ack", 128},
		{"forward-tsn", 192}, {"asconf", 193}}
	var out []*Proto
	for _, t := range types {
		out = append(out, def(&Proto{Name: t.name, Kind: SCTPChunk, Number: t.typ, Parent: SCTP},
			fld{"type", 0, 8, Integer8}, fld{"flags", 8, 8, Integer8}, fld{"length", 16, 16, Integer16}))
	}
	return out
}()

// SCTPChunkNamed returns the chunk nft calls name, or nil.
func SCTPChunkNamed(name string) *Proto {
	for _, p := range SCTPChunks {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// transports are the headers a -p protocol's fields live in.
var transports = []*Proto{TCP, UDP, UDPLite, SCTP, DCCP, ICMP, ICMPv6, AH, ESP, Comp}

// HeaderOf returns the header of IP protocol number n: the transport
// header whose fields imply it, or the mobility extension header; nil for
// protocols nft has no header for.
func HeaderOf(n uint8) *Proto {
	for _, p := range transports {
		if p.Number == n {
			return p
		}
	}
	if n == MH.Number {
		return MH
	}
	return nil
}
