package nft

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
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
	opts := []nftables.ConnOption{nftables.WithSockOptions(nlraw.SocketBuffers(1<<20+2048*msgs, 1<<20+1024*msgs))}
	if n != nil && n.f != nil {
		opts = append(opts, nftables.WithNetNSFd(int(n.f.Fd())))
	}
	return nftables.New(opts...)
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
