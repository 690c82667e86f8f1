package nft

import (
	"github.com/google/nftables"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
)

// NS is a network namespace to work in (package netns).
type NS = netns.NS

// OpenNS opens the named namespace ("" is the current one); see netns.Open.
func OpenNS(name string) (*NS, error) { return netns.Open(name) }

// Throwaway creates a namespace that dies with the process; see
// netns.Throwaway.
func Throwaway() (*NS, error) { return netns.Throwaway() }

// readConn opens a google/nftables connection in the namespace for reads.
func readConn(ns *NS) (*nftables.Conn, error) {
	opts := []nftables.ConnOption{nftables.WithSockOptions(nlraw.SocketBuffers(1<<20, 8<<20))}
	if fd := ns.Fd(); fd != 0 {
		opts = append(opts, nftables.WithNetNSFd(fd))
	}
	return nftables.New(opts...)
}
