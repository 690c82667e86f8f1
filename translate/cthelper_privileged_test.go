//go:build linux

package translate_test

import (
	"net"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedCTHelper checks on the kernel that "-j CT --helper ftp" in a
// raw user chain really attaches the ftp helper to the connection: a TCP
// connection to port 21 over loopback, then conntrack -L.
func TestPrivilegedCTHelper(t *testing.T) {
	nstest.Skip(t, "conntrack")
	const rules = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:helpers - [0:0]\n" +
		"-A OUTPUT -o lo -j helpers\n-A helpers -p tcp -m tcp --dport 21 -j CT --helper ftp\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "r", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
	if out.Failed {
		t.Fatal(out.Diags)
	}
	ns := nstest.New(t, "cthelper")
	if _, e, err := ns.Run("ip", "link", "set", "lo", "up"); err != nil {
		t.Fatal(err, e)
	}
	if _, e, err := ns.NFT(string(out.Script), "-f", "-"); err != nil {
		t.Fatal(err, e)
	}
	// A listener and a connection to it, both inside the namespace.
	var ln net.Listener
	var conn net.Conn
	inNS(t, ns.Name, func() {
		var err error
		if ln, err = net.Listen("tcp4", "127.0.0.1:21"); err != nil {
			t.Error(err)
			return
		}
		if conn, err = net.Dial("tcp4", "127.0.0.1:21"); err != nil {
			t.Error(err)
		}
	})
	if ln == nil || conn == nil {
		t.FailNow()
	}
	defer ln.Close()
	defer conn.Close()
	stdout, stderr, err := ns.Run("conntrack", "-L")
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(stdout, "dport=21") || !strings.Contains(stdout, "helper=ftp") {
		t.Errorf("connection to port 21 has no ftp helper:\n%s", stdout)
	}
}
