// Package netns names the network namespace a backend works in: a named
// one (ip netns add NAME), the current one, or a throwaway one that dies
// with the process.
//
// Every backend reads and changes one namespace's firewall through an *NS:
// netlink sockets are opened in it (Fd), commands run in it (Command), and
// its identity (ID, the kernel's namespace cookie) keys the lock and the
// journal of package live, so that two names of one namespace share them and
// a namespace created later under an old name does not.
package netns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"unsafe"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// NS is a network namespace to work in. A nil *NS, or one from Current, is
// the namespace this process runs in.
type NS struct {
	f *os.File
	// Name is the name given to Open, "" for the current namespace and
	// "(throwaway)" for a scratch one; only for messages.
	Name string
}

// Open opens the named namespace (ip netns add NAME): /run/netns/NAME. The
// empty name is the current namespace.
func Open(name string) (*NS, error) {
	if name == "" {
		return Current(), nil
	}
	f, err := os.Open(filepath.Join("/run/netns", name))
	if err != nil {
		return nil, fmt.Errorf("network namespace %q: %w (create it with `ip netns add %s`)", name, err, name)
	}
	return &NS{f: f, Name: name}, nil
}

// FromFile is the namespace f refers to (a descriptor inherited from the
// process that opened it), named name in messages.
func FromFile(f *os.File, name string) *NS { return &NS{f: f, Name: name} }

// File is the namespace's descriptor to hand to a child process (nil for
// the current namespace).
func (n *NS) File() *os.File {
	if n == nil {
		return nil
	}
	return n.f
}

// Current is the namespace this process runs in.
func Current() *NS { return &NS{} }

// Throwaway creates an empty network namespace that lives as long as the
// returned NS is open: an OS thread unshares it and exits (it is never
// unlocked), so nothing but our file descriptor refers to it and nothing is
// left behind, whatever ends the process (kill -9 included). Nothing done in
// it can reach the live firewall.
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

// Fd is the namespace's descriptor for netlink.Config.NetNS (0: the
// current namespace).
func (n *NS) Fd() int {
	if n == nil || n.f == nil {
		return 0
	}
	return int(n.f.Fd())
}

// String names the namespace in messages.
func (n *NS) String() string {
	if n == nil || n.Name == "" {
		return "the current network namespace"
	}
	if n.f != nil && n.Name == "(throwaway)" {
		return "a throwaway network namespace"
	}
	return "network namespace " + n.Name
}

// ID is the namespace's cookie (SO_NETNS_COOKIE): a number the kernel gives
// each namespace once and never reuses while it runs, unlike the namespace's
// inode number, which a namespace created after this one dies can get again.
// It keys the lock and journal of package live.
func (n *NS) ID() (uint64, error) {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: n.Fd()})
	if err != nil {
		return 0, fmt.Errorf("identifying %s: %w", n, err)
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var (
		cookie uint64
		gerr   error
	)
	if err := rc.Control(func(fd uintptr) {
		cookie, gerr = getsockoptUint64(int(fd), unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
	}); err != nil {
		return 0, err
	}
	if gerr != nil {
		return 0, fmt.Errorf("identifying %s (SO_NETNS_COOKIE needs Linux 5.14): %w", n, gerr)
	}
	return cookie, nil
}

func getsockoptUint64(fd, level, opt int) (uint64, error) {
	// x/sys has no 64-bit getsockopt helper; the cookie is a u64.
	var v uint64
	l := uint32(unsafe.Sizeof(v))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return 0, e
	}
	return v, nil
}

// Command returns a command that runs in the namespace (through nsenter
// for another namespace; the descriptor is passed to it, so this works for
// a throwaway namespace, which has no name).
func (n *NS) Command(name string, args ...string) *exec.Cmd {
	if n == nil || n.f == nil {
		return exec.Command(name, args...)
	}
	cmd := exec.Command("nsenter", append([]string{"--net=/proc/self/fd/3", name}, args...)...)
	cmd.ExtraFiles = []*os.File{n.f}
	return cmd
}

// Do runs f on a fresh OS thread that has entered the namespace, so that the
// programs f starts run there (a child process inherits the network
// namespace of the thread that forks it). The thread is never returned to
// the Go runtime's pool: a goroutine that exits while locked takes its
// thread with it, so no other goroutine ever runs in the namespace by
// accident and nothing has to switch back.
func (n *NS) Do(f func() error) error {
	if n == nil || n.f == nil {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked, on purpose: see above
		if err := unix.Setns(n.Fd(), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering %s: %w", n, os.NewSyscallError("setns", err))
			return
		}
		errc <- f()
	}()
	return <-errc
}
