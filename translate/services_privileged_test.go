package translate

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
)

// TestPrivilegedServiceNames: a port given as a service name is resolved
// as iptables resolves it on this host (/etc/services): for each name and
// way of giving it, iptables-legacy-restore and xt2nft take it or refuse
// it alike, and take it as the same port. tcp's --dport and multiport ask
// for the protocol's entry (getservbyname(name, proto): bootps, udp only,
// is refused with -p tcp; syslog is an alias of shell/tcp), udp's --dport
// asks getaddrinfo, which takes any protocol's (submissions, tcp only, is
// 465 with -p udp). (The built-in table alone refused names iptables
// takes, qmtp, xmpp-server, submissions, and took SSH, which iptables
// refuses: names are not folded to lower case.)
func TestPrivilegedServiceNames(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save")
	ns := nstest.New(t, "services")
	saved := regexp.MustCompile(`--dports? (\d+)`)
	translated := regexp.MustCompile(`dport (\d+)`)
	for _, name := range []string{"ssh", "SSH", "http", "domain", "qmtp", "imap3", "ssmtp", "submissions", "xmpp-server", "nosuchservice", "0x50", "http-alt", "bootps", "syslog", "tftp"} {
		for _, form := range []string{"-p tcp -m tcp --dport %s", "-p udp -m udp --dport %s", "-p tcp -m multiport --dports %s", "-p udp -m multiport --dports %s", "-p 6 -m multiport --dports %s"} {
			match := fmt.Sprintf(form, name)
			rules := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT " + match + " -j ACCEPT\nCOMMIT\n"
			legacy := "refused"
			if _, _, err := ns.RunInput(rules, "iptables-legacy-restore"); err == nil {
				out, _, err := ns.Run("iptables-legacy-save")
				if err != nil {
					t.Fatal(err)
				}
				m := saved.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("%s: no --dport in\n%s", match, out)
				}
				legacy = m[1]
			}
			out := Files([]Input{{Name: "r", Src: []byte(rules)}}, parser.Options{}, Options{})
			got := "refused"
			if !out.Failed {
				m := translated.FindStringSubmatch(string(out.Script))
				if m == nil {
					t.Fatalf("%s: no dport in\n%s", match, out.Script)
				}
				got = m[1]
			}
			if got != legacy {
				t.Errorf("%s: iptables-legacy %s, xt2nft %s %v", match, legacy, got, out.Diags)
			}
		}
	}
}
