package desc

import (
	"strings"
	"testing"
)

var allHeaders = append(append(append([]*Proto{IP, IP6, TCP, UDP, UDPLite, TH, SCTP, DCCP, ICMP, ICMPv6, AH, ESP, Comp, Ether, RT0},
	IPv6Exts...), tcpOptions...), SCTPChunks...)

// TestHeaders checks the header tables against what nft and the wire
// format require: fields inside their header, unique names, symbols that
// fit their type, and nft's template numbers for the ip and ip6 fields
// that typeof user data records.
func TestHeaders(t *testing.T) {
	for _, p := range allHeaders {
		seen := map[string]bool{}
		for _, f := range p.Fields {
			if f.Proto != p {
				t.Errorf("%s: field %s points at %s", p, f.Name, f.Proto)
			}
			if seen[f.Name] {
				t.Errorf("%s: two fields called %s", p, f.Name)
			}
			seen[f.Name] = true
			if f.Len == 0 || f.Type == nil {
				t.Errorf("%s: empty field %s", f, f.Name)
			}
			if f.Type.ID != idInteger && f.Len < uint32(f.Type.Bits) {
				t.Errorf("%s: %d bits cannot hold a %s (%d bits)", f, f.Len, f.Type.Name, f.Type.Bits)
			}
			if (p.Kind == TCPOption || p.Kind == SCTPChunk) && (f.Offset%8 != 0 || f.Len%8 != 0) {
				t.Errorf("%s: option and chunk fields are whole bytes", f)
			}
		}
		if (p.Kind == TCPOption || p.Kind == SCTPChunk) && p.Parent == nil {
			t.Errorf("%s has no parent header", p)
		}
	}
	// nft's template order (src/proto.c: IPHDR_*, IP6HDR_*).
	for _, tc := range []struct {
		p     *Proto
		order string
	}{
		{IP, "version hdrlength dscp ecn length id frag-off ttl protocol checksum saddr daddr"},
		{IP6, "version dscp ecn flowlabel length nexthdr hoplimit saddr daddr"},
	} {
		for i, name := range strings.Fields(tc.order) {
			if f := tc.p.Field(name); f.Index != uint32(i+1) {
				t.Errorf("%s: template index %d, nft's is %d", f, f.Index, i+1)
			}
		}
	}
	if IPSaddr.String() != "ip saddr" || OptMaxsegSize.String() != "tcp option maxseg size" ||
		FragID.String() != "frag id" || Frag.Presence() != "exthdr frag" || SCTPChunkNamed("init").Presence() != "sctp chunk init" {
		t.Error("header names are not written as nft writes them")
	}
}

func TestTypes(t *testing.T) {
	types := []*Type{Integer8, Integer16, Integer32, Host16, Host32, Host64, IPv4Addr, IPv6Addr, EtherAddr,
		InetService, Ifname, String, Mark, IfIndex, UID, GID, Realm, Devgroup, CTLabelType, Boolean, TimeNS, Hour,
		Day, Priority, CTExpirationType, NFProto, InetProto, EtherType, PktType, IfType, CTStateType, CTStatusType,
		CTDirType, TCPFlag, ICMPType, ICMPCode, ICMP6Type, ICMP6Code, ICMPXCode, DSCP, ECN, FibAddr, DCCPPktType, MHType}
	for _, ty := range types {
		if ty.Name == "" || ty.ID == 0 || ty.Bits == 0 {
			t.Errorf("type %+v is incomplete", ty)
		}
		for name, v := range ty.Syms {
			if ty.Bits < 64 && v>>uint(ty.Bits) != 0 {
				t.Errorf("%s: symbol %s = %d does not fit %d bits", ty.Name, name, v, ty.Bits)
			}
			if n, ok := ty.Symbol(name); !ok || n != v {
				t.Errorf("%s: Symbol(%q) = %d, %v", ty.Name, name, n, ok)
			}
		}
	}
	if n, ok := Priority.Symbol("1:10"); !ok || n != 0x10010 {
		t.Errorf("tc handle 1:10 = %#x, %v", n, ok)
	}
	if _, ok := CTStateType.Symbol("nonsense"); ok {
		t.Error("an unknown symbol resolved")
	}
}

func TestKeys(t *testing.T) {
	metas := []*MetaKey{MetaLength, MetaProtocol, MetaPriority, MetaMark, MetaIif, MetaOif, MetaIifname, MetaOifname,
		MetaIiftype, MetaOiftype, MetaSkuid, MetaSkgid, MetaNftrace, MetaRtclassid, MetaSecmark, MetaNfproto, MetaL4proto,
		MetaPkttype, MetaCPU, MetaIifgroup, MetaOifgroup, MetaCgroup, MetaRandom, MetaSecpath, MetaTime, MetaDay, MetaHour}
	keys := map[uint32]string{}
	for _, k := range metas {
		if old, dup := keys[k.Key]; dup {
			t.Errorf("meta %s and %s share key %d", old, k.Name, k.Key)
		}
		keys[k.Key] = k.Name
	}
	if MetaMark.String() != "meta mark" || MetaIifname.String() != "iifname" {
		t.Error("meta keys are not written as nft writes them")
	}
	cts := []*CTKey{CTState, CTDirection, CTStatus, CTMark, CTSecmark, CTExpiration, CTHelper, CTL3proto, CTSaddr,
		CTDaddr, CTProtocol, CTProtoSrc, CTProtoDst, CTLabel, CTPackets, CTBytes, CTAvgpkt, CTZone, CTIPSaddr,
		CTIPDaddr, CTIP6Saddr, CTIP6Daddr, CTID}
	keys = map[uint32]string{}
	for _, k := range cts {
		if old, dup := keys[k.Key]; dup {
			t.Errorf("ct %s and %s share key %d", old, k.Name, k.Key)
		}
		keys[k.Key] = k.Name
	}
	if HeaderOf(6) != TCP || HeaderOf(58) != ICMPv6 || HeaderOf(135) != MH || HeaderOf(47) != nil {
		t.Error("HeaderOf maps protocol numbers wrongly")
	}
}
