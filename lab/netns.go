//go:build linux

package lab

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// NS is a network namespace of a lab. It has no name in /run/netns: it
// lives as long as its descriptor is open (and the processes started in
// it), so a killed test or verify run leaves nothing behind.
type NS struct {
	// Name says what the namespace is for ("fw", "peer eth0"), for messages.
	Name string
	f    *os.File
}

// newNS creates an empty network namespace: an OS thread unshares it,
// opens it and exits (the thread is never unlocked, so it dies with the
// goroutine and no other code ever runs in the namespace by accident).
func newNS(name string) (*NS, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("lab: creating the %s network namespace: %w", name, err)}
			return
		}
		f, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		ch <- result{f, err}
	}()
	r := <-ch
	if r.err != nil {
		return nil, r.err
	}
	return &NS{Name: name, f: r.f}, nil
}

// Fd is the namespace's descriptor, for netlink.Config.NetNS and
// nftables.WithNetNSFd.
func (n *NS) Fd() int { return int(n.f.Fd()) }

// close releases the namespace (it disappears once nothing else holds it).
func (n *NS) close() error { return n.f.Close() }

// Command returns a command that runs in the namespace (through nsenter;
// extra files are passed as descriptors 4, 5, ...).
func (n *NS) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--net=/proc/self/fd/3", "--", name}, args...)...)
	cmd.ExtraFiles = []*os.File{n.f}
	return cmd
}

// Run runs a command in the namespace with stdin as its input and returns
// its standard output; the error includes standard error.
func (n *NS) Run(stdin string, name string, args ...string) (string, error) {
	return n.run(n.Command(name, args...), stdin)
}

func (n *NS) run(cmd *exec.Cmd, stdin string) (string, error) {
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s in %s: %v: %s", strings.Join(cmd.Args[3:], " "), n.Name, err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Do runs fn on an OS thread switched into the namespace; sockets fn opens
// belong to the namespace and stay there. The thread is discarded after
// fn returns.
func (n *NS) Do(fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Setns(n.Fd(), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("lab: entering %s: %w", n.Name, err)
			return
		}
		ch <- fn()
	}()
	return <-ch
}

// Sysctl writes a value under /proc/sys/net of the namespace, e.g.
// Sysctl("netfilter/nf_conntrack_udp_timeout", "4") (the /proc/sys/net
// tree a task sees is the one of its network namespace).
func (n *NS) Sysctl(key, value string) error {
	return n.Do(func() error {
		return os.WriteFile("/proc/sys/net/"+key, []byte(value), 0)
	})
}
