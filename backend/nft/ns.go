package nft

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// NS is a network namespace to work in. The zero value (or nil) is the
// namespace this process runs in.
type NS struct {
	f    *os.File
	Name string // "" for the current namespace, "(throwaway)" for a scratch one
}

// OpenNS opens the named namespace (ip netns add NAME): /run/netns/NAME.
func OpenNS(name string) (*NS, error) {
	if name == "" {
		return &NS{}, nil
	}
	f, err := os.Open(filepath.Join("/run/netns", name))
	if err != nil {
		return nil, fmt.Errorf("network namespace %q: %w (create it with `ip netns add %s`)", name, err, name)
	}
	return &NS{f: f, Name: name}, nil
}

// Throwaway creates an empty network namespace that lives as long as the
// returned NS is open: an OS thread unshares it and exits (it is never
// unlocked), so nothing but our file descriptor refers to it and nothing is
// left behind. Nothing done in it can reach the live firewall.
func Throwaway() (*NS, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("creating a scratch network namespace: %w", err)}
			return
		}
		f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		ch <- result{f, err}
	}()
	r := <-ch
	if r.err != nil {
		return nil, r.err
	}
	return &NS{f: r.f, Name: "(throwaway)"}, nil
}

// Close releases the namespace handle (a throwaway namespace disappears).
func (n *NS) Close() error {
	if n == nil || n.f == nil {
		return nil
	}
	return n.f.Close()
}

// fd is the namespace's descriptor for netlink.Config (0: current).
func (n *NS) fd() int {
	if n == nil || n.f == nil {
		return 0
	}
	return int(n.f.Fd())
}

// Conn opens an nftables netlink connection in the namespace, with socket
// buffers for a batch of about msgs messages.
func (n *NS) Conn(msgs int) (*nftables.Conn, error) {
	opts := []nftables.ConnOption{nftables.WithSockOptions(SocketBuffers(1<<20+2048*msgs, 1<<20+1024*msgs))}
	if n != nil && n.f != nil {
		opts = append(opts, nftables.WithNetNSFd(int(n.f.Fd())))
	}
	return nftables.New(opts...)
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

// Command returns a command that runs in the namespace (through nsenter
// for another namespace).
func (n *NS) Command(name string, args ...string) *exec.Cmd {
	if n == nil || n.f == nil {
		return exec.Command(name, args...)
	}
	cmd := exec.Command("nsenter", append([]string{"--net=/proc/self/fd/3", name}, args...)...)
	cmd.ExtraFiles = []*os.File{n.f}
	return cmd
}
