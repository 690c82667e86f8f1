package nlraw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// ReadRaw reads netlink messages from c, one datagram at a time, and hands
// each to f until f says done. mdlayher/netlink's Receive does not fit two
// uses here: it turns an error message into a Go error without the
// sequence number that says which request failed, and it collects a whole
// multipart dump before returning (a dump read only in part must stop).
func ReadRaw(c *netlink.Conn, f func(m syscall.NetlinkMessage) (done bool, err error)) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<16)
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), buf, 0)
			return rerr != unix.EAGAIN
		}); err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("parsing the kernel's answer: %w", err)
		}
		for _, m := range msgs {
			done, err := f(m)
			if err != nil || done {
				return err
			}
		}
	}
}

// Errno is the error an NLMSG_ERROR message carries (0: an
// acknowledgement, or not an error message).
func Errno(m syscall.NetlinkMessage) unix.Errno {
	if m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
		return 0
	}
	return unix.Errno(-int32(binary.NativeEndian.Uint32(m.Data[:4])))
}

// SocketBuffers sizes a connection's socket buffers as nft does for big
// batches: the whole batch goes in one sendmsg, which the kernel refuses
// (EMSGSIZE) when it exceeds the send buffer (snd bytes), and every message
// may be acknowledged, so the receive buffer (rcv bytes) must hold the acks.
// The FORCE variants need CAP_NET_ADMIN, which changing the firewall needs
// anyway; without it the defaults stay and a big batch fails clearly.
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
