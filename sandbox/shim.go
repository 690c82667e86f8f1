package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Paths inside the sandbox (its private /run).
const (
	runDir     = "/run/xt2nft"
	markerPath = runDir + "/sandbox"
	logPath    = runDir + "/log"
	realDir    = runDir + "/real"
	shimDir    = runDir + "/bin"
	selfPath   = runDir + "/xt2nft"
	bashEnv    = runDir + "/bash_env"
)

// Environment variables: the script line (from bash's DEBUG trap), and the
// mark of commands that shims start themselves (modprobe run by
// iptables), which are not the script's.
const (
	envFile   = "XT2NFT_FILE"
	envLine   = "XT2NFT_LINE"
	envCaller = "XT2NFT_CALLER" // FILE:LINE that called the function running (bash)
	envInner  = "XT2NFT_INNER"
)

// shimKind is what a shim does.
type shimKind int

const (
	shimIptables  shimKind = iota // one iptables command: the legacy tool, rules tagged
	shimSave                      // iptables-save: the legacy tool
	shimRestore                   // iptables-restore: the legacy tool, input tagged
	shimApply                     // iptables-apply FILE: restore FILE (as if confirmed)
	shimMulti                     // xtables-*-multi NAME ...: the shim for NAME
	shimRun                       // ip, tc, ipset, nft: run in the sandbox, reported
	shimSysctl                    // sysctl: net.* run in the sandbox, other keys not run
	shimSkip                      // modprobe, service, reboot: not run, reported
	shimSystemctl                 // systemctl: not run; queries answer "inactive"
	shimSudo                      // sudo, doas: run the command
)

// shimSpec is one shimmed name.
type shimSpec struct {
	kind shimKind
	fam  int // 4 or 6 for the iptables family
}

// shims are the names the sandbox shims.
var shims = func() map[string]shimSpec {
	m := map[string]shimSpec{}
	for _, b := range []struct {
		name string
		fam  int
	}{{"iptables", 4}, {"ip6tables", 6}} {
		for _, v := range []string{"", "-legacy", "-nft"} {
			m[b.name+v] = shimSpec{shimIptables, b.fam}
			m[b.name+v+"-save"] = shimSpec{shimSave, b.fam}
			m[b.name+v+"-restore"] = shimSpec{shimRestore, b.fam}
		}
		m[b.name+"-apply"] = shimSpec{shimApply, b.fam}
	}
	for _, n := range []string{"xtables-legacy-multi", "xtables-nft-multi", "xtables-multi"} {
		m[n] = shimSpec{kind: shimMulti}
	}
	for _, n := range []string{"ip", "tc", "ipset", "nft", "conntrack", "bridge", "ethtool"} {
		m[n] = shimSpec{kind: shimRun}
	}
	m["sysctl"] = shimSpec{kind: shimSysctl}
	for _, n := range []string{"modprobe", "insmod", "rmmod", "depmod", "service", "invoke-rc.d", "update-rc.d",
		"chkconfig", "netfilter-persistent", "reboot", "shutdown", "halt", "poweroff", "telinit", "hwclock",
		"timedatectl", "hostnamectl", "initctl"} {
		m[n] = shimSpec{kind: shimSkip}
	}
	m["systemctl"] = shimSpec{kind: shimSystemctl}
	m["sudo"] = shimSpec{kind: shimSudo}
	m["doas"] = shimSpec{kind: shimSudo}
	return m
}()

// shimMain is a shim's whole run; it returns the exit status.
func shimMain(name string, args []string) int {
	spec := shims[name]
	inner := os.Getenv(envInner) != ""
	switch spec.kind {
	case shimSudo:
		return sudo(args)
	case shimMulti:
		if len(args) > 0 {
			if s, ok := shims[filepath.Base(args[0])]; ok && s.kind != shimMulti {
				return shimMain(filepath.Base(args[0]), args[1:])
			}
		}
		return runReal("xtables-legacy-multi", "xtables-legacy-multi", args, nil, nil)
	}
	if inner {
		// A command started by a shimmed tool (modprobe by iptables).
		if spec.kind == shimSkip || spec.kind == shimSystemctl {
			return 0
		}
	}
	lg := openLog()
	defer lg.close()
	rec := Record{Tool: name, Argv: append([]string{os.Args[0]}, args...), File: os.Getenv(envFile)}
	rec.Line, _ = strconv.Atoi(os.Getenv(envLine))
	if c := os.Getenv(envCaller); c != "" {
		if i := strings.LastIndexByte(c, ':'); i > 0 {
			rec.CallerFile = c[:i]
			rec.CallerLine, _ = strconv.Atoi(c[i+1:])
		}
	}
	switch spec.kind {
	case shimIptables:
		rec.Action = "iptables"
		op, _, _, counters := iptArgs(args)
		tag := !counters && (op == 'A' || op == 'I' || op == 'R')
		rec.Tagged = tag
		id := lg.start(rec)
		if tag && id > 0 {
			n := strconv.FormatInt(id, 10)
			args = append([]string{"-c", n, n}, args...)
		}
		return lg.end(id, runReal("xtables-legacy-multi", legacy(spec.fam, ""), args, nil, lg))
	case shimSave:
		rec.Action = "iptables"
		id := lg.start(rec)
		return lg.end(id, runReal("xtables-legacy-multi", legacy(spec.fam, "-save"), args, nil, lg))
	case shimRestore, shimApply:
		rec.Action = "iptables"
		return restore(spec, rec, args, lg)
	case shimRun:
		rec.Action = "ran"
		id := lg.start(rec)
		return lg.end(id, runReal(name, name, args, nil, lg))
	case shimSysctl:
		rec.Action = "ran"
		id := lg.start(rec)
		return lg.end(id, sysctl(args, lg))
	case shimSystemctl:
		verb := ""
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				verb = a
				break
			}
		}
		switch verb {
		case "is-active", "is-failed":
			fmt.Println("inactive")
			return 3
		case "is-enabled":
			fmt.Println("disabled")
			return 1
		case "status":
			return 3
		case "show", "cat", "list-units", "list-unit-files", "list-timers", "list-sockets", "help", "--version", "":
			return 0
		}
		rec.Action = "skipped"
		lg.end(lg.start(rec), 0)
		return 0
	}
	rec.Action = "skipped"
	lg.end(lg.start(rec), 0)
	return 0
}

// legacy is the legacy tool's name for a family: iptables-legacy-save.
func legacy(fam int, suffix string) string {
	if fam == 6 {
		return "ip6tables-legacy" + suffix
	}
	return "iptables-legacy" + suffix
}

// shimLog appends records to the sandbox's log.
type shimLog struct {
	f      *os.File
	stderr bytes.Buffer // the first bytes of the command's stderr
}

func openLog() *shimLog {
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return &shimLog{}
	}
	return &shimLog{f: f}
}

func (l *shimLog) close() {
	if l.f != nil {
		l.f.Close()
	}
}

// start writes a record and returns its ID: the file offset where the
// record's line ends. With O_APPEND the write and its offset are one atomic
// step of this open file, so IDs are unique among concurrent shims.
func (l *shimLog) start(r Record) int64 {
	if l.f == nil {
		return 0
	}
	b, _ := json.Marshal(r)
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return 0
	}
	off, err := l.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	return off
}

// end writes the end record of id and passes the status through.
func (l *shimLog) end(id int64, status int) int {
	if l.f == nil || id == 0 {
		return status
	}
	msg := l.stderr.String()
	if len(msg) > 2048 {
		msg = msg[:2048]
	}
	b, _ := json.Marshal(Record{End: true, Of: id, Exit: status, Stderr: msg})
	l.f.Write(append(b, '\n'))
	return status
}

// capture keeps the first 4 KiB written to it.
type capture struct{ b *bytes.Buffer }

func (c capture) Write(p []byte) (int, error) {
	if room := 4096 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// runReal runs a real program of the host (bound under realDir) by the
// name argv0 (multi-call binaries dispatch on it), passing the shim's
// standard streams through, stderr also into the log.
func runReal(tool, argv0 string, args []string, stdin io.Reader, lg *shimLog) int {
	path := filepath.Join(realDir, tool)
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(os.Stderr, "%s: not available in the xt2nft sandbox\n", argv0)
		return 127
	}
	cmd := exec.Command(path, args...)
	cmd.Args[0] = argv0
	cmd.Stdin = os.Stdin
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if lg != nil {
		cmd.Stderr = io.MultiWriter(os.Stderr, capture{&lg.stderr})
	}
	cmd.Env = append(os.Environ(), envInner+"=1")
	return status(cmd.Run())
}

// status turns a command's error into an exit status as a shell reports it.
func status(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	fmt.Fprintln(os.Stderr, err)
	return 126
}

// restore runs iptables-restore (or iptables-apply FILE) with the legacy
// tool. Unless the script passes --counters itself, every rule line of the
// input is tagged [ID:ID+n] (n its input line) and --counters added, so each
// restored rule can be traced to the input line and the script line.
func restore(spec shimSpec, rec Record, args []string, lg *shimLog) int {
	opts, file, counters := restoreArgs(spec.kind == shimApply, args)
	var input []byte
	var err error
	if file != "" && file != "-" {
		input, err = os.ReadFile(file)
	} else {
		input, err = io.ReadAll(os.Stdin)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", rec.Tool, err)
		return 1
	}
	rec.Tagged = !counters
	id := lg.start(rec)
	if rec.Tagged && id > 0 {
		input = tagRestore(input, id)
		opts = append(opts, "--counters")
	}
	return lg.end(id, runReal("xtables-legacy-multi", legacy(spec.fam, "-restore"), opts, bytes.NewReader(input), lg))
}

// restoreArgs splits the arguments of iptables-restore (or, apply,
// iptables-apply) into the options to pass on, the input file ("" or "-":
// standard input) and whether -c was given. As iptables-restore parses
// them (getopt_long, xshared.c parse_wait_time): -T and -M take the next
// argument; -w and -W take it when it does not begin with - or ! (so
// "-w 5 -W 100000", Kubernetes' form, and a bare "-w" before another
// option both hold), --wait=N and --wait-interval=N carry theirs.
func restoreArgs(apply bool, args []string) (opts []string, file string, counters bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case apply && (a == "-t" || a == "-w" || a == "-c" || a == "--timeout" || a == "--write" || a == "--command"):
			i++ // iptables-apply's own options
		case apply && strings.HasPrefix(a, "-"):
		case a == "-c" || a == "--counters":
			counters = true
			opts = append(opts, a)
		case a == "-T" || a == "--table" || a == "-M" || a == "--modprobe":
			opts = append(opts, a)
			if i+1 < len(args) {
				i++
				opts = append(opts, args[i])
			}
		case a == "-w" || a == "--wait" || a == "-W" || a == "--wait-interval":
			opts = append(opts, a)
			if i+1 < len(args) && args[i+1] != "" && args[i+1][0] != '-' && args[i+1][0] != '!' {
				i++
				opts = append(opts, args[i])
			}
		case strings.HasPrefix(a, "-") && a != "-":
			opts = append(opts, a)
		default:
			file = a
		}
	}
	if apply && file == "" {
		file = "/etc/network/iptables.up.rules"
	}
	return opts, file, counters
}

// tagRestore gives each rule line of an iptables-restore input the counters
// [id:id+n], n its line number.
func tagRestore(input []byte, id int64) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(input))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		t := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(t, "[") {
			if i := strings.IndexByte(t, ']'); i > 0 {
				t = strings.TrimLeft(t[i+1:], " \t")
			}
		}
		if strings.HasPrefix(t, "-A") || strings.HasPrefix(t, "-I") || strings.HasPrefix(t, "-R") ||
			strings.HasPrefix(t, "--append") || strings.HasPrefix(t, "--insert") || strings.HasPrefix(t, "--replace") {
			fmt.Fprintf(&out, "[%d:%d] %s\n", id, id+int64(n), t)
			continue
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// sysctl applies net.* settings in the sandbox's namespace (with the real
// sysctl) and leaves every other key alone: those are the kernel's, shared
// with the host.
func sysctl(args []string, lg *shimLog) int {
	var writes []string
	var files []string
	read := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-p" || a == "--load" || strings.HasPrefix(a, "--load="):
			if v, ok := strings.CutPrefix(a, "--load="); ok {
				files = append(files, v)
			} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				files = append(files, args[i])
			} else {
				files = append(files, "/etc/sysctl.conf")
			}
		case strings.HasPrefix(a, "-p") && len(a) > 2:
			files = append(files, a[2:])
		case a == "--system":
			for _, g := range []string{"/usr/lib/sysctl.d/*.conf", "/lib/sysctl.d/*.conf", "/run/sysctl.d/*.conf", "/etc/sysctl.d/*.conf"} {
				m, _ := filepath.Glob(g)
				files = append(files, m...)
			}
			files = append(files, "/etc/sysctl.conf")
		case strings.HasPrefix(a, "-"):
		case strings.Contains(a, "="):
			writes = append(writes, a)
		default:
			read = true
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || l[0] == '#' || l[0] == ';' {
				continue
			}
			if k, v, ok := strings.Cut(l, "="); ok {
				writes = append(writes, strings.TrimSpace(strings.TrimPrefix(k, "-"))+"="+strings.TrimSpace(v))
			}
		}
	}
	if len(writes) == 0 {
		if read || len(files) == 0 {
			return runReal("sysctl", "sysctl", args, nil, lg)
		}
		return 0
	}
	code := 0
	for _, w := range writes {
		k := strings.ReplaceAll(strings.SplitN(w, "=", 2)[0], "/", ".")
		if !strings.HasPrefix(k, "net.") {
			fmt.Fprintf(os.Stderr, "xt2nft sandbox: sysctl %s not set (only net.* of the sandbox's network namespace is)\n", k)
			continue
		}
		if c := runReal("sysctl", "sysctl", []string{"-q", "-w", w}, nil, lg); c != 0 {
			code = c
		}
	}
	return code
}

// sudo runs its command (the sandbox is root already).
func sudo(args []string) int {
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			args = args[1:]
			break
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
		args = args[1:]
		if strings.Contains(" -u -g -C -D -h -p -r -t -U -T ", " "+a+" ") && len(args) > 0 {
			args = args[1:]
		}
	}
	if len(args) == 0 {
		return 0
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "sudo: %s: command not found\n", args[0])
		return 1
	}
	err = syscall.Exec(path, args, os.Environ())
	fmt.Fprintf(os.Stderr, "sudo: %s: %v\n", args[0], err)
	return 1
}

// iptArgs reads what an iptables argument list does: its command letter
// (A, I, R, D, C, N, X, F, P, E, Z, L, S), table and chain, and whether it
// sets counters itself. It follows iptables' getopt: short options may be
// clustered (-nvL), a command's chain may be attached (-AINPUT), and long
// options may be abbreviated to a unique prefix of iptables' own options.
func iptArgs(args []string) (op byte, table, chain string, counters bool) {
	table = "filter"
	long := map[string]byte{"append": 'A', "check": 'C', "delete": 'D', "delete-chain": 'X', "flush": 'F',
		"insert": 'I', "list": 'L', "list-rules": 'S', "new-chain": 'N', "policy": 'P', "rename-chain": 'E',
		"replace": 'R', "zero": 'Z', "table": 't', "set-counters": 'c'}
	withArg := "ACDEINPRtcdijopsgmMw" // short options that take an argument (w: optional, rarely given)
	for i := 0; i < len(args); i++ {
		a := args[i]
		var letter byte
		var val string
		hasVal := false
		switch {
		case a == "--":
			return
		case strings.HasPrefix(a, "--"):
			name, v, eq := strings.Cut(a[2:], "=")
			var hit byte
			n := 0
			for k, l := range long {
				if k == name {
					hit, n = l, 1
					break
				}
				if strings.HasPrefix(k, name) && name != "" {
					hit = l
					n++
				}
			}
			if n != 1 {
				continue // an extension's option
			}
			letter, val, hasVal = hit, v, eq
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				c := a[j]
				if strings.IndexByte(withArg, c) >= 0 {
					letter = c
					if j+1 < len(a) {
						val, hasVal = a[j+1:], true
					}
					break
				}
				if strings.IndexByte("LSFXZ", c) >= 0 && op == 0 {
					op = c
				}
			}
		default:
			continue
		}
		if letter == 0 {
			continue
		}
		optional := strings.IndexByte("LSFXZw", letter) >= 0
		if !hasVal && i+1 < len(args) && (!optional || !strings.HasPrefix(args[i+1], "-")) {
			i++
			val = args[i]
		}
		switch letter {
		case 't':
			table = val
		case 'c':
			counters = true
			if !strings.Contains(val, ",") && i+1 < len(args) {
				i++
			}
		case 'A', 'C', 'D', 'E', 'I', 'N', 'P', 'R', 'L', 'S', 'F', 'X', 'Z':
			if op == 0 {
				op, chain = letter, val
			}
		}
	}
	return
}
