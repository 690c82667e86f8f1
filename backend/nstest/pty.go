//go:build linux

package nstest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Terminal gives a pseudo-terminal to hand to a command as its stderr,
// and shown, which closes it and returns everything written to it.
func Terminal(t *testing.T) (tty *os.File, shown func() string) {
	t.Helper()
	master, slave := openPTY(t)
	var drawn bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); io.Copy(&drawn, master) }()
	return slave, func() string {
		slave.Close()
		wg.Wait() // EIO once the slave is closed
		master.Close()
		return drawn.String()
	}
}

// openPTY gives a pseudo-terminal: the master to read what was drawn, the
// slave to hand to the command.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}
