package translate

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
)

// TestPrivilegedServiceNames: a port given as a service name is resolved
// as iptables resolves it on this host (getaddrinfo, /etc/services): for
// each name, iptables-legacy-restore and xt2nft take it or refuse it
// alike, and take it as the same port. (The built-in table alone refused
// names iptables takes, qmtp, xmpp-server, submissions, and took SSH,
// which iptables refuses: names are not folded to lower case.)
func TestPrivilegedServiceNames(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save")
	ns := nstest.New(t, "services")
	dport := regexp.MustCompile(`--dport (\d+)`)
	for _, name := range []string{"ssh", "SSH", "http", "domain", "qmtp", "imap3", "ssmtp", "submissions", "xmpp-server", "nosuchservice", "0x50", "http-alt"} {
		for _, proto := range []string{"tcp", "udp"} {
			rules := fmt.Sprintf("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p %s -m %s --dport %s -j ACCEPT\nCOMMIT\n", proto, proto, name)
			legacy := "refused"
			if _, _, err := ns.RunInput(rules, "iptables-legacy-restore"); err == nil {
				saved, _, err := ns.Run("iptables-legacy-save")
				if err != nil {
					t.Fatal(err)
				}
				m := dport.FindStringSubmatch(saved)
				if m == nil {
					t.Fatalf("%s/%s: no --dport in\n%s", name, proto, saved)
				}
				legacy = m[1]
			}
			out := Files([]Input{{Name: "r", Src: []byte(rules)}}, parser.Options{}, Options{})
			got := "refused"
			if !out.Failed {
				m := regexp.MustCompile(`dport (\d+)`).FindStringSubmatch(string(out.Script))
				if m == nil {
					t.Fatalf("%s/%s: no dport in\n%s", name, proto, out.Script)
				}
				got = m[1]
			}
			if got != legacy {
				t.Errorf("--dport %s with -p %s: iptables-legacy %s, xt2nft %s %v", name, proto, legacy, got, out.Diags)
			}
		}
	}
}
