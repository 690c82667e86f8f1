// Package lab builds throwaway network-namespace labs for proving, with
// packets, what a firewall does: the privileged tests use it to compare
// iptables-legacy rules with their nft translations, and `xt2nft verify`
// is built on it.
//
// A lab is a firewall namespace whose interfaces (names chosen by the
// caller: eth0, ppp0, ...) are veth pairs, each with a peer namespace on
// the other end, addresses and routes as given (IPv4 and IPv6). Rules are
// loaded into the firewall namespace (IPTablesRestore, NFT, or any command
// through FW.Command / FW.Do). Probes are crafted packets (Packet: IPv4 with
// any TOS, TTL, ID, flags, fragment offset and options; IPv6 with traffic
// class, flow label, hop limit and extension headers of chosen lengths and
// reserved bits; TCP with any flags and options, UDP, ICMP, ICMPv6, SCTP,
// DCCP, raw headers), injected as Ethernet frames by a peer (PREROUTING,
// INPUT, FORWARD) or sent by the firewall itself through a raw socket
// (OUTPUT, POSTROUTING), with optional preset packet and conntrack marks.
//
// Every probe ends with a tag carrying its id. The lab observes it three
// ways, the same in a legacy lab and an nft lab:
//
//   - an observer table (inet xt2nft_lab) logs it first in prerouting and
//     output and last in input, forward and postrouting; the lab reads the
//     log over nfnetlink_log with the packet, its mark, its interfaces and
//     its conntrack entry (ct mark, ctinfo, status, tuples);
//   - the peers capture what reaches them (after NAT and mangling), ICMP
//     errors quoting the probe, and TCP resets sent while it was in flight;
//   - per-rule counters (IPTablesCounters, NFTCounters) around a probe.
//
// A test:
//
//	l := lab.New(t, lab.Topology{Links: []lab.Link{{Name: "eth0",
//		Addrs:     []netip.Prefix{lab.Prefix("10.0.0.1/24")},
//		PeerAddrs: []netip.Prefix{lab.Prefix("10.0.0.2/24")}}}})
//	if err := l.IPTablesRestore(false, dump); err != nil {
//		t.Fatal(err)
//	}
//	o, err := l.Send(lab.Probe{In: "eth0", Packet: lab.Packet{
//		IP: &lab.IPv4{Src: lab.Addr("10.0.0.2"), Dst: lab.Addr("10.0.0.1")},
//		L4: &lab.TCP{SrcPort: 40000, DstPort: 22, Flags: lab.SYN}}})
//	// o.Fate(): "delivered; mark 0x0"
//
// Namespaces have no name under /run/netns: they live as long as the lab's
// descriptors, so nothing is left behind even when the process is killed.
// Send handles one probe at a time per lab; run labs in parallel.
package lab
