package ipt

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// inNetns runs f with its thread in the named network namespace, so that
// the programs f starts (go-iptables execs iptables) run there: a child
// process inherits the network namespace of the thread that forks it.
//
// go-iptables has no hook to wrap its command in `ip netns exec` (Path
// names one executable, and a wrapper script would need a temporary file
// and quoting), so we move a thread instead. f runs on a fresh goroutine
// locked to its OS thread; that thread enters the namespace with setns(2)
// and is never unlocked: when a goroutine exits while locked, the Go
// runtime terminates its thread rather than reuse it, so no other
// goroutine can ever run in the namespace by accident, and nothing has to
// setns back (which could fail and leave a thread astray). The caller's
// thread is not touched.
func inNetns(name string, f func() error) error {
	if name == "" {
		return f()
	}
	path := filepath.Join("/var/run/netns", name)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread, on purpose: see above.
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("network namespace %s: %w", name, &os.PathError{Op: "open", Path: path, Err: err})
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			errc <- fmt.Errorf("entering network namespace %s: %w", name, os.NewSyscallError("setns", err))
			return
		}
		errc <- f()
	}()
	return <-errc
}
