//go:build linux

package optimize_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// Rule mixes of the benchmark's chain, by rulegen template: "acl" is an
// access list (per-network service rules, multiport lists, address pairs,
// commented per-host services, any verdict); "mixed" adds per-interface
// UDP rules and REJECTs by source, which share packets with the others
// (a REJECT of a network takes that network's UDP too) and so stand in
// the way of folds.
var benchMixes = map[string][]string{
	"acl":   {"tcp-dport", "addr-pair", "multiport"},
	"mixed": {"tcp-dport", "addr-pair", "tcp-comment", "multiport", "udp-sport-iface", "reject"},
}

// benchChain writes a filter table whose FORWARD chain has n rules of a
// mix, the rule the benchmark's packets match second to last.
func benchChain(n int, mix string) []byte {
	names := map[string]bool{}
	for _, m := range benchMixes[mix] {
		names[m] = true
	}
	var tmpls []*rulegen.Template
	total := 0
	for _, t := range rulegen.Templates() {
		if names[t.Name] {
			tmpls = append(tmpls, t)
			total += t.Weight
		}
	}
	g := rulegen.NewGen(rand.New(rand.NewPCG(uint64(n), 14)))
	var b bytes.Buffer
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
	for i := 0; i < n-2; {
		x := g.R.IntN(total)
		var t *rulegen.Template
		for _, c := range tmpls {
			if x < c.Weight {
				t = c
				break
			}
			x -= c.Weight
		}
		r := t.Gen(g)
		if strings.Contains(r, "10.254.") || strings.Contains(r, "10.253.") {
			continue // the benchmark's packets must go past every rule
		}
		fmt.Fprintf(&b, "-A FORWARD %s\n", r)
		i++
	}
	b.WriteString("-A FORWARD -s 10.254.0.1/32 -d 10.253.0.1/32 -p udp -m udp --dport 9999 -j ACCEPT\n")
	b.WriteString("-A FORWARD -s 10.254.0.0/16 -j DROP\n")
	b.WriteString("COMMIT\n")
	return b.Bytes()
}

// rxPackets is how many packets srv's eth1 received.
func (l *fwLab) rxPackets() int64 {
	out, _, err := l.srv.Run("cat", "/sys/class/net/eth1/statistics/rx_packets")
	if err != nil {
		l.t.Fatal(err)
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	return n
}

// blast sends n copies of one frame and waits until srv has received
// them; it returns the wall time per packet and the sending thread's CPU
// time per packet. The firewall runs in the sender's softirq (a packet
// socket on a veth hands the frame to the peer's stack at once), so the
// CPU time is the sender's and the firewall's work, without the time the
// thread waited for a CPU on a loaded machine.
func (l *fwLab) blast(frame []byte, n int) (wall, cpu time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: l.cliIdx, Halen: 6}
	copy(sa.Addr[:], l.fwMAC)
	before := l.rxPackets()
	var t0, t1 unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t0)
	start := time.Now()
	for i := 0; i < n; i++ {
		for {
			err := unix.Sendto(l.sendFD, frame, 0, sa)
			if err == nil {
				break
			}
			if err != unix.ENOBUFS && err != unix.EAGAIN {
				l.t.Fatal(err)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t1)
	for l.rxPackets()-before < int64(n) {
		if time.Since(start) > time.Duration(n)*time.Millisecond+5*time.Second {
			l.t.Fatalf("srv received %d of %d packets", l.rxPackets()-before, n)
		}
		time.Sleep(time.Millisecond)
	}
	wall = time.Since(start) / time.Duration(n)
	cpu = time.Duration(t1.Nano()-t0.Nano()) / time.Duration(n)
	return wall, cpu
}

// BenchmarkPacketPath sends packets through a firewall namespace whose
// FORWARD chain has 1,000 or 10,000 rules of a mix (benchMixes), the
// matching one second to last: (a) iptables-legacy, (b) the literal nft translation, (c) the
// optimized one. ns/op and pkt/s are wall time per packet and its
// inverse, sender and firewall together (the sender's packet socket runs
// the firewall in its own softirq); cpu-ns/pkt is the sending thread's
// CPU time per packet (the same work, without waits for a CPU on a loaded
// machine); fw-ns/pkt subtracts the same lab's CPU time with no rules at
// all: the firewall's own cost per packet.
//
//	XT2NFT_PRIVILEGED=1 go test ./translate/optimize -run '^$' -bench PacketPath -benchtime 20000x
func BenchmarkPacketPath(b *testing.B) {
	nstest.Skip(b, "iptables-legacy-restore", "sysctl")
	pkt := probe{id: 1, src: netip.MustParseAddr("10.254.0.1"), dst: netip.MustParseAddr("10.253.0.1"), proto: 17, sport: 5000, dport: 9999}
	for _, mix := range []string{"acl", "mixed"} {
		for _, n := range []int{1000, 10000} {
			benchPath(b, pkt, mix, n)
		}
	}
}

func benchPath(b *testing.B, pkt probe, mix string, n int) {
	dump := benchChain(n, mix)
	for _, kind := range []string{"legacy", "literal", "optimized"} {
		b.Run(fmt.Sprintf("%s/rules=%d/%s", mix, n, kind), func(b *testing.B) {
			l := newFWLab(b)
			frame := pkt.frame(l.fwMAC, l.cMAC)
			// the lab without rules: the sender's and the stack's own cost
			// (the least of three runs: the machine may be busy)
			base := time.Duration(1 << 62)
			for i := 0; i < 3; i++ {
				_, c := l.blast(frame, 5000)
				base = min(base, c)
			}
			in := []translate.Input{{Name: "bench.rules", Src: dump}}
			switch kind {
			case "legacy":
				l.loadLegacy(dump)
			default:
				out := translate.Files(in, parser.Options{}, translate.Options{})
				if out.Failed {
					b.Fatal(strings.Join(out.Diags, "\n"))
				}
				if kind == "optimized" {
					optimize.Run(out.Ruleset, optimize.Options{})
					rules := 0
					for _, c := range out.Ruleset.Tables[0].Chains {
						rules += len(c.Rules)
					}
					b.Logf("%d rules in %d after optimizing, %d sets", n, rules, len(out.Ruleset.Tables[0].Sets))
				}
				l.loadNFT(out.Ruleset)
			}
			l.blast(frame, 200) // warm up
			b.ResetTimer()
			wall, cpu := l.blast(frame, b.N)
			b.StopTimer()
			b.ReportMetric(float64(cpu.Nanoseconds()), "cpu-ns/pkt")
			b.ReportMetric(float64(cpu.Nanoseconds()-base.Nanoseconds()), "fw-ns/pkt")
			b.ReportMetric(1e9/float64(wall.Nanoseconds()), "pkt/s")
		})
	}
}
