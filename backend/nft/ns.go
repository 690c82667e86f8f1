package nft

import (
	"errors"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/netns"
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
	opts := []nftables.ConnOption{nftables.WithSockOptions(SocketBuffers(1<<20, 8<<20))}
	if fd := ns.Fd(); fd != 0 {
		opts = append(opts, nftables.WithNetNSFd(fd))
	}
	return nftables.New(opts...)
}

// SocketBuffers sizes a connection's socket buffers as nft does for big
// batches: the whole batch goes in one sendmsg, which the kernel refuses
// (EMSGSIZE) when it exceeds the send buffer (snd bytes), and the receive
// buffer (rcv bytes) must hold the answers. The FORCE variants need
// CAP_NET_ADMIN, which changing the firewall needs anyway; without it the
// defaults stay and a big batch fails clearly.
func SocketBuffers(snd, rcv int) nftables.SockOption {
	return func(c *netlink.Conn) error {
		// Acks without a copy of the request (NETLINK_CAP_ACK).
		if err := c.SetOption(netlink.CapAcknowledge, true); err != nil {
			return err
		}
		rc, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, snd); e != nil {
				serr = e
			}
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcv); e != nil && serr == nil {
				serr = e
			}
		}); err != nil {
			return err
		}
		if serr != nil && !errors.Is(serr, unix.EPERM) {
			return serr
		}
		return nil // without privileges the batch fails later with a clear error
	}
}
