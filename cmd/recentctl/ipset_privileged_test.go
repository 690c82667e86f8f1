//go:build linux

package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/translate"
)

// recentctl ipset lists, shows and edits the nft sets made from ipsets,
// entries written as ipset writes them.
func TestPrivilegedIPSetCommands(t *testing.T) {
	save := "create blocklist hash:ip family inet hashsize 1024 maxelem 65536 timeout 600\nadd blocklist 10.1.0.99 timeout 300\n" +
		"create svc hash:ip,port family inet hashsize 1024 maxelem 65536\nadd svc 10.0.0.1,tcp:80\n" +
		"create nets hash:net family inet hashsize 1024 maxelem 65536\nadd nets 10.5.0.0/16\n"
	sets, err := ipset.Parse("ipsets", []byte(save))
	if err != nil {
		t.Fatal(err)
	}
	rules := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set blocklist src -j DROP\n" +
		"-A INPUT -m set --match-set svc dst,dst -j ACCEPT\n-A INPUT -m set --match-set nets src -j DROP\nCOMMIT\n"
	ns, bin, rc := nftLabWith(t, "rcipset", rules, translate.Options{IPSets: sets})
	list := rc("", "ipset", "list")
	for _, want := range []string{"blocklist", "hash:ip ", "svc", "hash:ip,port", "nets", "hash:net", "ip xt2nft"} {
		if !strings.Contains(list, want) {
			t.Errorf("ipset list lacks %q:\n%s", want, list)
		}
	}
	rc("", "ipset", "add", "blocklist", "192.0.2.7", "timeout", "100", "192.0.2.8")
	rc("", "ipset", "add", "svc", "10.0.0.2,udp:53")
	rc("", "ipset", "add", "nets", "10.6.0.0/24")
	rc("", "ipset", "del", "nets", "10.5.0.0/16")
	shown := rc("", "ipset", "show", "blocklist")
	for _, want := range []string{"10.1.0.99 timeout", "192.0.2.7 timeout 1m40s", "192.0.2.8"} {
		if !strings.Contains(shown, want) {
			t.Errorf("ipset show blocklist lacks %q:\n%s", want, shown)
		}
	}
	if got := rc("", "ipset", "show", "svc"); !strings.Contains(got, "10.0.0.2 . udp . 53") || !strings.Contains(got, "10.0.0.1 . tcp . 80") {
		t.Errorf("ipset show svc:\n%s", got)
	}
	if got := rc("", "ipset", "show", "nets"); strings.TrimSpace(got) != "10.6.0.0/24" {
		t.Errorf("ipset show nets:\n%s", got)
	}
	// Another view of the same: nft itself.
	out, _, _ := ns.NFT("", "list", "set", "ip", "xt2nft", "svc")
	if !strings.Contains(out, "10.0.0.2 . udp . 53") {
		t.Errorf("nft lists:\n%s", out)
	}
	if out, err := exec.Command(bin, "ipset", "add", "svc", "10.0.0.3,icmp:ping", "--netns", ns.Name).CombinedOutput(); err == nil || !strings.Contains(string(out), "type and code") {
		t.Errorf("an entry nft cannot hold: %v: %s", err, out)
	}
}
