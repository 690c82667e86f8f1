package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/spf13/pflag"

	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/internal/progress"
	"github.com/xt2nft/xt2nft/internal/version"
)

type env struct {
	stdout, stderr io.Writer
	json           bool
	backend        string
	proc           *recent.Proc
	nft            recent.Backend // nil when nft is unavailable
	nftErr         error
	// meter is the progress line of import, export and migrate (nil when
	// stderr is not a terminal).
	meter *progress.Meter
}

// globalFlags are recentctl's flags (before or after the command).
type globalFlags struct {
	netns, backend, procDir *string
	json, help, version     *bool
}

func newFlags(stderr io.Writer) (*pflag.FlagSet, globalFlags) {
	fs := pflag.NewFlagSet("recentctl", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs, globalFlags{
		netns:   fs.String("netns", "", "work in the named network namespace (ip netns)"),
		backend: fs.String("backend", "auto", "auto (where the list exists), proc or nft"),
		json:    fs.Bool("json", false, "print read commands as JSON"),
		procDir: fs.String("proc-dir", "/proc/net/xt_recent", "xt_recent's list directory (for tests)"),
		help:    fs.BoolP("help", "h", false, "show this help"),
		version: fs.Bool("version", false, "print the version"),
	}
}

func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, g := newFlags(stderr)
	netns, backend, asJSON, procDir := g.netns, g.backend, g.json, g.procDir
	if err := fs.Parse(argv); err != nil {
		fmt.Fprintf(stderr, "recentctl: %s\n", boundedTo(err.Error(), 256))
		return 2
	}
	if *g.version {
		fmt.Fprintln(stdout, version.String("recentctl"))
		return 0
	}
	if *g.help {
		manual().Help(stderr)
		return 0
	}
	args := fs.Args()
	if len(args) == 0 {
		manual().Help(stderr)
		return 2
	}
	if *netns != "" && os.Getenv("RECENTCTL_IN_NETNS") != *netns {
		return reexec(*netns, argv, stdin, stdout, stderr)
	}
	switch *backend {
	case "auto", "proc", "nft":
	default:
		fmt.Fprintf(stderr, "recentctl: bad --backend %s (want auto, proc or nft)\n", recent.Quote(*backend))
		return 2
	}
	e := &env{stdout: stdout, stderr: stderr, json: *asJSON, backend: *backend, proc: &recent.Proc{Dir: *procDir}}
	if c := os.Getenv("RECENTCTL_CLOCK"); c != "" { // "JIFFIES HZ", for tests with a fake proc dir
		var j, hz uint64
		if _, err := fmt.Sscan(c, &j, &hz); err == nil {
			e.proc.Clock = func() (uint64, uint64, error) { return j, hz, nil }
		}
	}
	if *backend != "proc" {
		// Send buffer for batches of 65,536 addresses (several sets, three
		// operations each, about 40 bytes an element).
		if conn, err := nftables.New(nftables.WithSockOptions(nlraw.SocketBuffers(64<<20, 4<<20))); err == nil {
			e.nft = &recent.NFT{Conn: conn}
		} else {
			e.nftErr = err
		}
	}
	switch args[0] {
	case "import", "export", "migrate":
		e.meter = progress.New(stderr, "recentctl "+args[0])
	}
	err := e.command(args[0], args[1:], stdin)
	e.meter.Close()
	if err != nil {
		var note *recent.Note
		if errors.As(err, &note) {
			fmt.Fprintf(stderr, "recentctl: note: %s\n", bounded(note.Msg))
			return 0
		}
		fmt.Fprintf(stderr, "recentctl: %s\n", bounded(err.Error()))
		var u usageError
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}

// maxMessage bounds a message: every quote of input in one is bounded
// already (recent.Quote); this is the net under messages made elsewhere
// (flag parsing, the kernel) that might copy input whole.
const maxMessage = 16 << 10

func bounded(msg string) string { return boundedTo(msg, maxMessage) }

func boundedTo(msg string, n int) string {
	if len(msg) <= n {
		return msg
	}
	return fmt.Sprintf("%s... (%d bytes of message cut)", strings.ToValidUTF8(msg[:n], ""), len(msg)-n)
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// reexec runs the same command inside the namespace (ip netns exec), so
// /proc/net/xt_recent and netlink both see that namespace.
func reexec(ns string, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "recentctl: %v\n", err)
		return 1
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, self}, argv...)...)
	cmd.Env = append(os.Environ(), "RECENTCTL_IN_NETNS="+ns)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		var x *exec.ExitError
		if errors.As(err, &x) {
			return x.ExitCode()
		}
		fmt.Fprintf(stderr, "recentctl: --netns %s: %v\n", recent.Quote(ns), err)
		return 1
	}
	return 0
}

func (e *env) command(cmd string, args []string, stdin io.Reader) error {
	ctx := context.Background()
	need := func(n int, what string) error {
		if len(args) < n {
			return usageError{fmt.Sprintf("%s needs %s", cmd, what)}
		}
		return nil
	}
	switch cmd {
	case "list":
		return e.list(ctx)
	case "show":
		if err := need(1, "a list name"); err != nil {
			return err
		}
		b, err := e.where(ctx, args[0])
		if err != nil {
			return err
		}
		if len(args) > 1 {
			return e.lookup(ctx, b, args[0], args[1:])
		}
		es, err := b.Show(ctx, args[0])
		if err != nil {
			return err
		}
		return e.show(es)
	case "add", "del":
		if err := need(2, "a list name and addresses"); err != nil {
			return err
		}
		if err := recent.CheckName(args[0]); err != nil {
			return err
		}
		var addrs []netip.Addr
		for _, s := range args[1:] {
			a, err := recent.ParseAddr(s)
			if err != nil {
				return err // nothing is written when any address is bad
			}
			addrs = append(addrs, a)
		}
		b, err := e.where(ctx, args[0])
		if err != nil {
			return err
		}
		if cmd == "del" {
			return b.Del(ctx, args[0], addrs...)
		}
		err = b.Add(ctx, args[0], addrs...)
		var ev *recent.EvictedError
		if errors.As(err, &ev) { // what xt_recent does for a packet too
			return &recent.Note{Msg: ev.Error()}
		}
		return err
	case "flush":
		if err := need(1, "a list name"); err != nil {
			return err
		}
		b, err := e.where(ctx, args[0])
		if err != nil {
			return err
		}
		return b.Flush(ctx, args[0])
	case "export":
		return e.export(ctx)
	case "import":
		return e.importJSON(ctx, stdin)
	case "migrate":
		return e.migrate(ctx)
	case "ipset":
		return e.ipsetCommand(ctx, args)
	case "__lists": // for the shell completions: names only, no errors
		for _, b := range e.backends() {
			ls, _ := b.Lists(ctx)
			for _, l := range ls {
				fmt.Fprintln(e.stdout, l.Name)
			}
		}
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %s", recent.Quote(cmd))}
}

// backends in the order auto tries them.
func (e *env) backends() []recent.Backend {
	var out []recent.Backend
	if e.backend != "nft" {
		out = append(out, e.proc)
	}
	if e.backend != "proc" && e.nft != nil {
		out = append(out, e.nft)
	}
	return out
}

// where returns the backend holding the list.
func (e *env) where(ctx context.Context, name string) (recent.Backend, error) {
	if err := recent.CheckName(name); err != nil {
		return nil, err
	}
	if e.backend == "nft" && e.nft == nil {
		return nil, fmt.Errorf("nft backend unavailable: %v", e.nftErr)
	}
	for _, b := range e.backends() {
		ok, err := b.Has(ctx, name)
		if err != nil && e.backend != "auto" {
			return nil, err
		}
		if ok {
			return b, nil
		}
	}
	return nil, fmt.Errorf("no recent list %q (looked in %s)", name, e.lookedIn())
}

func (e *env) lookedIn() string {
	switch e.backend {
	case "proc":
		return e.proc.Dir
	case "nft":
		return "the nft ruleset"
	}
	return e.proc.Dir + " and the nft ruleset"
}

func (e *env) list(ctx context.Context) error {
	var all []recent.List
	for _, b := range e.backends() {
		ls, err := b.Lists(ctx)
		if err != nil {
			return err
		}
		all = append(all, ls...)
	}
	if e.json {
		return json.NewEncoder(e.stdout).Encode(all)
	}
	for _, l := range all {
		fmt.Fprintf(e.stdout, "%-30s %-4s %d\n", l.Name, l.Backend, l.Entries)
	}
	return nil
}

func (e *env) show(es []recent.Entry) error {
	if e.json {
		if es == nil {
			es = []recent.Entry{}
		}
		return json.NewEncoder(e.stdout).Encode(es)
	}
	w := bufio.NewWriter(e.stdout) // a write per entry made show of 200,000 entries 1.5 s slower
	for _, x := range es {
		// What the list does not keep is not shown as 0 (an nft list
		// of --set alone keeps neither age nor hits).
		seen, hits := secs(x.LastSeen)+" ago", strconv.Itoa(x.Hits())
		if x.AgeUnknown {
			seen = "unknown"
		}
		if x.HitsUnknown {
			hits = "-"
		}
		fmt.Fprintf(w, "%-39s last_seen %12s  hits %3s  ttl %3d", x.Addr, seen, hits, x.TTL)
		if x.Remaining > 0 {
			fmt.Fprintf(w, "  remaining %s", secs(x.Remaining))
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

type exported struct {
	Name    string         `json:"name"`
	Backend string         `json:"backend"`
	Entries []recent.Entry `json:"entries"`
}

func (e *env) export(ctx context.Context) error {
	var out []exported
	for _, b := range e.backends() {
		ls, err := b.Lists(ctx)
		if err != nil {
			return err
		}
		for i, l := range ls {
			e.meter.Start(fmt.Sprintf("reading list %s (%d of %d, %s)", recent.Quote(l.Name), i+1, len(ls), l.Backend), 0, "")
			es, err := b.Show(ctx, l.Name)
			if err != nil {
				return err
			}
			out = append(out, exported{Name: l.Name, Backend: l.Backend, Entries: es})
		}
	}
	e.meter.Start("writing the entries", 0, "")
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// importJSON loads export's JSON: every entry with its history (stamps,
// or last_seen) where the backend can keep it. The whole import is read
// and checked, and every list found, before anything is written.
func (e *env) importJSON(ctx context.Context, r io.Reader) error {
	lists, err := readImport(r)
	if err != nil {
		return err
	}
	type target struct {
		l   importedList
		imp recent.Importer
	}
	var todo []target
	for _, l := range lists {
		b, err := e.where(ctx, l.name)
		if err != nil {
			return fmt.Errorf("%s: %w", l.pos, err)
		}
		imp, ok := b.(recent.Importer)
		if !ok {
			return fmt.Errorf("%s: list %s: its backend cannot import", l.pos, recent.Quote(l.name))
		}
		todo = append(todo, target{l, imp})
	}
	var notes []string
	for i, t := range todo {
		e.meter.Start(fmt.Sprintf("importing list %s (%d of %d): %s", recent.Quote(t.l.name), i+1, len(todo), progress.Of(len(t.l.entries), "entry", "entries")), 0, "")
		rep, err := t.imp.Import(ctx, t.l.name, t.l.entries)
		var note *recent.Note
		var ee *recent.EntryError
		switch {
		case errors.As(err, &note):
			notes = append(notes, note.Msg)
		case errors.As(err, &ee):
			return fmt.Errorf("%s: list %s, entry %d: %w", t.l.pos, recent.Quote(t.l.name), ee.Index+1, ee.Err)
		case err != nil:
			return err
		}
		if rep.Expired > 0 {
			notes = append(notes, fmt.Sprintf("list %s: %d of %d entries had expired (every stamp older than every window) and were not loaded", recent.Quote(t.l.name), rep.Expired, len(t.l.entries)))
		}
	}
	if len(notes) > 0 {
		return &recent.Note{Msg: strings.Join(notes, "\n")}
	}
	return nil
}

// migrate copies each xt_recent list into the nft sets of the same name.
func (e *env) migrate(ctx context.Context) error {
	if e.nft == nil {
		return fmt.Errorf("nft backend unavailable: %v", e.nftErr)
	}
	m, ok := e.nft.(recent.Migrator)
	if !ok {
		return fmt.Errorf("the nft backend cannot migrate")
	}
	ls, err := e.proc.Lists(ctx)
	if err != nil {
		return err
	}
	var problems []string
	for i, l := range ls {
		e.meter.Start(fmt.Sprintf("copying list %s (%d of %d)", recent.Quote(l.Name), i+1, len(ls)), 0, "")
		has, err := e.nft.Has(ctx, l.Name)
		if err != nil {
			return err
		}
		if !has {
			problems = append(problems, fmt.Sprintf("list %q: no nft sets for it (translate the ruleset with xt2nft first)", l.Name))
			continue
		}
		es, err := e.proc.Show(ctx, l.Name)
		if err != nil {
			return err
		}
		rep, err := m.Migrate(ctx, l.Name, es)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.meter.To(e.stdout), "%s: %d entries copied, %d expired\n", l.Name, rep.Copied, rep.Expired)
		problems = append(problems, rep.Problems...)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// lookup shows only the given addresses. The nft backend asks the kernel for
// each element instead of reading whole sets; /proc files are small (at
// most ip_list_tot entries) and are read whole.
func (e *env) lookup(ctx context.Context, b recent.Backend, name string, args []string) error {
	var addrs []netip.Addr
	for _, s := range args {
		a, err := recent.ParseAddr(s)
		if err != nil {
			return err
		}
		addrs = append(addrs, a)
	}
	var out []recent.Entry
	if l, ok := b.(interface {
		Lookup(context.Context, string, netip.Addr) (recent.Entry, bool, error)
	}); ok {
		for _, a := range addrs {
			x, found, err := l.Lookup(ctx, name, a)
			if err != nil {
				return err
			}
			if found {
				out = append(out, x)
			}
		}
	} else {
		all, err := b.Show(ctx, name)
		if err != nil {
			return err
		}
		want := map[netip.Addr]bool{}
		for _, a := range addrs {
			want[a] = true
		}
		for _, x := range all {
			if want[x.Addr] {
				out = append(out, x)
			}
		}
	}
	if err := e.show(out); err != nil {
		return err
	}
	if len(out) < len(addrs) {
		return fmt.Errorf("%d of %d addresses not in list %q", len(addrs)-len(out), len(addrs), name)
	}
	return nil
}
