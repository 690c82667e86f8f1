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
)

// Clock gives the kernel's current jiffies and HZ, to turn stamps into ages.
type Clock func() (jiffies uint64, hz uint64, err error)

// Proc is the xt_recent /proc interface.
type Proc struct {
	Dir   string // default /proc/net/xt_recent
	Clock Clock  // default KernelClock
}

var _ Backend = (*Proc)(nil)

func (p *Proc) dir() string {
	if p.Dir == "" {
		return "/proc/net/xt_recent"
	}
	return p.Dir
}

// Lists returns every file of the list directory.
func (p *Proc) Lists(ctx context.Context) ([]List, error) {
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
		b, err := os.ReadFile(filepath.Join(p.dir(), e.Name()))
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
	_, err := os.Stat(filepath.Join(p.dir(), name))
	return err == nil, nil
}

// Show parses the list's file.
func (p *Proc) Show(ctx context.Context, name string) ([]Entry, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(p.dir(), name))
	if err != nil {
		return nil, p.explain(name, err)
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
		bad := func(what string) error { return fmt.Errorf("line %d: bad %s in %q", n, what, line) }
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
	if err := CheckName(name); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(p.dir(), name), os.O_WRONLY, 0)
	if err != nil {
		return p.explain(name, err)
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
		return fmt.Errorf("no xt_recent list %q in %s (a list exists only while a rule uses it)", name, p.dir())
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("list %q: permission denied (run as root, or see xt_recent's ip_list_perms/ip_list_uid)", name)
	case errors.Is(err, syscall.EINVAL):
		return fmt.Errorf("list %q: the kernel refused the command (EINVAL)", name)
	}
	return fmt.Errorf("list %q: %w", name, err)
}

// Add writes +addr for each address (one write each).
func (p *Proc) Add(ctx context.Context, name string, addrs ...netip.Addr) error {
	for _, a := range addrs {
		if err := p.write(name, "+"+procAddr(a)); err != nil {
			return fmt.Errorf("adding %s: %w", a, err)
		}
	}
	return nil
}

// Del writes -addr for each address.
func (p *Proc) Del(ctx context.Context, name string, addrs ...netip.Addr) error {
	for _, a := range addrs {
		if err := p.write(name, "-"+procAddr(a)); err != nil {
			return fmt.Errorf("deleting %s: %w", a, err)
		}
	}
	return nil
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
