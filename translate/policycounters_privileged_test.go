//go:build linux

package translate_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedPolicyCounters sends packets through base chains whose
// policies have counters (iptables-save -c), in iptables-legacy (restored
// with -c) and in nft -f of the translation with --counters, in the xt2nft
// and inet layouts: the rule that ends each nft chain must count what
// iptables' policy counts, from iptables' counts on (in the inet layout,
// the sum of both families' policies where they agree). An IPv4 policy
// that has counted nothing yet is counted from 0 on, as in iptables (its
// rule was left out once, and such a policy never counted again).
func TestPrivilegedPolicyCounters(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	for _, restored := range []int64{1200, 0} {
		t.Run(strconv.FormatInt(restored, 10), func(t *testing.T) { testPolicyCounters(t, restored) })
	}
}

func testPolicyCounters(t *testing.T, restored int64) {
	v4 := "*filter\n:INPUT DROP [" + strconv.FormatInt(restored, 10) + ":" + strconv.FormatInt(restored*80, 10) + "]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
		"[12:345] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n"
	v6 := "*filter\n:INPUT DROP [50:4000]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
		"[4:320] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n"
	probes := []lab.Probe{
		inetPkt("eth0", "10.70.0.2", "10.70.0.1", syn(4000, 22)), // accepted by the rule
		inetPkt("eth0", "10.70.0.2", "10.70.0.1", &lab.UDP{SrcPort: 5000, DstPort: 53}),
		inetPkt("eth0", "10.70.0.3", "10.70.0.1", syn(4001, 23)),
		inetPkt("eth0", "fd70::2", "fd70::1", &lab.UDP{SrcPort: 5000, DstPort: 54}),
		inetPkt("eth0", "fd70::2", "fd70::1", syn(4002, 22)),
	}
	policy := regexp.MustCompile(`(?m)^:INPUT DROP \[(\d+):\d+\]`)
	legacy := lab.New(t, inetTopo())
	var want int64
	for _, d := range []struct {
		dump string
		v6   bool
	}{{v4, false}, {v6, true}} {
		prog := "iptables-legacy-restore"
		if d.v6 {
			prog = "ip6tables-legacy-restore"
		}
		if _, err := legacy.FW.Run(d.dump, prog, "-c"); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range probes {
		if _, err := legacy.Send(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, prog := range []string{"iptables-legacy-save", "ip6tables-legacy-save"} {
		out, err := legacy.FW.Run("", prog, "-c")
		if err != nil {
			t.Fatal(err)
		}
		m := policy.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s -c has no INPUT policy counter:\n%s", prog, out)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		want += n
	}
	if want != restored+50+3 {
		t.Fatalf("the legacy policies counted %d packets in all, want %d (%d restored, 3 probes reach them)", want, restored+50+3, restored+50)
	}
	for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutInet} {
		out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(v4)}, {Name: "rules.v6", Src: []byte(v6)}},
			parser.Options{}, translate.Options{Layout: layout, Counters: true})
		if out.Failed {
			t.Fatalf("%s: translation failed: %v", layout, out.Diags)
		}
		l := lab.New(t, inetTopo())
		if err := l.NFT(string(out.Script)); err != nil {
			t.Fatalf("%s: %v\n%s", layout, err, out.Script)
		}
		for _, p := range probes {
			if _, err := l.Send(p); err != nil {
				t.Fatal(err)
			}
		}
		c, err := l.NFTCounters()
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		for _, k := range []string{"ip xt2nft filter_INPUT", "ip6 xt2nft filter_INPUT", "inet xt2nft filter_INPUT"} {
			if v := c[k]; len(v) > 0 {
				got += v[len(v)-1]
			}
		}
		if got != want {
			t.Errorf("%s: the chains' last rules counted %d packets, iptables' policies %d\n%s\n%v", layout, got, want, out.Script, c)
		}
	}
}
