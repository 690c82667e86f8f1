package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Options control a sandboxed run.
type Options struct {
	// Timeout bounds the script's run (default 60 s).
	Timeout time.Duration
	// Args are the script's arguments ($1 ...).
	Args []string
	// Env is added to the script's environment (NAME=value).
	Env []string
}

// Result is what a script did in the sandbox.
type Result struct {
	// Script is the script's name as given.
	Script string
	// Shell is the interpreter that ran it (argv).
	Shell []string
	// Exit is the script's exit status (-1: killed, see Signal).
	Exit   int
	Signal string
	// TimedOut: the script did not finish within the timeout and was
	// killed; what it had built by then was still saved.
	TimedOut bool
	// Stdout and Stderr are the script's output (the last 64 KiB).
	Stdout, Stderr string
	// Saved are the sandbox's rulesets as iptables-legacy-save -c and
	// ip6tables-legacy-save -c printed them (counters are the shims' tags).
	Saved4, Saved6 string
	// Nft is `nft list ruleset` of the sandbox (rules the script made with
	// nft directly), when nft exists.
	Nft string
	// IPSets is `ipset save` of the sandbox: the ipsets the script made.
	IPSets string
	// Recent are the entries of the sandbox's xt_recent lists
	// (/proc/net/xt_recent), by list: entries the script wrote there.
	Recent map[string]int
	// Log is every command the shims saw, in order.
	Log []Record
	// NetNS and MntNS name the sandbox's namespaces (net:[4026...]), for
	// checking that they are gone.
	NetNS, MntNS string
}

// Record is one command a shim ran (or did not run) for the script.
type Record struct {
	// ID is the record's end offset in the log; iptables rules the command
	// created carry it as their counters.
	ID   int64    `json:"-"`
	Tool string   `json:"tool"` // the name it was called by (base name)
	Argv []string `json:"argv"`
	// File and Line are the script line that ran it (bash: from the DEBUG
	// trap), when known.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// CallerFile and CallerLine are the line that called the function
	// File:Line is in (bash), when it is in one: a wrapper's caller.
	CallerFile string `json:"caller_file,omitempty"`
	CallerLine int    `json:"caller_line,omitempty"`
	// Action: "iptables" (legacy tool of the sandbox), "ran" (run in the
	// sandbox, not translated), "skipped" (not run: it would change the
	// host).
	Action string `json:"action"`
	// Tagged: the shim added -c ID ID (or tagged iptables-restore's input).
	Tagged bool `json:"tagged,omitempty"`
	// Exit and Stderr are filled by the command's end record.
	Exit   int    `json:"exit"`
	Stderr string `json:"stderr,omitempty"`
	Done   bool   `json:"-"`
	// End marks an end record (of the record ending at offset Of).
	End bool  `json:"end,omitempty"`
	Of  int64 `json:"of,omitempty"`
}

// ErrNeedRoot is returned when the sandbox cannot be built without root.
var ErrNeedRoot = errors.New("--exec needs root: it runs the script in network and mount namespaces of its own (CAP_SYS_ADMIN, CAP_NET_ADMIN); nothing was run")

// config is what the host side tells the sandbox's init (as JSON on its
// standard input).
type config struct {
	Script  string            `json:"script"`
	Dir     string            `json:"dir"`
	Shell   []string          `json:"shell"`
	Bash    bool              `json:"bash"`
	Args    []string          `json:"args"`
	Env     []string          `json:"env"`
	Real    map[string]string `json:"real"` // tool name -> host path of the real program
	Timeout time.Duration     `json:"timeout"`
	// Present are the shimmed names outside the iptables family that the
	// host has: only those are shimmed, so the script finds what it would
	// find on the host.
	Present map[string]bool `json:"present"`
	// Keep are host directories (the script's, the working directory) that
	// the new root replaces (under /tmp, /run, ...) and must show again.
	Keep []string `json:"keep"`
}

// initResult is what the init reports back (as JSON on fd 3).
type initResult struct {
	Err      string         `json:"err,omitempty"`
	Exit     int            `json:"exit"`
	Signal   string         `json:"signal,omitempty"`
	TimedOut bool           `json:"timed_out,omitempty"`
	Stdout   string         `json:"stdout"`
	Stderr   string         `json:"stderr"`
	Saved4   string         `json:"saved4"`
	Saved6   string         `json:"saved6"`
	Nft      string         `json:"nft,omitempty"`
	IPSets   string         `json:"ipsets,omitempty"`
	Recent   map[string]int `json:"recent,omitempty"`
	Log      string         `json:"log"`
	NetNS    string         `json:"netns"`
	MntNS    string         `json:"mntns"`
}

// initName is argv[0] of the sandbox's init.
const initName = "xt2nft-sandbox-init"

// realTools are the host programs the sandbox uses under their own names
// (looked up on the host's PATH; the legacy multi-call binary is required).
var realTools = []string{"xtables-legacy-multi", "ip", "tc", "sysctl", "ipset", "nft", "conntrack", "bridge", "ethtool", "modprobe"}

// Run runs the script in a sandbox and returns what it built. An error
// means the sandbox could not be built or did not report (the script's own
// failure is in Result.Exit).
func Run(ctx context.Context, script string, opt Options) (*Result, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNeedRoot
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 60 * time.Second
	}
	st, err := os.Stat(script)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", script)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	shell, bash, err := interpreter(script)
	if err != nil {
		return nil, err
	}
	cfg := config{Script: script, Dir: cwd, Shell: shell, Bash: bash, Args: opt.Args, Env: append(os.Environ(), opt.Env...),
		Real: map[string]string{}, Timeout: opt.Timeout}
	for _, name := range realTools {
		lookup := name
		if name == "xtables-legacy-multi" {
			lookup = "iptables-legacy"
		}
		p, err := exec.LookPath(lookup)
		if err != nil {
			continue
		}
		if p, err = filepath.EvalSymlinks(p); err == nil {
			if p, err = filepath.Abs(p); err == nil {
				cfg.Real[name] = p
			}
		}
	}
	cfg.Present = map[string]bool{}
	for name, spec := range shims {
		if spec.fam != 0 || spec.kind == shimMulti {
			continue
		}
		if _, err := exec.LookPath(name); err == nil {
			cfg.Present[name] = true
		}
	}
	if cfg.Real["xtables-legacy-multi"] == "" {
		return nil, errors.New("--exec needs iptables-legacy (xtables-legacy-multi) on PATH: the script's rules are built with the legacy tools in the sandbox")
	}
	absScript, _ := filepath.Abs(script)
	for _, d := range []string{filepath.Dir(absScript), cwd} {
		if real, err := filepath.EvalSymlinks(d); err == nil && replaced(real) {
			cfg.Keep = append(cfg.Keep, real)
		}
	}
	res, err := start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	out := &Result{Script: script, Shell: shell, Exit: res.Exit, Signal: res.Signal, TimedOut: res.TimedOut,
		Stdout: res.Stdout, Stderr: res.Stderr, Saved4: res.Saved4, Saved6: res.Saved6, Nft: res.Nft, IPSets: res.IPSets, Recent: res.Recent, NetNS: res.NetNS, MntNS: res.MntNS}
	out.Log, err = parseLog(res.Log)
	return out, err
}

// replaced reports whether the sandbox's root replaces the host directory
// (fresh /tmp, /run, /dev, /proc, /sys).
func replaced(dir string) bool {
	for _, top := range []string{"/tmp", "/run", "/var/run", "/dev", "/proc", "/sys"} {
		if dir == top || strings.HasPrefix(dir, top+"/") {
			return true
		}
	}
	return false
}

// interpreter reads the script's #! line: the program (and its one
// argument) that the kernel would run it with; /bin/sh without one. bash
// reports whether it is bash (line numbers come from its DEBUG trap).
func interpreter(script string) (argv []string, bash bool, err error) {
	f, err := os.Open(script)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	argv = []string{"/bin/sh"}
	if rest, ok := strings.CutPrefix(line, "#!"); ok {
		if f := strings.Fields(rest); len(f) > 0 {
			argv = f
			if len(f) > 2 {
				// The kernel passes everything after the program as one
				// argument.
				argv = []string{f[0], strings.Join(f[1:], " ")}
			}
		}
	}
	prog := argv[0]
	if filepath.Base(prog) == "env" && len(argv) > 1 {
		// #!/usr/bin/env bash: the program named, from PATH.
		name := strings.Fields(argv[1])
		p, err := exec.LookPath(name[0])
		if err != nil {
			return nil, false, fmt.Errorf("%s: interpreter %q (from #!%s) not found", script, name[0], strings.TrimSpace(rest(line)))
		}
		argv = append([]string{p}, name[1:]...)
		prog = p
	}
	if _, err := os.Stat(prog); err != nil {
		return nil, false, fmt.Errorf("%s: interpreter %s: %v", script, prog, err)
	}
	return argv, filepath.Base(prog) == "bash", nil
}

func rest(line string) string { return strings.TrimPrefix(line, "#!") }

// start runs the init in new namespaces and collects its report.
func start(ctx context.Context, cfg config) (*initResult, error) {
	in, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	exe, err := os.Executable()
	if err != nil {
		wr.Close()
		return nil, err
	}
	type done struct {
		stderr string
		err    error
	}
	ch := make(chan done, 1)
	go func() {
		// Pdeathsig is sent when the thread that forked the init exits:
		// keep this goroutine on its thread until the init is gone.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var stderr bytes.Buffer
		cmd := exec.Command(exe)
		cmd.Args = []string{initName}
		cmd.Stdin = bytes.NewReader(in)
		cmd.Stdout = &stderr
		cmd.Stderr = &stderr
		cmd.ExtraFiles = []*os.File{wr}
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID |
				syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
			Pdeathsig: syscall.SIGKILL,
		}
		if err := cmd.Start(); err != nil {
			wr.Close()
			ch <- done{err: err}
			return
		}
		wr.Close()
		// The init enforces the script's timeout itself (and still saves);
		// this is the backstop for an init that hangs.
		hard := time.AfterFunc(cfg.Timeout+30*time.Second, func() { cmd.Process.Kill() })
		stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
		err := cmd.Wait()
		hard.Stop()
		stop()
		ch <- done{stderr: stderr.String(), err: err}
	}()
	report, rerr := io.ReadAll(rd)
	d := <-ch
	if d.err != nil || rerr != nil || len(report) == 0 {
		msg := strings.TrimSpace(d.stderr)
		switch {
		case d.err != nil && msg != "":
			return nil, fmt.Errorf("sandbox: %v: %s", d.err, msg)
		case d.err != nil:
			return nil, fmt.Errorf("sandbox: %v", d.err)
		case rerr != nil:
			return nil, fmt.Errorf("sandbox: reading its report: %v", rerr)
		}
		return nil, fmt.Errorf("sandbox: no report: %s", msg)
	}
	var res initResult
	if err := json.Unmarshal(report, &res); err != nil {
		return nil, fmt.Errorf("sandbox: bad report: %v", err)
	}
	if res.Err != "" {
		return nil, fmt.Errorf("sandbox: %s", res.Err)
	}
	return &res, nil
}

// parseLog reads the shims' log: one JSON record per line; a record's ID
// is the offset where its line ends; end records complete their start.
func parseLog(text string) ([]Record, error) {
	var out []Record
	byID := map[int64]int{}
	off := int64(0)
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			break // a shim killed mid-write
		}
		line := text[:i]
		text = text[i+1:]
		off += int64(i + 1)
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			continue
		}
		if r.End {
			if k, ok := byID[r.Of]; ok {
				out[k].Exit, out[k].Stderr, out[k].Done = r.Exit, r.Stderr, true
			}
			continue
		}
		r.ID = off
		byID[off] = len(out)
		out = append(out, r)
	}
	return out, nil
}
