//go:build linux

package lab

import "net/netip"

// NFTQuotaInclusive asks the running kernel whether nft's quota lets
// through the packet that brings its count exactly to the limit, as
// xt_quota does: true since "netfilter: nft_quota: match correctly when
// the quota just depleted" (Linux 6.16 and the stable kernels of June 2025),
// false before. It builds a throwaway lab, loads "quota 100 bytes" and
// sends one 100-byte packet. Needs CAP_NET_ADMIN; the answer decides
// translate.Options.QuotaStopsAtLimit.
func NFTQuotaInclusive() (bool, error) {
	l, err := Build(Topology{Links: []Link{{Name: "eth0",
		Addrs: []netip.Prefix{Prefix("10.99.0.1/24")}, PeerAddrs: []netip.Prefix{Prefix("10.99.0.2/24")}}}})
	if err != nil {
		return false, err
	}
	defer l.Close()
	if err := l.NFT("table ip q {\n\tchain i {\n\t\ttype filter hook input priority 0; policy drop;\n\t\tquota 100 bytes accept\n\t}\n}\n"); err != nil {
		return false, err
	}
	o, err := l.Send(Probe{In: "eth0", Packet: Packet{IP: &IPv4{Src: Addr("10.99.0.2"), Dst: Addr("10.99.0.1")},
		L4: &UDP{SrcPort: 9, DstPort: 9}, Len: 100}})
	if err != nil {
		return false, err
	}
	return o.Seen("in"), nil
}
