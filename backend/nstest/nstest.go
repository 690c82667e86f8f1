//go:build linux

// Package nstest runs privileged tests inside throwaway network namespaces.
//
// Privileged tests load rulesets into the kernel with nft. They run only when
// asked to (XT2NFT_PRIVILEGED=1), as root, with nft installed, and every
// command runs in a fresh named network namespace that the test deletes when
// it ends: the root namespace's firewall is never touched.
//
//	func TestLoad(t *testing.T) {
//		nstest.Skip(t)
//		ns := nstest.New(t, "load")
//		if _, stderr, err := ns.NFT("add table ip t\n"); err != nil {
//			t.Fatal(stderr)
//		}
//	}
package nstest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// EnvVar enables privileged tests when set to "1".
const EnvVar = "XT2NFT_PRIVILEGED"

// Skip skips the test unless privileged tests can run: Linux, XT2NFT_PRIVILEGED=1,
// effective uid 0, and nft, ip and the extra programs on PATH.
func Skip(t testing.TB, extra ...string) {
	t.Helper()
	if os.Getenv(EnvVar) != "1" {
		t.Skipf("privileged test: set %s=1 (and run as root) to run it", EnvVar)
	}
	if os.Geteuid() != 0 {
		t.Skip("privileged test: needs root (euid 0)")
	}
	for _, prog := range append([]string{"nft", "ip"}, extra...) {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("privileged test: %s not found on PATH", prog)
		}
	}
}

// NS is a named network namespace owned by one test.
type NS struct {
	// Name is the namespace name (as in `ip netns list`).
	Name string

	closed atomic.Bool
}

var seq atomic.Int64

// New creates a fresh network namespace named xt2nft-<name>-<pid>-<n> and
// deletes it when t and its subtests end. It fails the test if the namespace
// cannot be created. Call Skip first.
func New(t testing.TB, name string) *NS {
	t.Helper()
	sweep.Do(sweepStale)
	ns := &NS{Name: fmt.Sprintf("xt2nft-%s-%d-%d", name, os.Getpid(), seq.Add(1))}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, out)
	}
	t.Cleanup(func() {
		if err := ns.Close(); err != nil {
			t.Error(err)
		}
	})
	return ns
}

var sweep sync.Once

// sweepStale deletes the namespaces a killed test run left behind (its
// cleanups never ran): every xt2nft-NAME-PID-N in /run/netns whose PID is
// no running process. A live run's namespaces, and any other namespace,
// stay.
func sweepStale() {
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		if f := strings.Split(e.Name(), "-"); len(f) >= 4 && f[0] == "xt2nft" && !alive(f[len(f)-2]) {
			exec.Command("ip", "netns", "del", e.Name()).Run()
		}
	}
}

// alive reports whether pid names a running process (or is not a pid).
func alive(pid string) bool {
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return true
	}
	_, err = os.Stat("/proc/" + pid)
	return err == nil
}

// Close deletes the namespace now instead of when the test ends. Calling it
// again does nothing.
func (ns *NS) Close() error {
	if ns.closed.Swap(true) {
		return nil
	}
	if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %v: %s", ns.Name, err, out)
	}
	return nil
}

// Run runs a command inside the namespace (ip netns exec) with no input.
// err is non-nil when the command could not start or exited non-zero.
func (ns *NS) Run(args ...string) (stdout, stderr string, err error) {
	return ns.RunInput("", args...)
}

// RunInput is Run with stdin as the command's standard input.
func (ns *NS) RunInput(stdin string, args ...string) (stdout, stderr string, err error) {
	if len(args) == 0 {
		return "", "", fmt.Errorf("nstest: no command")
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.Name}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), err
}

// NFT runs nft inside the namespace with stdin as its input. With no args it
// runs `nft -f -`, loading stdin as a script; otherwise it runs `nft ARGS...`
// (pass "-c", "-f", "-" to only check a script, "list", "ruleset" to list).
func (ns *NS) NFT(stdin string, args ...string) (stdout, stderr string, err error) {
	if len(args) == 0 {
		args = []string{"-f", "-"}
	}
	return ns.RunInput(stdin, append([]string{"nft"}, args...)...)
}
