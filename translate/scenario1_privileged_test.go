//go:build linux

package translate_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedScenario1Lab is scenario 1 of shared/design/scenarios.md on
// the real kernel: a host with two links into one /24 (eth1 10.2.0.1, eth2
// 10.2.0.3) runs a UDP echo service on 0.0.0.0:80. A client behind eth2
// (10.2.0.5) asks 10.2.0.3; the main table would send the answer out of
// eth1, so the client never gets it. The rules remember who came in on
// eth2 (recent --set), mark replies to them (recent --rcheck --rdest in a
// mangle OUTPUT route chain) and "ip rule fwmark 0x3" routes them out of
// eth2. Without rules the client gets no answer; with the original rules in
// iptables-legacy and with xt2nft's translation in nft it must get one.
func TestPrivilegedScenario1Lab(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore")
	rules, err := os.ReadFile(filepath.Join(goldenDir, "scenario-1-dump", "input.rules"))
	if err != nil {
		t.Fatal(err)
	}
	out := translate.Files([]translate.Input{{Name: "input.rules", Src: rules}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatalf("translation failed:\n%s", strings.Join(out.Diags, "\n"))
	}
	cases := []struct {
		name  string
		load  func(host string) error
		reply bool
	}{
		{"no-rules", func(string) error { return nil }, false},
		{"iptables-legacy", func(h string) error { return runIn(h, string(rules), "iptables-legacy-restore") }, true},
		{"xt2nft-nft", func(h string) error { return runIn(h, string(out.Script), "nft", "-f", "-") }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := scenario1(t, tc.load)
			if got != tc.reply {
				t.Errorf("client behind eth2 got a reply: %v, want %v", got, tc.reply)
			}
		})
	}
}

// scenario1 builds the lab, loads the rules and reports whether the client
// behind eth2 receives the echo (from 10.2.0.3, on its own link).
func scenario1(t *testing.T, load func(host string) error) bool {
	t.Helper()
	host, cli1, cli2 := nstest.New(t, "s1host").Name, nstest.New(t, "s1a").Name, nstest.New(t, "s1b").Name
	ip := func(args ...string) {
		if b, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, b)
		}
	}
	sysctl := func(ns, kv string) {
		if b, err := exec.Command("ip", "netns", "exec", ns, "sysctl", "-qw", kv).CombinedOutput(); err != nil {
			t.Fatalf("sysctl %s: %v %s", kv, err, b)
		}
	}
	ip("link", "add", "eth1", "netns", host, "type", "veth", "peer", "name", "eth0", "netns", cli1)
	ip("link", "add", "eth2", "netns", host, "type", "veth", "peer", "name", "eth0", "netns", cli2)
	// Strict reverse-path filtering would drop the client's packets on eth2,
	// since the main table routes its address out of eth1.
	sysctl(host, "net.ipv4.conf.all.rp_filter=0")
	sysctl(host, "net.ipv4.conf.default.rp_filter=0")
	ip("-n", host, "addr", "add", "10.2.0.1/24", "dev", "eth1")
	ip("-n", host, "link", "set", "eth1", "up")
	sysctl(host, "net.ipv4.conf.eth1.rp_filter=0")
	sysctl(host, "net.ipv4.conf.eth2.rp_filter=0")
	ip("-n", host, "addr", "add", "10.2.0.3/24", "dev", "eth2")
	ip("-n", host, "link", "set", "eth2", "up")
	ip("-n", host, "link", "set", "lo", "up")
	ip("-n", host, "rule", "add", "fwmark", "0x3", "lookup", "300")
	ip("-n", host, "route", "add", "0.0.0.0/0", "dev", "eth2", "src", "10.2.0.3", "table", "300")
	ip("-n", cli1, "addr", "add", "10.2.0.2/24", "dev", "eth0")
	ip("-n", cli1, "link", "set", "eth0", "up")
	ip("-n", cli2, "addr", "add", "10.2.0.5/24", "dev", "eth0")
	ip("-n", cli2, "link", "set", "eth0", "up")
	if err := load(host); err != nil {
		t.Fatal(err)
	}
	var srv, c *net.UDPConn
	inNS(t, host, func() {
		var err error
		if srv, err = net.ListenUDP("udp4", &net.UDPAddr{Port: 80}); err != nil {
			t.Error(err)
		}
	})
	inNS(t, cli2, func() {
		var err error
		if c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 2, 0, 5)}); err != nil {
			t.Error(err)
		}
	})
	if srv == nil || c == nil {
		t.FailNow()
	}
	defer srv.Close()
	defer c.Close()
	// Like WireGuard, the service answers from the address it was asked on
	// (IP_PKTINFO); otherwise the kernel would pick 10.2.0.1 from the main
	// table and conntrack would see a new flow instead of the reply.
	rc, _ := srv.SyscallConn()
	rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1) })
	go func() { // echo service on 0.0.0.0:80
		buf, oob := make([]byte, 256), make([]byte, 256)
		for {
			n, oobn, _, from, err := srv.ReadMsgUDP(buf, oob)
			if err != nil {
				return
			}
			var reply []byte
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					if m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= 12 {
						var info unix.Inet4Pktinfo
						copy(info.Spec_dst[:], m.Data[8:12]) // ipi_addr: the request's destination
						reply = unix.PktInfo4(&info)
					}
				}
			}
			srv.WriteMsgUDP(buf[:n], reply, from)
		}
	}()
	got := false
	buf := make([]byte, 256)
	for i := 0; i < 3 && !got; i++ { // the first request also resolves ARP
		if _, err := c.WriteToUDP([]byte("ping"), &net.UDPAddr{IP: net.IPv4(10, 2, 0, 3), Port: 80}); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
		n, from, err := c.ReadFromUDP(buf)
		if err == nil && string(buf[:n]) == "ping" {
			if !from.IP.Equal(net.IPv4(10, 2, 0, 3)) {
				t.Errorf("reply came from %v, want 10.2.0.3", from.IP)
			}
			got = true
		}
	}
	return got
}
