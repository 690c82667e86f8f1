//go:build linux

package translate_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedDifferential runs each golden case with a trace twice on the
// real kernel: once with the original rules in iptables-legacy (xt_recent,
// CONNMARK, ...),
// once with xt2nft's translation in nft. A client namespace sends the UDP
// packets of the case's trace (source address, TTL, port, pause) to a
// firewall namespace; the sets of packets delivered must be identical.
func TestPrivilegedDifferential(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore")
	cases, _ := filepath.Glob(filepath.Join(goldenDir, "*", "trace"))
	corpus, _ := filepath.Glob(filepath.Join("testdata", "recent-corpus", "*.trace"))
	if len(cases) == 0 || len(corpus) == 0 {
		t.Fatal("no golden/recent-*/trace or testdata/recent-corpus/*.trace files")
	}
	gcs := map[string]golden.Case{}
	for _, gc := range goldenCases(t) {
		gcs[gc.Name] = gc
	}
	for _, tr := range append(cases, corpus...) {
		name := filepath.Base(filepath.Dir(tr))
		rulesPath := filepath.Join(filepath.Dir(tr), "input.rules")
		if strings.HasSuffix(tr, ".trace") {
			// "# rules: PATH" names a ruleset of ../shared/corpus (not copied here).
			name = strings.TrimSuffix(filepath.Base(tr), ".trace")
			rulesPath = traceRules(t, tr)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rules, err := os.ReadFile(rulesPath)
			if os.IsNotExist(err) && strings.Contains(rulesPath, "shared") {
				t.Skipf("%s not found: the corpus lives in ../shared beside the checkout", rulesPath)
			}
			if err != nil {
				t.Fatal(err)
			}
			trace := readTrace(t, tr)
			// ipsets.save beside the rules: the ipsets they name, loaded
			// with ipset restore on the legacy side, translated with them.
			// A golden case is translated with the flags of its
			// "# xt2nft:" line, as TestGolden does.
			var popt parser.Options
			var topt translate.Options
			if gc, ok := gcs[name]; ok && !strings.HasSuffix(tr, ".trace") {
				popt, topt = gc.Popt, gc.Topt
			}
			ipsets, err := os.ReadFile(filepath.Join(filepath.Dir(rulesPath), "ipsets.save"))
			if err == nil {
				if topt.IPSets, err = ipset.Parse("ipsets.save", ipsets); err != nil {
					t.Fatal(err)
				}
			}
			out := translate.Files([]translate.Input{{Name: "input.rules", Src: rules}}, popt, topt)
			if out.Failed {
				t.Fatalf("translation failed:\n%s", strings.Join(out.Diags, "\n"))
			}
			both := func() (legacy, nftGot []int) {
				legacy = runTrace(t, trace, func(fw string) error {
					if len(ipsets) > 0 {
						if err := runIn(fw, string(ipsets), "ipset", "restore"); err != nil {
							return err
						}
					}
					return runIn(fw, string(rules), "iptables-legacy-restore")
				}, func(fw, list string, a netip.Addr) error {
					return runIn(fw, "", "sh", "-c", "echo +"+a.String()+" > /proc/net/xt_recent/"+list)
				})
				nftGot = runTrace(t, trace, func(fw string) error {
					return runIn(fw, string(out.Script), "nft", "-f", "-")
				}, nftAdd)
				return legacy, nftGot
			}
			legacy, nftGot := both()
			if fmt.Sprint(legacy) != fmt.Sprint(nftGot) {
				// A trace is timed (windows of a few seconds): on a loaded
				// machine a packet can be late for its window on one side.
				// A difference of the translation shows every time; one of
				// timing goes on a second run.
				t.Logf("delivered packets differ on the first run (run again)\nlegacy: %v\nnft:       %v", legacy, nftGot)
				legacy, nftGot = both()
			}
			t.Logf("iptables-legacy delivered %d/%d: %v", len(legacy), len(trace), legacy)
			if len(legacy) == 0 || len(legacy) == len(trace) {
				t.Errorf("trace does not exercise the rules: iptables-legacy delivered %d of %d packets", len(legacy), len(trace))
			}
			if fmt.Sprint(legacy) != fmt.Sprint(nftGot) {
				t.Errorf("delivered packets differ\nlegacy: %v\nnft:       %v", legacy, nftGot)
			}
		})
	}
}

// traceRules returns the ruleset named by a trace's "# rules: PATH" line
// (PATH relative to the repository root).
func traceRules(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "# rules: "); ok {
			return filepath.Join("..", strings.TrimSpace(p))
		}
	}
	t.Fatalf("%s: no \"# rules: PATH\" line", path)
	return ""
}

type tracePkt struct {
	pause time.Duration // before sending
	src   netip.Addr
	ttl   int
	dport int
	list  string // "+ LIST ADDR" lines: add ADDR to LIST by hand (echo +ADDR > /proc/...)
}

// readTrace reads "PAUSE_MS SRC TTL DPORT" lines (# comments allowed).
func readTrace(t *testing.T, path string) []tracePkt {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tracePkt
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == "+" {
			a, err := netip.ParseAddr(f[2])
			if err != nil {
				t.Fatalf("%s:%d: bad address %q", path, n, f[2])
			}
			out = append(out, tracePkt{list: f[1], src: a})
			continue
		}
		if len(f) != 4 {
			t.Fatalf("%s:%d: want PAUSE_MS SRC TTL DPORT", path, n)
		}
		ms, err1 := strconv.Atoi(f[0])
		src, err2 := netip.ParseAddr(f[1])
		ttl, err3 := strconv.Atoi(f[2])
		port, err4 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatalf("%s:%d: bad line %q", path, n, l)
		}
		out = append(out, tracePkt{pause: time.Duration(ms) * time.Millisecond, src: src, ttl: ttl, dport: port})
	}
	return out
}

func runIn(ns, stdin string, args ...string) error {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// runTrace builds a client and a firewall namespace joined by a veth pair
// (eth0 on both sides, 10.77.0.1 on the firewall, the trace's sources on
// the client), loads the rules with load, sends the trace and returns the
// indexes of the packets the firewall's sockets received.
func runTrace(t *testing.T, trace []tracePkt, load func(fw string) error, add func(fw, list string, a netip.Addr) error) []int {
	t.Helper()
	cli, fw := nstest.New(t, "cli").Name, nstest.New(t, "fw").Name
	sh := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, out)
		}
	}
	sh("link", "add", "eth0", "netns", fw, "type", "veth", "peer", "name", "eth0", "netns", cli)
	sh("-n", fw, "addr", "add", "10.77.0.1/24", "dev", "eth0")
	sh("-n", fw, "link", "set", "eth0", "up")
	sh("-n", fw, "link", "set", "lo", "up")
	srcs := map[netip.Addr]bool{}
	for _, p := range trace {
		if p.list != "" {
			continue
		}
		srcs[p.src] = true
	}
	for a := range srcs {
		sh("-n", cli, "addr", "add", a.String()+"/24", "dev", "eth0", "nodad")
	}
	sh("-n", cli, "link", "set", "eth0", "up")
	sh("-n", cli, "link", "set", "lo", "up")
	if err := load(fw); err != nil {
		t.Fatal(err)
	}
	// Sockets are created inside the namespaces and then used from here.
	ports := map[int]*net.UDPConn{}
	inNS(t, fw, func() {
		for _, p := range trace {
			if ports[p.dport] == nil {
				c, err := net.ListenUDP("udp4", &net.UDPAddr{Port: p.dport})
				if err != nil {
					t.Fatal(err)
				}
				ports[p.dport] = c
			}
		}
	})
	// One socket (so one source port, one new conntrack flow) per packet:
	// rules with --ctstate NEW see every packet as a new connection.
	senders := make([]*net.UDPConn, len(trace))
	inNS(t, cli, func() {
		for i, p := range trace {
			if p.list != "" {
				continue
			}
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: p.src.AsSlice()})
			if err != nil {
				t.Error(err)
				return
			}
			rc, _ := c.SyscallConn()
			rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, p.ttl) })
			senders[i] = c
		}
	})
	defer func() {
		for _, c := range ports {
			c.Close()
		}
		for _, c := range senders {
			if c != nil {
				c.Close()
			}
		}
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]bool{}
	for _, c := range ports {
		wg.Add(1)
		go func(c *net.UDPConn) {
			defer wg.Done()
			buf := make([]byte, 64)
			for {
				n, _, err := c.ReadFromUDP(buf)
				if err != nil {
					return
				}
				if i, err := strconv.Atoi(string(buf[:n])); err == nil {
					mu.Lock()
					got[i] = true
					mu.Unlock()
				}
			}
		}(c)
	}
	// Prime ARP so the first packet is not queued behind neighbour
	// resolution (port 9 is not in any trace, and no rule counts it).
	sh("-n", cli, "neigh", "replace", "10.77.0.1", "lladdr", fwMAC(t, fw), "dev", "eth0")
	time.Sleep(300 * time.Millisecond)
	for i, p := range trace {
		time.Sleep(p.pause)
		if p.list != "" {
			if err := add(fw, p.list, p.src); err != nil {
				t.Fatal(err)
			}
			continue
		}
		c := senders[i]
		if _, err := c.WriteToUDP([]byte(strconv.Itoa(i)), &net.UDPAddr{IP: net.IPv4(10, 77, 0, 1), Port: p.dport}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // let it be delivered before the next one
	}
	time.Sleep(200 * time.Millisecond)
	for _, c := range ports {
		c.Close()
	}
	wg.Wait()
	var out []int
	for i := range got {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// nftAdd adds an address to the list's nft sets with recentctl's nft
// backend, as "recentctl add LIST ADDR" does.
func nftAdd(fw, list string, a netip.Addr) error {
	f, err := os.Open("/var/run/netns/" + fw)
	if err != nil {
		return err
	}
	defer f.Close()
	conn, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())))
	if err != nil {
		return err
	}
	return (&recent.NFT{Conn: conn}).Add(context.Background(), list, a)
}

// fwMAC returns the MAC address of eth0 in the firewall namespace.
func fwMAC(t *testing.T, fw string) string {
	out, err := exec.Command("ip", "-n", fw, "-br", "link", "show", "eth0").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 3 {
		t.Fatalf("cannot read eth0's MAC: %q", out)
	}
	return f[2]
}

// inNS runs fn on a thread switched into the named namespace.
func inNS(t *testing.T, ns string, fn func()) {
	t.Helper()
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		runtime.LockOSThread()
		// The thread is not unlocked: it dies with the goroutine, so no
		// other goroutine ever runs in the switched namespace.
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			t.Error(err)
			return
		}
		defer orig.Close()
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Error(err)
			return
		}
		fn()
	}()
	<-ch
}

// TestPrivilegedWarnedDifferences stands behind approximation warnings
// of -m recent with packets: each case's translation carries the warning,
// and the packets iptables-legacy and nft deliver differ as it says.
func TestPrivilegedWarnedDifferences(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore")
	pkt := func(pause int, src string, dport int) tracePkt {
		return tracePkt{pause: time.Duration(pause) * time.Millisecond, src: netip.MustParseAddr(src), ttl: 64, dport: dport}
	}
	for _, tc := range []struct {
		name, rules string
		opt         translate.Options
		warning     string
		trace       []tracePkt
		legacy, nft string // delivered packets
	}{{
		// An event left inline (fullSetApprox): a limit before the --set
		// and -j RETURN allow neither eventsApart nor a sub-chain; once
		// the set (two addresses) is full the nft rule ends at the failed
		// update, and the third source's packet is accepted by CHK's next
		// rule instead of returning to INPUT's DROP.
		name: "full-set-inline",
		rules: `*filter
:INPUT ACCEPT [0:0]
:CHK - [0:0]
-A INPUT -p udp -m udp --dport 1000 -m recent --rcheck --name B --rsource -j DROP
-A INPUT -p udp -m udp --dport 2000 -j CHK
-A INPUT -p udp -m udp --dport 2000 -j DROP
-A CHK -m limit --limit 1000/sec --limit-burst 1000 -m recent --set --name B --rsource -j RETURN
-A CHK -j ACCEPT
COMMIT
`,
		opt:     translate.Options{RecentSize: 2},
		warning: `when a set of list "B" is full (2 addresses)`,
		trace:   []tracePkt{pkt(0, "10.77.0.2", 2000), pkt(0, "10.77.0.3", 2000), pkt(0, "10.77.0.4", 2000)},
		legacy:  "[]", nft: "[2]",
	}, {
		// --reap: the check of .3 (stale for 1 s) makes xt_recent free the
		// least recently stamped entry, .2; the 10 s check then no longer
		// finds .2, while nft keeps it in last_10.
		name: "reap-longer-window",
		rules: `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 1000 -m recent --set --name L --rsource -j DROP
-A INPUT -p udp -m udp --dport 2000 -m recent --rcheck --seconds 1 --reap --name L --rsource -j DROP
-A INPUT -p udp -m udp --dport 3000 -m recent --rcheck --seconds 10 --name L --rsource -j DROP
COMMIT
`,
		warning: `nft keeps such entries in @recent_L_last_10 until they expire there`,
		trace:   []tracePkt{pkt(0, "10.77.0.2", 1000), pkt(0, "10.77.0.3", 1000), pkt(1500, "10.77.0.3", 2000), pkt(0, "10.77.0.2", 3000)},
		legacy:  "[2 3]", nft: "[2]",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := translate.Files([]translate.Input{{Name: "input.rules", Src: []byte(tc.rules)}}, parser.Options{}, tc.opt)
			if out.Failed {
				t.Fatalf("translation failed:\n%s", strings.Join(out.Diags, "\n"))
			}
			if !strings.Contains(strings.Join(out.Diags, "\n"), tc.warning) {
				t.Fatalf("no warning %q:\n%s", tc.warning, strings.Join(out.Diags, "\n"))
			}
			legacy := runTrace(t, tc.trace, func(fw string) error { return runIn(fw, tc.rules, "iptables-legacy-restore") }, nil)
			nftGot := runTrace(t, tc.trace, func(fw string) error { return runIn(fw, string(out.Script), "nft", "-f", "-") }, nil)
			if fmt.Sprint(legacy) != tc.legacy || fmt.Sprint(nftGot) != tc.nft {
				t.Errorf("delivered: iptables-legacy %v (want %s), nft %v (want %s, as the warning says)", legacy, tc.legacy, nftGot, tc.nft)
			}
		})
	}
}
