//go:build linux

package nft_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/golden"
)

// TestPrivilegedFeatures: every feature the golden translations need is
// tried alone on the running kernel (once per feature), and the answer
// agrees with the running kernel's own configuration (/proc/config.gz)
// wherever that configuration names the feature's option. A feature
// table that names the wrong option, or a probe that loads more (or less)
// than the feature, disagrees somewhere.
func TestPrivilegedFeatures(t *testing.T) {
	nstest.Skip(t)
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		t.Skipf("the running kernel's configuration is not readable: %v", err)
	}
	cfg, err := nft.ReadKernelConfig(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	// Beside the golden cases, targets a golden case cannot hold (its
	// expected.nft must load on every kernel the suite runs on).
	for i, rule := range []string{
		"-A INPUT -p udp --dport 53 -j NFQUEUE --queue-num 2",
		"-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
		"-A INPUT -j TEE --gateway 10.0.0.1",
		"-A INPUT -m policy --dir in --pol ipsec -j ACCEPT",
	} {
		src := "*filter\n:INPUT ACCEPT [0:0]\n" + rule + "\nCOMMIT\n"
		cases = append(cases, golden.Case{Name: fmt.Sprintf("extra-%d", i), Src: []byte(src)})
	}
	tried := map[string]bool{}
	compared := 0
	for _, c := range cases {
		out := c.Run()
		if out.Failed {
			if strings.HasPrefix(c.Name, "extra-") {
				t.Errorf("%s: %v", c.Src, out.Diags)
			}
			continue
		}
		p, err := nft.Lower(out.Ruleset)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for _, ft := range nft.Features(p) {
			if tried[ft.Name] {
				continue
			}
			tried[ft.Name] = true
			perr := nft.ProbeFeature(ft)
			t.Logf("%s (CONFIG_%s): %v", ft.Name, ft.Config, perr)
			has, known := cfg.Has(ft.Config)
			if ft.Config == "" || (!known && has != "not set") {
				// Part of nf_tables (or an option this kernel does not
				// have): it must load.
				if perr != nil && ft.Config == "" {
					t.Errorf("%s (%s, %s): refused: %v", ft.Name, c.Name, ft.Rule, perr)
				}
				continue
			}
			compared++
			if (perr == nil) != known {
				t.Errorf("%s (%s, %s): CONFIG_%s is %s, but the probe says %v", ft.Name, c.Name, ft.Rule, ft.Config, has, perr)
			}
		}
	}
	t.Logf("%d features tried, %d compared with /proc/config.gz", len(tried), compared)
	if compared < 5 {
		t.Errorf("only %d features compared: the golden cases should need more", compared)
	}
}
