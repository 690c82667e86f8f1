// Package nlraw speaks nfnetlink to nf_tables directly where
// google/nftables does not serve: reading answers one datagram at a time
// (ReadRaw), sizing socket buffers for big batches (SocketBuffers), reading
// a whole set and proving the read complete (ReadSet), looking set elements
// up one by one without a dump (Lookup, LookupMany, LookupElems), a dump
// that stops early (DumpKeys), and the set attributes google/nftables v0.3.0
// does not decode (SetInfos: comments, element counts). It knows nothing of
// the translator, so the netlink backend (backend/nft) and recentctl
// (backend/recent) share it.
package nlraw
