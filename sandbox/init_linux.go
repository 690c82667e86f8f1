package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// initMain is the sandbox's init (PID 1 of its PID namespace): it builds
// the sandbox, runs the script, saves the ruleset and reports on fd 3.
func initMain() int {
	// Capabilities, the bounding set among them, belong to a thread, not to
	// the process: the set dropCapabilities shrinks is this thread's, and
	// only a child forked from this thread inherits it. Every command the
	// init starts is started by this goroutine, so it stays on this thread
	// (unlocked, the script sometimes ran with CAP_SYS_ADMIN: its umount of
	// /proc then hid the ruleset from the save).
	runtime.LockOSThread()
	report := os.NewFile(3, "report")
	var cfg config
	res := &initResult{}
	if err := json.NewDecoder(os.Stdin).Decode(&cfg); err != nil {
		res.Err = "reading the configuration: " + err.Error()
	} else if err := build(cfg); err != nil {
		res.Err = err.Error()
	} else if res.NetNS, err = os.Readlink("/proc/self/ns/net"); err != nil {
		res.Err = err.Error()
	} else if res.MntNS, err = os.Readlink("/proc/self/ns/mnt"); err != nil {
		res.Err = err.Error()
	} else {
		runScript(cfg, res)
		save(res)
	}
	if err := json.NewEncoder(report).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox: reporting:", err)
		return 1
	}
	report.Close()
	return 0
}

// mount wraps mount(2) with a message naming what failed.
func mount(src, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(src, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s (%s): %w", src, target, fstype, err)
	}
	return nil
}

// build makes the sandbox's root and moves into it (see the package doc).
func build(cfg config) error {
	if err := mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	// Host paths needed after the new root hides them, opened first.
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return err
	}
	defer exe.Close()
	hostMounts, err := mountPoints()
	if err != nil {
		return err
	}
	// The tmpfs below hides the host's /tmp from this process: hold what
	// is needed from the host (its other mounts, the directories to keep)
	// by file descriptor, and mount them through /proc/self/fd.
	const ws = "/tmp"
	hold := func(p string) string {
		fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return ""
		}
		return fmt.Sprintf("/proc/self/fd/%d", fd)
	}
	type held struct{ path, via string }
	var binds []held
	for _, mp := range hostMounts {
		if mp == "/" || under(mp, "/proc", "/sys", "/dev", "/run", "/tmp", "/var/run") {
			continue
		}
		if via := hold(mp); via != "" {
			binds = append(binds, held{mp, via})
		}
	}
	var keep []held
	for _, d := range cfg.Keep {
		if via := hold(d); via != "" {
			keep = append(keep, held{d, via})
		}
	}
	// A tmpfs of our own: the overlay's upper layer, and the new root.
	if err := mount("xt2nft-sandbox", ws, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700"); err != nil {
		return err
	}
	root := ws + "/root"
	for _, d := range []string{ws + "/upper", ws + "/work", root} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	// The host's root file system, copy-on-write: the script may write
	// anywhere (installers do), the writes stay in the tmpfs.
	if err := mount("overlay", root, "overlay", 0,
		"lowerdir=/,upperdir="+ws+"/upper,workdir="+ws+"/work"); err != nil {
		return fmt.Errorf("%w (the sandbox needs overlayfs)", err)
	}
	// Other host mounts, read-only.
	for _, b := range binds {
		target := root + b.path
		if _, err := os.Lstat(target); err != nil {
			continue // inside a tree we do not show
		}
		if err := mount(b.via, target, "", unix.MS_BIND, ""); err != nil {
			continue
		}
		if err := mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
			unix.Unmount(target, unix.MNT_DETACH)
		}
	}
	if err := kernelFS(root); err != nil {
		return err
	}
	if err := devices(root); err != nil {
		return err
	}
	for _, d := range []string{"/run", "/tmp"} {
		if err := mount("tmpfs", root+d, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
			return err
		}
	}
	os.Chmod(root+"/run", 0o755)
	for _, d := range []string{"/run/lock", runDir, root + realDir} {
		if !strings.HasPrefix(d, root) {
			d = root + d
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// Directories of the host the new root replaced (the script's, under
	// /tmp): shown again, copy-on-write.
	for i, k := range keep {
		if err := keepDir(root, k.path, k.via, fmt.Sprintf("%s/keep%d", ws, i)); err != nil {
			return err
		}
	}
	if err := shimFiles(root, exe, cfg); err != nil {
		return err
	}
	// Into the new root; the old one is detached, unreachable from inside.
	old := root + "/.xt2nft-oldroot"
	if err := os.Mkdir(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(root, old); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/.xt2nft-oldroot", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	os.Remove("/.xt2nft-oldroot")
	// iptables-legacy loads ip_tables itself with modprobe, which is a
	// no-op in here: load the two base modules as the host's iptables would
	// (only when missing; tables and matches the kernel loads on demand).
	for _, m := range []struct{ proc, mod string }{{"/proc/net/ip_tables_names", "ip_tables"}, {"/proc/net/ip6_tables_names", "ip6_tables"}} {
		if _, err := os.Stat(m.proc); err != nil {
			exec.Command(realDir+"/modprobe", "-q", m.mod).Run()
		}
	}
	return dropCapabilities()
}

// under reports whether p is one of the trees or inside one.
func under(p string, trees ...string) bool {
	for _, t := range trees {
		if p == t || strings.HasPrefix(p, t+"/") {
			return true
		}
	}
	return false
}

// mountPoints lists the host's mount points, parents first.
func mountPoints() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 {
			out = append(out, unescapeMount(fields[4]))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.Count(out[i], "/") < strings.Count(out[j], "/") })
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// kernelFS mounts /proc and /sys (read-only, the sandbox's devices). Of
// /proc, what belongs to the sandbox stays writable: its processes'
// directories (among them /proc/self/net, whose xt_recent files a script
// may write to, as fail2ban's xt_recent action bans) and /proc/sys/net (the
// sandbox's network namespace); every other entry (/proc/sys, /proc/irq,
// /proc/bus, /proc/mtrr, ...) is bound read-only over itself.
func kernelFS(root string) error {
	proc := root + "/proc"
	const flags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := mount("proc", proc, "proc", flags, ""); err != nil {
		return err
	}
	entries, err := os.ReadDir(proc)
	if err != nil {
		return err
	}
	readOnly := func(p string) error {
		if err := mount(p, p, "", unix.MS_BIND, ""); err != nil {
			return err
		}
		return mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|flags, "")
	}
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 || strings.Trim(e.Name(), "0123456789") == "" {
			continue // self, thread-self, net, mounts; the processes
		}
		if err := readOnly(proc + "/" + e.Name()); err != nil {
			return err
		}
	}
	// /proc/sys/net, bound from the read-only /proc/sys, made writable.
	if err := mount(proc+"/sys/net", proc+"/sys/net", "", unix.MS_BIND, ""); err != nil {
		return err
	}
	if err := mount("", proc+"/sys/net", "", unix.MS_BIND|unix.MS_REMOUNT|flags, ""); err != nil {
		return err
	}
	return mount("sysfs", root+"/sys", "sysfs", unix.MS_RDONLY|flags, "")
}

// devices builds a minimal /dev: no disks, no memory, no consoles.
func devices(root string) error {
	dev := root + "/dev"
	if err := mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755"); err != nil {
		return err
	}
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty", "net/tun"} {
		if _, err := os.Stat("/dev/" + n); err != nil {
			continue
		}
		os.MkdirAll(filepath.Dir(dev+"/"+n), 0o755)
		f, err := os.Create(dev + "/" + n)
		if err != nil {
			return err
		}
		f.Close()
		if err := mount("/dev/"+n, dev+"/"+n, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	for _, d := range []string{"pts", "shm"} {
		os.Mkdir(dev+"/"+d, 0o755)
	}
	if err := mount("devpts", dev+"/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err == nil {
		os.Symlink("pts/ptmx", dev+"/ptmx")
	}
	if err := mount("tmpfs", dev+"/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return err
	}
	for l, t := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		os.Symlink(t, dev+"/"+l)
	}
	return nil
}

// keepDir shows host directory d at the same place in the new root, as an
// overlay whose upper layer is in the sandbox's tmpfs.
func keepDir(root, d, via, ws string) error {
	for _, s := range []string{ws + "/u", ws + "/w"} {
		if err := os.MkdirAll(s, 0o755); err != nil {
			return err
		}
	}
	target := root + d
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	err := mount("overlay", target, "overlay", 0, "lowerdir="+via+",upperdir="+ws+"/u,workdir="+ws+"/w")
	if err != nil {
		// Read-only, then.
		if err := mount(via, target, "", unix.MS_BIND, ""); err != nil {
			return err
		}
		return mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "")
	}
	return nil
}

// binDirs are where scripts find iptables by absolute path.
var binDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}

// shimFiles puts this executable and the real tools under /run/xt2nft,
// the shims first in PATH (/run/xt2nft/bin) and over every shimmed name in
// the standard directories, and the BASH_ENV file that traces lines.
func shimFiles(root string, exe *os.File, cfg config) error {
	bind := func(src, dst string) error {
		f, err := os.Create(dst)
		if err != nil {
			return err
		}
		f.Close()
		return mount(src, dst, "", unix.MS_BIND, "")
	}
	if err := bind(fmt.Sprintf("/proc/self/fd/%d", exe.Fd()), root+selfPath); err != nil {
		return err
	}
	for name, p := range cfg.Real {
		if err := bind(p, root+realDir+"/"+name); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(root+shimDir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(shims))
	for n, spec := range shims {
		if spec.fam != 0 || spec.kind == shimMulti || cfg.Present[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.Symlink(selfPath, root+shimDir+"/"+n); err != nil {
			return err
		}
	}
	rootDev := devOf(root)
	seen := map[string]bool{}
	for _, d := range binDirs {
		real, err := filepath.EvalSymlinks(root + d)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if devOf(real) != rootDev {
			// A directory on a read-only host mount: an overlay of its own.
			ws := fmt.Sprintf("/tmp/bin%d", len(seen))
			os.MkdirAll(ws+"/u", 0o755)
			os.MkdirAll(ws+"/w", 0o755)
			if err := mount("overlay", real, "overlay", 0, "lowerdir="+real+",upperdir="+ws+"/u,workdir="+ws+"/w"); err != nil {
				return err
			}
		}
		for _, n := range names {
			p := real + "/" + n
			os.Remove(p)
			if err := os.Symlink(selfPath, p); err != nil {
				return fmt.Errorf("shim %s: %w", p, err)
			}
		}
	}
	trace := "# xt2nft sandbox: every simple command exports its script line for the shims.\n" +
		"set -T\n" +
		"trap 'export " + envFile + "=\"${BASH_SOURCE[0]-}\" " + envLine + "=\"$LINENO\" " + envCaller + "=\"${BASH_SOURCE[1]-}:${BASH_LINENO[0]-}\"' DEBUG\n"
	for _, kv := range cfg.Env {
		if v, ok := strings.CutPrefix(kv, "BASH_ENV="); ok && v != "" {
			trace += ". " + shellQuote(v) + "\n"
		}
	}
	if err := os.WriteFile(root+bashEnv, []byte(trace), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(root+logPath, nil, 0o666); err != nil {
		return err
	}
	return os.WriteFile(root+markerPath, []byte("xt2nft sandbox\n"), 0o644)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func devOf(p string) uint64 {
	var st unix.Stat_t
	if unix.Stat(p, &st) != nil {
		return 0
	}
	return st.Dev
}

// keptCaps are the capabilities the script keeps; every other one is
// dropped from the bounding set, so nothing the init starts can have it.
var keptCaps = []uintptr{
	unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_FOWNER, unix.CAP_FSETID, unix.CAP_KILL,
	unix.CAP_SETGID, unix.CAP_SETUID, unix.CAP_SETPCAP, unix.CAP_NET_BIND_SERVICE, unix.CAP_NET_BROADCAST,
	unix.CAP_NET_ADMIN, unix.CAP_NET_RAW, unix.CAP_IPC_OWNER, unix.CAP_SYS_CHROOT, unix.CAP_AUDIT_WRITE,
	unix.CAP_SETFCAP,
}

func dropCapabilities() error {
	keep := map[uintptr]bool{}
	for _, c := range keptCaps {
		keep[c] = true
	}
	for c := uintptr(0); c <= unix.CAP_LAST_CAP; c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	return nil
}

// lastBytes reads the last 64 KiB of a file.
func lastBytes(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 64<<10 {
		b = b[len(b)-64<<10:]
	}
	return string(b)
}

// runScript runs the script with its interpreter, under the timeout, and
// then ends every process it left behind.
func runScript(cfg config, res *initResult) {
	argv := append(append([]string{}, cfg.Shell...), cfg.Script)
	argv = append(argv, cfg.Args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = cfg.Dir
	env := []string{}
	for _, kv := range cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "BASH_ENV", envFile, envLine, envCaller, envInner:
			continue
		case "PATH":
			kv = "PATH=" + shimDir + ":" + v
		}
		env = append(env, kv)
	}
	if !hasEnv(env, "PATH") {
		env = append(env, "PATH="+shimDir+":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if cfg.Bash {
		env = append(env, "BASH_ENV="+bashEnv)
	}
	cmd.Env = env
	// Files, not pipes: background jobs the script leaves keep a pipe open,
	// and Wait would wait for them.
	stdout, err := os.Create(runDir + "/stdout")
	if err != nil {
		res.Exit, res.Stderr = 127, err.Error()
		return
	}
	defer stdout.Close()
	stderr, err := os.Create(runDir + "/stderr")
	if err != nil {
		res.Exit, res.Stderr = 127, err.Error()
		return
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	if err := cmd.Start(); err != nil {
		res.Exit, res.Stderr = 127, err.Error()
		return
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		res.TimedOut = true
		unix.Kill(-1, unix.SIGKILL)
		err = <-done
	}
	// Whatever the script left running (daemons it started) goes now, so
	// nothing changes the ruleset while it is saved.
	unix.Kill(-1, unix.SIGKILL)
	reap()
	res.Stdout, res.Stderr = lastBytes(runDir+"/stdout"), lastBytes(runDir+"/stderr")
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Exit = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = ws.Signal().String()
		}
	default:
		res.Exit, res.Stderr = 127, res.Stderr+err.Error()
	}
}

func hasEnv(env []string, k string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			return true
		}
	}
	return false
}

// reap collects every child left (the init inherits orphans), for up to a
// second.
func reap() {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.ECHILD) {
			return
		}
		if pid <= 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// save reads what the script built, with the real legacy tools.
func save(res *initResult) {
	run := func(argv0 string, tool string, args ...string) string {
		var out, errb bytes.Buffer
		cmd := exec.Command(realDir+"/"+tool, args...)
		cmd.Args[0] = argv0
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", envInner + "=1"}
		if err := cmd.Run(); err != nil && res.Err == "" && tool == "xtables-legacy-multi" {
			res.Err = fmt.Sprintf("%s -c: %v: %s", argv0, err, strings.TrimSpace(errb.String()))
		}
		return out.String()
	}
	res.Saved4 = run("iptables-legacy-save", "xtables-legacy-multi", "-c")
	res.Saved6 = run("ip6tables-legacy-save", "xtables-legacy-multi", "-c")
	if _, err := os.Stat(realDir + "/nft"); err == nil {
		res.Nft = run("nft", "nft", "list", "ruleset")
	}
	if _, err := os.Stat(realDir + "/ipset"); err == nil {
		res.IPSets = run("ipset", "ipset", "save")
	}
	if b, err := os.ReadFile(logPath); err == nil {
		res.Log = string(b)
	}
	// The recent lists' entries (the sandbox's namespace: /proc/self/net).
	lists, _ := os.ReadDir("/proc/self/net/xt_recent")
	for _, l := range lists {
		if b, err := os.ReadFile("/proc/self/net/xt_recent/" + l.Name()); err == nil && len(b) > 0 {
			if res.Recent == nil {
				res.Recent = map[string]int{}
			}
			res.Recent[l.Name()] = bytes.Count(b, []byte("\n"))
		}
	}
}
