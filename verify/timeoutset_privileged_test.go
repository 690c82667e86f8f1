//go:build linux

package verify

import (
	"testing"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedVerifyTimeoutSets: the elements of an ipset with timeouts
// that no rule writes (a fail2ban, sshguard or crowdsec ban set, whose
// bans last hours) are probed as any set's: the rule that drops the banned
// address is reached and compared. Before, every set with timeouts was
// taken for one packets write, and no probe came from its elements. A set
// whose elements expire within minutes is still left to packets alone.
func TestPrivilegedVerifyTimeoutSets(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore", "ipset")
	dump := []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set blk src -j DROP\nCOMMIT\n")
	for _, c := range []struct {
		name    string
		ipsets  string
		reached int
	}{
		{"bans of hours", "create blk hash:net family inet hashsize 1024 maxelem 65536 timeout 300\nadd blk 192.0.2.1 timeout 14400\n", 1},
		{"entries of a minute", "create blk hash:net family inet hashsize 1024 maxelem 65536 timeout 60\nadd blk 192.0.2.1 timeout 50\n", 0},
	} {
		sets, err := ipset.Parse("ipsets.save", []byte(c.ipsets))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run([]Input{{Name: "rules.v4", Src: dump}}, Options{IPSets: []byte(c.ipsets), Translate: translate.Options{IPSets: sets}})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if rep.Reached != c.reached || len(rep.Differences) != 0 {
			t.Errorf("%s: %d of %d rules reached, %d differences; want %d reached, none", c.name, rep.Reached, rep.Rules, len(rep.Differences), c.reached)
		}
	}
}
