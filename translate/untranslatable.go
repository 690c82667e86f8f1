package translate

// noTranslation says why an extension of iptables 1.8.9 has no
// translation (parser/modules_other.go reads their options): what nft
// cannot express, or what xt2nft does not translate yet although nft
// could say part of it.
var noTranslation = map[string]string{
	// matches
	"string":  "nft cannot search the packet for a string (it has no equivalent of xt_string's text search)",
	"bpf":     "nft cannot run a BPF program from a rule (no equivalent of xt_bpf)",
	"ipvs":    "nft cannot see IPVS connection state (no equivalent of xt_ipvs)",
	"osf":     "xt2nft does not translate -m osf: nft's osf expression has no --log and needs the fingerprints loaded with nfnl_osf",
	"rateest": "nft has no rate estimators (no equivalent of xt_rateest and the RATEEST target)",
	"eui64":   "nft cannot compare the source address with the EUI-64 identifier made from the source MAC address",
	"srh":     "xt2nft does not translate -m srh (nft 1.0.6 reads only some segment routing header fields)",
	// targets
	"ECN":         "xt2nft does not translate the ECN target (clearing the TCP ECE and CWR bits needs a read-modify-write of tcp flags)",
	"TCPOPTSTRIP": "nft 1.0.6 cannot remove TCP options (no equivalent of TCPOPTSTRIP)",
	"CLUSTERIP":   "nft has no CLUSTERIP (a cluster match on a hash of the source address is the nft way; write it by hand)",
	"DNPT":        "nft 1.0.6 has no IPv6 network prefix translation (NPTv6)",
	"SNPT":        "nft 1.0.6 has no IPv6 network prefix translation (NPTv6)",
	"RATEEST":     "nft has no rate estimators (no equivalent of the RATEEST target)",
}
