package recent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseProc(t *testing.T) {
	// A ring of 8 stamps that wrapped at slot 3 (oldest_pkt is the next
	// slot to write, so the stamps are in ring order, not time order), HZ 250.
	text := "src=10.77.0.1 ttl: 64 last_seen: 283 oldest_pkt: 3 260, 263, 266, 270, 273, 276, 280, 283\n" +
		"src=fd77:0000:0000:0000:0000:0000:0000:0001 ttl: 0 last_seen: 250 oldest_pkt: 1 250\n"
	got, err := ParseProc(text, 500, 250)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Addr != netip.MustParseAddr("10.77.0.1") || got[1].Addr != netip.MustParseAddr("fd77::1") {
		t.Fatalf("addresses: %+v", got)
	}
	e := got[0]
	if e.TTL != 64 || e.Hits() != 8 || e.LastSeen != 868*time.Millisecond {
		t.Errorf("entry: ttl %d hits %d last %v", e.TTL, e.Hits(), e.LastSeen)
	}
	if e.Stamps[0] != 960*time.Millisecond || e.Stamps[7] != 868*time.Millisecond {
		t.Errorf("stamps not oldest first: %v", e.Stamps)
	}
	if got[1].LastSeen != time.Second {
		t.Errorf("v6 last seen %v", got[1].LastSeen)
	}
	if _, err := ParseProc("src=1.2.3.4 ttl: x last_seen: 1 oldest_pkt: 1 1\n", 1, 250); err == nil {
		t.Error("bad ttl accepted")
	}
}

// TestParseProcCorpus reads a real /proc file captured on kernel 6.18.
func TestParseProcCorpus(t *testing.T) {
	path := "../../../shared/corpus/xt_recent-proc/generated-kernel-6.18__proc_net_xt_recent__f2b-j-w-iptables-xtre.txt"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus not found (%v): it lives in ../shared beside the checkout", err)
	}
	got, err := ParseProc(string(b), 4295183657+250, 250)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Addr.String() != "192.0.2.1" || got[0].LastSeen != time.Second || got[0].Hits() != 1 {
		t.Errorf("got %+v", got)
	}
}

func TestCheckName(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "../x", "a/b", string(make([]byte, 200))} {
		if CheckName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	for _, ok := range []string{"DEFAULT", "%CURRENTTIME", "f2b-j-w-iptables-xtre"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("name %q refused: %v", ok, err)
		}
	}
}

// TestProcWrites checks that every command is its own write at offset 0.
func TestProcWrites(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "L")
	os.WriteFile(f, nil, 0o644)
	p := &Proc{Dir: dir}
	ctx := context.Background()
	if err := p.Add(ctx, "L", netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")); err != nil {
		t.Fatal(err)
	}
	// A regular file keeps the last write at offset 0.
	if b, _ := os.ReadFile(f); !strings.HasPrefix(string(b), "+fd00::1\n") {
		t.Errorf("last write %q", b)
	}
	if err := p.Flush(ctx, "L"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f); string(b)[:2] != "/\n" {
		t.Errorf("flush wrote %q", b)
	}
	if err := p.Add(ctx, "missing", netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("write to a missing list succeeded")
	}
	if err := p.Add(ctx, "../L", netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("escaping name accepted")
	}
}

// TestProcNoFollow: a list file that is a symbolic link is neither written
// through nor read (issue 9.6: "ln -s /etc/passwd DIR/guard" made add
// overwrite the target's first bytes and show quote its first line).
func TestProcNoFollow(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	target := filepath.Join(other, "target")
	const secret = "secret:x:0:0:first line of another file\n"
	os.WriteFile(target, []byte(secret), 0o644)
	os.Symlink(target, filepath.Join(dir, "guard"))
	p := &Proc{Dir: dir, Clock: func() (uint64, uint64, error) { return 1, 250, nil }}
	ctx := context.Background()
	for _, err := range []error{
		p.Add(ctx, "guard", netip.MustParseAddr("10.0.0.1")),
		p.Del(ctx, "guard", netip.MustParseAddr("10.0.0.1")),
		p.Flush(ctx, "guard"),
		func() error { _, err := p.Show(ctx, "guard"); return err }(),
		func() error { _, err := p.Lists(ctx); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "symbolic link") || strings.Contains(err.Error(), "secret") {
			t.Errorf("through a link: %v", err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != secret {
		t.Errorf("the link's target was written: %q", b)
	}
	// A FIFO neither hangs nor is written.
	syscall.Mkfifo(filepath.Join(other, "fifo"), 0o644)
	p.Dir = other
	if err := p.Add(ctx, "fifo", netip.MustParseAddr("10.0.0.1")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO: %v", err)
	}
}

// TestProcQuotesBounded: a malformed list file is quoted in the error only
// by a short, escaped prefix.
func TestProcQuotesBounded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "L"), []byte("\x1b[2J"+strings.Repeat("x", 1<<20)+"\n"), 0o644)
	p := &Proc{Dir: dir, Clock: func() (uint64, uint64, error) { return 1, 250, nil }}
	_, err := p.Show(context.Background(), "L")
	if err == nil || len(err.Error()) > 200 || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("error of %d bytes: %.200q", len(fmt.Sprint(err)), err)
	}
}

func TestOnProcfs(t *testing.T) {
	if err := onProcfs("/proc/self"); err != nil {
		t.Errorf("/proc: %v", err)
	}
	if err := onProcfs(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not on procfs") {
		t.Errorf("a temporary directory: %v", err)
	}
	if err := onProcfs(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an absent directory: %v", err)
	}
}
