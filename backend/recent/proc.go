package recent

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Clock gives the kernel's current jiffies and HZ, to turn stamps into ages.
type Clock func() (jiffies uint64, hz uint64, err error)

// DefaultProcDir is where xt_recent keeps a namespace's lists.
const DefaultProcDir = "/proc/net/xt_recent"

// ThreadProcDir is the list directory of the network namespace of the
// thread that opens it (/proc/net is the process's), for a thread that
// entered another namespace (netns.NS.Do).
const ThreadProcDir = "/proc/thread-self/net/xt_recent"

// Proc is the xt_recent /proc interface. It opens list files without
// following symbolic links and only if they are regular files, and in the
// default directory only on procfs, so that a link or a mount planted
// there cannot make it write, or quote, another file.
type Proc struct {
	Dir   string // default DefaultProcDir
	Clock Clock  // default KernelClock
}

var _ Backend = (*Proc)(nil)

func (p *Proc) dir() string {
	if p.Dir == "" {
		return DefaultProcDir
	}
	return p.Dir
}

// checkDir refuses a default directory that is not on procfs. It returns
// fs.ErrNotExist when the directory is absent (no list exists).
func (p *Proc) checkDir() error {
	if p.dir() != DefaultProcDir && p.dir() != ThreadProcDir {
		return nil
	}
	return onProcfs(p.dir())
}

// onProcfs returns an error unless dir is on procfs (fs.ErrNotExist when
// it is absent).
func onProcfs(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return fs.ErrNotExist
		}
		return fmt.Errorf("%s: %w", dir, err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("%s is not on procfs (file system type %#x); refusing to use it", dir, st.Type)
	}
	return nil
}

// open opens a list's file (flag: O_RDONLY or O_WRONLY).
func (p *Proc) open(name string, flag int) (*os.File, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if err := p.checkDir(); err != nil {
		return nil, p.explain(name, err)
	}
	path := filepath.Join(p.dir(), name)
	link := fmt.Errorf("list %s: %s is a symbolic link; recentctl does not follow links", Quote(name), path)
	odd := fmt.Errorf("list %s: %s is not a regular file; refusing to use it", Quote(name), path)
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, link
	} else if err == nil && !fi.Mode().IsRegular() {
		return nil, odd
	}
	// O_NOFOLLOW and O_NONBLOCK hold if the file is swapped after the
	// check: a link fails (ELOOP), a FIFO does not hang (ENXIO for writing).
	f, err := os.OpenFile(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, link
	case errors.Is(err, unix.ENXIO):
		return nil, odd
	case err != nil:
		return nil, p.explain(name, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, odd
	}
	return f, nil
}

// read returns a list's file.
func (p *Proc) read(name string) ([]byte, error) {
	f, err := p.open(name, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, p.explain(name, err)
	}
	return b, nil
}

// Lists returns every file of the list directory.
func (p *Proc) Lists(ctx context.Context) ([]List, error) {
	if err := p.checkDir(); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p.dir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []List
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := p.read(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, List{Name: e.Name(), Backend: "proc", Entries: strings.Count(string(b), "\n")})
	}
	return out, nil
}

// Has reports whether the list's file exists.
func (p *Proc) Has(ctx context.Context, name string) (bool, error) {
	if err := CheckName(name); err != nil {
		return false, err
	}
	if err := p.checkDir(); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_, err := os.Lstat(filepath.Join(p.dir(), name))
	return err == nil, nil
}

// Show parses the list's file.
func (p *Proc) Show(ctx context.Context, name string) ([]Entry, error) {
	b, err := p.read(name)
	if err != nil {
		return nil, err
	}
	clock := p.Clock
	if clock == nil {
		clock = KernelClock
	}
	now, hz, err := clock()
	if err != nil {
		return nil, err
	}
	return ParseProc(string(b), now, hz)
}

// ParseProc parses /proc/net/xt_recent/NAME text:
//
//	src=ADDR ttl: T last_seen: J oldest_pkt: I S0, S1, ...
//
// Stamps are printed in ring order; they are returned oldest first as ages
// relative to now (jiffies) at hz.
func ParseProc(text string, now, hz uint64) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		bad := func(what string) error { return fmt.Errorf("line %d: bad %s in %s", n, what, Quote(line)) }
		f := strings.Fields(strings.ReplaceAll(line, ",", " "))
		if len(f) < 7 || !strings.HasPrefix(f[0], "src=") || f[1] != "ttl:" || f[3] != "last_seen:" || f[5] != "oldest_pkt:" {
			return nil, bad("line")
		}
		a, err := netip.ParseAddr(strings.TrimPrefix(f[0], "src="))
		if err != nil {
			return nil, bad("address")
		}
		ttl, err := strconv.ParseUint(f[2], 10, 8)
		if err != nil {
			return nil, bad("ttl")
		}
		last, err := strconv.ParseUint(f[4], 10, 64)
		if err != nil {
			return nil, bad("last_seen")
		}
		var stamps []uint64
		for _, s := range f[7:] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, bad("stamp")
			}
			stamps = append(stamps, v)
		}
		// Ring order to time order: jiffies only grow.
		sort.Slice(stamps, func(i, j int) bool { return stamps[i] < stamps[j] })
		e := Entry{Addr: a.Unmap(), TTL: uint8(ttl), LastSeen: age(now, last, hz)}
		if a.Is4In6() && strings.Count(f[0], ":") > 0 {
			e.Addr = a // an IPv4-mapped IPv6 entry stays IPv6 (it never matches IPv4)
		}
		for _, s := range stamps {
			e.Stamps = append(e.Stamps, age(now, s, hz))
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out, sc.Err()
}

func age(now, stamp, hz uint64) time.Duration {
	if hz == 0 || stamp > now {
		return 0
	}
	return time.Duration((now - stamp) * uint64(time.Second) / hz)
}

// write sends one command per open file, as xt_recent reads only the first
// line of a write and refuses a second write at a non-zero offset.
func (p *Proc) write(name, cmd string) error {
	f, err := p.open(name, os.O_WRONLY)
	if err != nil {
		return err
	}
	_, werr := f.Write([]byte(cmd + "\n"))
	cerr := f.Close()
	if werr != nil {
		return p.explain(name, werr)
	}
	return cerr
}

func (p *Proc) explain(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no xt_recent list %s in %s (a list exists only while a rule uses it)", Quote(name), p.dir())
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("list %s: permission denied (run as root, or see xt_recent's ip_list_perms/ip_list_uid)", Quote(name))
	case errors.Is(err, syscall.EINVAL):
		return fmt.Errorf("list %s: the kernel refused the command (EINVAL)", Quote(name))
	}
	return fmt.Errorf("list %s: %w", Quote(name), err)
}

// Add writes +addr for each address (one write each). xt_recent evicts
// the least recently stamped entry to make room in a full list (at
// ip_list_tot entries): when addresses added are not in the list afterwards
// Add returns an *EvictedError saying so (on procfs: a directory of
// ordinary files, as tests use, keeps no entries).
func (p *Proc) Add(ctx context.Context, name string, addrs ...netip.Addr) error {
	kernel := onProcfs(p.dir()) == nil
	var before map[netip.Addr]bool
	if kernel {
		var err error
		if before, err = p.addresses(name); err != nil {
			return err
		}
	}
	for _, a := range addrs {
		if err := p.write(name, "+"+procAddr(a)); err != nil {
			return fmt.Errorf("adding %s: %w", a, err)
		}
	}
	if !kernel {
		return nil
	}
	after, err := p.addresses(name)
	if err != nil {
		return err
	}
	ev := &EvictedError{List: name, Before: len(before), After: len(after), ListTot: listTot()}
	union := len(before)
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		ev.Added++
		if !before[a] {
			union++
		}
		if !after[a] {
			if ev.Missing == 0 {
				ev.First = a
			}
			ev.Missing++
		}
	}
	if ev.Evicted = union - len(after); ev.Evicted > 0 {
		return ev
	}
	return nil
}

// Import adds each entry's address once. xt_recent's /proc interface can
// only stamp an address now, so ages and further stamps are not carried:
// a *Note says so when any entry had them. Entries xt_recent evicted to
// make room are an *EvictedError.
func (p *Proc) Import(ctx context.Context, name string, entries []Entry) (MigrateReport, error) {
	addrs := make([]netip.Addr, len(entries))
	aged, extra := 0, 0
	for i, e := range entries {
		addrs[i] = e.Addr
		if e.LastSeen > 0 || len(e.Stamps) > 1 || len(e.Stamps) == 1 && e.Stamps[0] > 0 {
			aged++
		}
		extra += max(len(e.Stamps)-1, 0)
	}
	if err := p.Add(ctx, name, addrs...); err != nil {
		return MigrateReport{}, err
	}
	rep := MigrateReport{Copied: len(entries)}
	if aged > 0 {
		return rep, &Note{Msg: fmt.Sprintf("list %s is xt_recent's, whose /proc interface can only stamp an address now: "+
			"%d entries were added with one stamp of age 0, so their ages and %d further stamps were not carried "+
			"(the nft sets xt2nft makes for the list keep them: recentctl migrate, or import with --backend nft)",
			Quote(name), aged, extra)}
	}
	return rep, nil
}

// addresses returns the addresses in a list's file.
func (p *Proc) addresses(name string) (map[netip.Addr]bool, error) {
	b, err := p.read(name)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		f, _, _ := strings.Cut(line, " ")
		if a, err := netip.ParseAddr(strings.TrimPrefix(f, "src=")); err == nil {
			if a.Is4In6() && !strings.Contains(f, ":") {
				a = a.Unmap()
			}
			out[a] = true
		}
	}
	return out, nil
}

// listTot is xt_recent's ip_list_tot, as the kernel reports it ("" when it
// cannot be read).
func listTot() string {
	b, err := os.ReadFile("/sys/module/xt_recent/parameters/ip_list_tot")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// EvictedError says that xt_recent evicted entries while addresses were
// added: of Added distinct addresses, Missing are not in the list
// afterwards (the first of them First); Evicted entries went in all.
type EvictedError struct {
	List                    string
	Before, After           int // entries before and after
	Added, Missing, Evicted int
	First                   netip.Addr
	ListTot                 string // "" when unknown
}

func (e *EvictedError) Error() string {
	tot := "ip_list_tot"
	if e.ListTot != "" {
		tot = "ip_list_tot=" + e.ListTot
	}
	missing := "every address added is in it"
	if e.Missing > 0 {
		missing = fmt.Sprintf("%d of the addresses added are not in it (the first: %s)", e.Missing, e.First)
	}
	added := fmt.Sprintf("%d addresses were", e.Added)
	if e.Added == 1 {
		added = "1 address was"
	}
	return fmt.Sprintf("list %s holds %d entries after %s added (it held %d): xt_recent keeps at most %s entries "+
		"per list and evicted %d, the least recently stamped; %s. ip_list_tot is a module parameter, read when xt_recent "+
		"loads (xt_recent.ip_list_tot=N on the kernel command line, or modprobe xt_recent ip_list_tot=N before any rule "+
		"uses it); the nft sets xt2nft makes for the list hold up to their size (xt2nft --recent-size)",
		Quote(e.List), e.After, added, e.Before, tot, e.Evicted, missing)
}

// Del writes -addr for each address; those that were not in the list are
// named in a *Note.
func (p *Proc) Del(ctx context.Context, name string, addrs ...netip.Addr) error {
	before, err := p.addresses(name)
	if err != nil {
		return err
	}
	var absent []netip.Addr
	for _, a := range addrs {
		if !before[a] {
			absent = append(absent, a)
		}
		if err := p.write(name, "-"+procAddr(a)); err != nil {
			return fmt.Errorf("deleting %s: %w", a, err)
		}
	}
	return notInList(name, len(addrs), absent)
}

// Flush writes "/".
func (p *Proc) Flush(ctx context.Context, name string) error { return p.write(name, "/") }

func procAddr(a netip.Addr) string { return a.String() }

// KernelClock reads jiffies from /proc/timer_list and HZ from the kernel
// configuration (/proc/config.gz or /boot/config-RELEASE).
func KernelClock() (uint64, uint64, error) {
	b, err := os.ReadFile("/proc/timer_list")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the kernel's jiffies: %w", err)
	}
	var j uint64
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "jiffies: "); ok {
			j, err = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err == nil {
				break
			}
		}
	}
	if j == 0 {
		return 0, 0, fmt.Errorf("no jiffies line in /proc/timer_list")
	}
	hz, err := kernelHZ()
	return j, hz, err
}

func kernelHZ() (uint64, error) {
	var cfg string
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		if zr, err := gzip.NewReader(f); err == nil {
			b, _ := io.ReadAll(zr)
			cfg = string(b)
		}
	}
	if cfg == "" {
		var uts syscall.Utsname
		if syscall.Uname(&uts) == nil {
			rel := utsString(uts.Release[:])
			b, _ := os.ReadFile("/boot/config-" + rel)
			cfg = string(b)
		}
	}
	for _, l := range strings.Split(cfg, "\n") {
		if v, ok := strings.CutPrefix(l, "CONFIG_HZ="); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("cannot find the kernel's HZ (no CONFIG_HZ in /proc/config.gz or /boot/config-*)")
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}
