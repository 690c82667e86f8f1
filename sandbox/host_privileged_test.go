package sandbox

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// hostState is what a script must not change on the host: read-only
// listings of the root namespace only.
func hostState(t *testing.T, files ...string) map[string]string {
	t.Helper()
	st := map[string]string{}
	run := func(key string, argv ...string) {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil && key != "ls /run/netns" {
			t.Fatalf("%s: %v: %s", key, err, out)
		}
		st[key] = string(out)
	}
	// Other tests (and helpers) on this machine add and delete their own
	// named namespaces meanwhile: look for the script's.
	out, _ := exec.Command("ip", "netns", "list").CombinedOutput()
	st["ip netns list: the script's"] = grepLines(string(out), "evil")
	out, _ = exec.Command("ls", "-la", "/run/netns").CombinedOutput()
	st["ls /run/netns: the script's"] = grepLines(string(out), "evil")
	run("nft list ruleset", "nft", "list", "ruleset")
	for _, save := range []string{"iptables-legacy-save", "ip6tables-legacy-save"} {
		out, err := exec.Command(save).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", save, err, out)
		}
		// Drop the date comments.
		var keep []string
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "#") {
				keep = append(keep, l)
			}
		}
		st[save] = strings.Join(keep, "\n")
	}
	run("ip route", "ip", "route", "show", "table", "all")
	run("ip -6 route", "ip", "-6", "route", "show", "table", "all")
	run("ip rule", "ip", "rule")
	run("ip -6 rule", "ip", "-6", "rule")
	run("ip link", "ip", "-o", "link")
	run("ip addr", "ip", "-o", "addr")
	run("hostname", "hostname")
	for _, k := range []string{"net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding", "net/ipv4/conf/all/rp_filter",
		"kernel/sysrq", "kernel/hostname", "net/netfilter/nf_conntrack_max", "vm/swappiness"} {
		b, err := os.ReadFile("/proc/sys/" + k)
		if err == nil {
			st["sysctl "+k] = string(b)
		}
	}
	irq, _ := filepath.Glob("/proc/irq/*/smp_affinity_list")
	for _, f := range append(irq, "/proc/mtrr") {
		if b, err := os.ReadFile(f); err == nil {
			st["file "+f] = string(b)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			st["file "+f] = "absent: " + err.Error()
			continue
		}
		st["file "+f] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return st
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// hostile tries everything a script could do to the host.
const hostile = `#!/bin/bash
set +e
target=$1
echo 1 > /proc/sys/net/ipv4/ip_forward
echo 1 > /proc/sys/kernel/sysrq
echo 90 > /proc/sys/vm/swappiness
sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 kernel.sysrq=1 vm.swappiness=80
ip link add xt2nft-evil type dummy
ip link set lo up
ip addr add 192.0.2.1/24 dev lo
ip route add 198.51.100.0/24 dev lo
ip route add default via 192.0.2.254
ip rule add fwmark 3 lookup 300
ip -6 rule add fwmark 3 lookup 300
ip netns add xt2nft-evil
mkdir -p /run/netns && touch /run/netns/xt2nft-evil
iptables -P FORWARD DROP
iptables -A INPUT -p tcp --dport 22 -j DROP
/usr/sbin/iptables-legacy -A INPUT -j DROP
iptables-nft -A OUTPUT -j DROP
ip6tables -A INPUT -j DROP
nft add table inet xt2nft-evil
echo owned > "$target"
rm -f "$target.keep"
echo owned > /etc/xt2nft-hostile-test
echo owned >> /etc/hosts
rm -f /etc/hostname
modprobe dummy
rmmod xt_recent
insmod /nonexistent.ko
systemctl restart networking
systemctl stop ssh
service ssh stop
netfilter-persistent flush
reboot
mount -t tmpfs none /mnt
umount -l /proc
hostname xt2nft-evil
date -s "$(date)"
echo h > /proc/sysrq-trigger
echo "disable=0" > /proc/mtrr
for f in /proc/irq/*/smp_affinity_list; do echo 0 > "$f"; break; done
iptables -A INPUT -m recent --name xt2nftevil --rcheck -j DROP
echo +192.0.2.77 > /proc/net/xt_recent/xt2nftevil && echo "recent: $(cat /proc/net/xt_recent/xt2nftevil)"
echo "dev: $(ls /dev | tr '\n' ' ')"
nsenter -t 1 -n -m iptables -F
sleep 1000 &
(sleep 1000; iptables -F) &
echo done
`

// TestPrivilegedExecHostUntouched runs a hostile script and proves that
// nothing escaped: the root namespace's firewall (legacy and nft), routes,
// rules, links, addresses, sysctls, hostname, named namespaces, and the
// files the script wrote or removed are as before; the sandbox's
// namespaces and processes are gone afterwards; and the script's rules
// were still made, in the sandbox.
func TestPrivilegedExecHostUntouched(t *testing.T) {
	nstest.Skip(t, "iptables-legacy", "bash")
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	for _, f := range []string{target, target + ".keep"} {
		if err := os.WriteFile(f, []byte("precious data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "hostile.sh")
	if err := os.WriteFile(script, []byte(hostile), 0o755); err != nil {
		t.Fatal(err)
	}
	watched := []string{target, target + ".keep", "/etc/xt2nft-hostile-test", "/etc/hosts", "/etc/hostname"}
	before := hostState(t, watched...)
	res, err := Run(context.Background(), script, Options{Timeout: 30 * time.Second, Args: []string{target}})
	if err != nil {
		t.Fatal(err)
	}
	after := hostState(t, watched...)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed on the host:\nbefore: %s\nafter:  %s", k, v, after[k])
		}
	}
	if !strings.Contains(res.Stdout, "done") {
		t.Errorf("the script did not run to its end: stdout %q, stderr %q", res.Stdout, res.Stderr)
	}
	// The rules were made, in the sandbox.
	out := Translate(res, parser.Options{}, translate.Options{})
	nft := render(t, out)
	for _, want := range []string{"tcp dport 22 counter drop", "policy drop", "table ip6 xt2nft"} {
		if !strings.Contains(nft, want) {
			t.Errorf("translation lacks %q:\n%s\n(exit %d %s, script stderr:\n%s\nsaved:\n%s%s\nlog: %+v)", want, nft, res.Exit, res.Signal, res.Stderr, res.Saved4, res.Saved6, res.Log)
		}
	}
	diags := strings.Join(out.Diags, "\n")
	for _, want := range []string{
		fmt.Sprintf(`%s:%d: warning: not run in the sandbox (it would change the host): "reboot"`, script, lineOf(hostile, "reboot")),
		fmt.Sprintf(`%s:%d: warning: not run in the sandbox (it would change the host): "systemctl restart networking"`, script, lineOf(hostile, "systemctl restart")),
		fmt.Sprintf(`%s:%d: warning: not an iptables command, ran in the sandbox only: "ip rule add fwmark 3 lookup 300"`, script, lineOf(hostile, "ip rule add")),
		"made nftables tables or rules with nft directly",
		`the script left 1 entries in recent list "xt2nftevil"`,
	} {
		if !strings.Contains(diags, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, diags)
		}
	}
	// What the sandbox saw of /dev: no disks, no memory, no kernel log.
	for _, l := range strings.Split(res.Stdout, "\n") {
		if rest, ok := strings.CutPrefix(l, "dev: "); ok {
			for _, n := range strings.Fields(rest) {
				if strings.HasPrefix(n, "sd") || strings.HasPrefix(n, "vd") || strings.HasPrefix(n, "nvme") ||
					n == "mem" || n == "kmem" || n == "kmsg" || n == "port" {
					t.Errorf("the sandbox's /dev has %s: %s", n, rest)
				}
			}
		}
	}
	// The sandbox's own recent list took the address (its /proc/net is
	// the sandbox's namespace); the host has no such list.
	if !strings.Contains(res.Stdout, "recent: src=192.0.2.77 ") {
		t.Errorf("the script could not write its recent list: stdout %q, stderr %q", res.Stdout, res.Stderr)
	}
	if _, err := os.Stat("/proc/net/xt_recent/xt2nftevil"); err == nil {
		t.Error("the sandbox's recent list xt2nftevil is on the host")
	}
	// The kernel-wide writes were refused, not silently ignored.
	irq, _ := filepath.Glob("/proc/irq/*/smp_affinity_list")
	if len(irq) > 0 {
		irq = irq[:1]
	}
	for _, f := range append([]string{"/proc/sys/vm/swappiness", "/proc/sys/kernel/sysrq", "/proc/sysrq-trigger", "/proc/mtrr"}, irq...) {
		if _, err := os.Stat(f); err != nil {
			continue // not in this kernel
		}
		if want := f + ": Read-only file system"; !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	checkGone(t, res, script)
}

// lineOf is the line of the script that starts with prefix.
func lineOf(script, prefix string) int {
	for i, l := range strings.Split(script, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	return 0
}

// checkGone fails unless the sandbox is gone: no process is left in its
// namespaces. Namespace inode numbers are reused at once on this busy
// machine (other tests make namespaces all the time), so a process counts
// only when it is the sandbox's: its init, or a command of the script.
func checkGone(t *testing.T, res *Result, marks ...string) {
	t.Helper()
	if res.NetNS == "" || res.MntNS == "" {
		t.Fatal("the sandbox did not report its namespaces")
	}
	marks = append(marks, initName, "sleep\x001000")
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := holders(marks, res.NetNS, res.MntNS)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox processes still running: %s", strings.Join(left, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holders lists the processes in the namespaces whose command line has
// one of the marks.
func holders(marks []string, nss ...string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmd, _ := os.ReadFile(p + "/cmdline")
		ours := false
		for _, m := range marks {
			ours = ours || strings.Contains(string(cmd), m)
		}
		if !ours {
			continue
		}
		for _, kind := range []string{"net", "mnt"} {
			l, err := os.Readlink(p + "/ns/" + kind)
			if err != nil {
				continue
			}
			for _, ns := range nss {
				if l == ns {
					out = append(out, fmt.Sprintf("%s (%s) in %s", p, strings.ReplaceAll(string(cmd), "\x00", " "), ns))
				}
			}
		}
	}
	return out
}

// TestPrivilegedExecKilled: when xt2nft is killed (SIGKILL, no cleanup
// possible) while the script runs, the sandbox dies with it.
func TestPrivilegedExecKilled(t *testing.T) {
	nstest.Skip(t, "iptables-legacy")
	if os.Getenv("XT2NFT_EXEC_HELPER") != "" {
		// The child: run a script that hangs, report the namespace.
		res, err := Run(context.Background(), os.Getenv("XT2NFT_EXEC_HELPER"), Options{Timeout: time.Minute})
		t.Fatalf("the helper's run returned: %v %v", res, err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "hang.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\niptables -A INPUT -j ACCEPT\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPrivilegedExecKilled$")
	cmd.Env = append(os.Environ(), "XT2NFT_EXEC_HELPER="+script)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the sandbox's sleep, then kill the helper outright.
	var sleeper string
	for i := 0; i < 100 && sleeper == ""; i++ {
		time.Sleep(50 * time.Millisecond)
		procs, _ := filepath.Glob("/proc/[0-9]*")
		for _, p := range procs {
			b, _ := os.ReadFile(p + "/cmdline")
			if string(b) == "sleep\x001000\x00" {
				if ns, err := os.Readlink(p + "/ns/net"); err == nil {
					sleeper = ns
				}
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if sleeper == "" {
		t.Fatal("the sandbox's script never started")
	}
	checkGone(t, &Result{NetNS: sleeper, MntNS: sleeper})
}

// TestPrivilegedExecTimeoutAndFailure: a script that hangs is killed at
// the timeout and reported; a set -e script that fails is an error that
// quotes its stderr; with --allow-partial what it built is still printed.
func TestPrivilegedExecTimeoutAndFailure(t *testing.T) {
	nstest.Skip(t, "iptables-legacy")
	dir := t.TempDir()
	hang := filepath.Join(dir, "hang.sh")
	os.WriteFile(hang, []byte("#!/bin/sh\niptables -A INPUT -j ACCEPT\nwhile :; do sleep 1; done\n"), 0o755)
	fail := filepath.Join(dir, "fail.sh")
	os.WriteFile(fail, []byte("#!/bin/sh\nset -e\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\nip link set eth0 up\niptables -A INPUT -j DROP\n"), 0o755)

	t0 := time.Now()
	res, err := Run(context.Background(), hang, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || time.Since(t0) > 10*time.Second {
		t.Errorf("hang.sh: timed out %v after %v", res.TimedOut, time.Since(t0))
	}
	out := Translate(res, parser.Options{}, translate.Options{})
	if !out.Failed || !strings.Contains(strings.Join(out.Diags, "\n"), "did not finish within the --exec-timeout") {
		t.Errorf("hang.sh: %v %q", out.Failed, out.Diags)
	}
	checkGone(t, res)

	res, err = Run(context.Background(), fail, Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out = Translate(res, parser.Options{}, translate.Options{AllowPartial: true})
	diags := strings.Join(out.Diags, "\n")
	if !out.Failed || !strings.Contains(diags, "fail.sh: the script exited with status 1 in the sandbox (/bin/sh)") ||
		!strings.Contains(diags, `Cannot find device "eth0"`) {
		t.Errorf("fail.sh: failed=%v:\n%s", out.Failed, diags)
	}
	if nft := render(t, out); !strings.Contains(nft, "tcp dport 22 counter accept") || strings.Contains(nft, "counter drop") {
		t.Errorf("fail.sh: --allow-partial output:\n%s", nft)
	}
}

// TestPrivilegedExecLines: diagnostics name the script line that made the
// rule, for bash (DEBUG trap) and sh (matching), in functions, loops and
// iptables-restore input.
func TestPrivilegedExecLines(t *testing.T) {
	nstest.Skip(t, "iptables-legacy", "bash")
	body := `IPT=/sbin/iptables
guard() {
    $IPT -A INPUT -p tcp --dport "$1" -m recent --name ssh --rcheck --seconds 60 --reap -j DROP
}
for p in 22 2222; do guard $p; done
$IPT -N web
iptables-restore --noflush <<EOF
*filter
-A web -m recent --name web --set --rsource
-A web -m recent --name web --rcheck --seconds 10 --reap -j DROP
COMMIT
EOF
`
	for _, shell := range []string{"#!/bin/bash\n", "#!/bin/sh\n"} {
		dir := t.TempDir()
		script := filepath.Join(dir, "lines.sh")
		os.WriteFile(script, []byte(shell+body), 0o755)
		res, err := Run(context.Background(), script, Options{Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		out := Translate(res, parser.Options{}, translate.Options{})
		diags := strings.Join(out.Diags, "\n")
		for _, want := range []string{
			script + ":4: warning: recent: --reap is not reproduced",
			"(rule: -A INPUT -p tcp -m tcp --dport 2222 -m recent --rcheck --seconds 60 --reap --name ssh --mask 255.255.255.255 --rsource -j DROP)",
			script + ":8: warning: recent: --reap is not reproduced",
			"--reap --name web --mask 255.255.255.255 --rsource -j DROP, line 3 of iptables-restore's input)",
		} {
			if !strings.Contains(diags, want) {
				t.Errorf("%s: diagnostics lack %q:\n%s", shell, want, diags)
			}
		}
		if out.Failed {
			t.Errorf("%s: failed:\n%s", shell, diags)
		}
	}
}

// TestPrivilegedExecWrapperLines: a rule made through a wrapper function
// that passes its arguments on (IPFire's and Arno's iptables() {
// command iptables --wait "$@"; }) is named by the line that called the
// wrapper, not by the wrapper's (bash); a function that writes the rule
// itself is named by its own line.
func TestPrivilegedExecWrapperLines(t *testing.T) {
	nstest.Skip(t, "iptables-legacy", "bash")
	script := filepath.Join(t.TempDir(), "wrap.sh")
	os.WriteFile(script, []byte(`#!/bin/bash
function iptables() {
	command iptables --wait "$@"
}
setup() {
	iptables -A INPUT -p tcp --dport 22 -m recent --name a --rcheck --seconds 60 --reap -j DROP
}
setup
iptables -A INPUT -p tcp --dport 23 -m recent --name b --rcheck --seconds 60 --reap -j DROP
`), 0o755)
	res, err := Run(context.Background(), script, Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := Translate(res, parser.Options{}, translate.Options{})
	diags := strings.Join(out.Diags, "\n")
	for _, line := range []string{"6", "9"} {
		if !strings.Contains(diags, script+":"+line+": warning: recent: --reap") {
			t.Errorf("no --reap warning at line %s (the wrapper's caller):\n%s", line, diags)
		}
	}
	if strings.Contains(diags, script+":3:") {
		t.Errorf("a diagnostic names the wrapper's line 3:\n%s", diags)
	}
}

// TestPrivilegedExecDropsCapabilities: a script never holds the
// capabilities the sandbox drops (CAP_SYS_ADMIN, CAP_SYS_MODULE, ...),
// however the init's threads are scheduled: sixteen sandboxes at once, each
// script reading its bounding set. (With the drop on one thread of the
// init and the script forked from another, some had them all.)
func TestPrivilegedExecDropsCapabilities(t *testing.T) {
	nstest.Skip(t, "iptables-legacy", "bash")
	script := filepath.Join(t.TempDir(), "caps.sh")
	if err := os.WriteFile(script, []byte("#!/bin/bash\ngrep CapBnd /proc/self/status\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const runs = 16
	errs := make(chan error, runs)
	for range runs {
		go func() {
			res, err := Run(context.Background(), script, Options{Timeout: 30 * time.Second})
			if err != nil {
				errs <- err
				return
			}
			f := strings.Fields(res.Stdout)
			if len(f) != 2 {
				errs <- fmt.Errorf("the script printed %q", res.Stdout)
				return
			}
			bnd, err := strconv.ParseUint(f[1], 16, 64)
			if err != nil {
				errs <- err
				return
			}
			for _, c := range []uint{unix.CAP_SYS_ADMIN, unix.CAP_SYS_MODULE, unix.CAP_SYS_BOOT, unix.CAP_SYS_TIME} {
				if bnd&(1<<c) != 0 {
					errs <- fmt.Errorf("the script's bounding set %s holds capability %d", f[1], c)
					return
				}
			}
			errs <- nil
		}()
	}
	for range runs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
