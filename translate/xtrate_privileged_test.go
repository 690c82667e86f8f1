//go:build linux

package translate_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedKernelRates: a -m limit or -m hashlimit rate written any
// way iptables takes it is translated as the rate the kernel holds (what
// iptables-legacy-save prints back: "900/min" is 15/sec, "9999/sec" is
// 10000/sec, "86401/day" is 1/sec for limit and stays for hashlimit), and
// a rate or a rate and burst that iptables or the kernel refuses ("Rate
// too fast", "Overflow, try lower") is refused.
func TestPrivilegedKernelRates(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "iptables-legacy-save")
	ns := nstest.New(t, "rates")
	units := map[string]string{"sec": "second", "min": "minute", "hour": "hour", "day": "day"}
	savedRate := regexp.MustCompile(`--(?:limit|hashlimit-upto) (\d+)/(\w+)`)
	nftRate := regexp.MustCompile(`limit rate (\d+/\w+)`)
	type tc struct{ rate, burst string }
	var cases []tc
	for _, r := range []string{"900/min", "7/min", "3/hour", "15/sec", "10000/sec", "10001/sec", "9999/sec", "333/sec",
		"61/min", "3601/hour", "59/min", "86401/day", "7/s", "100/minute", "12345/day", "1/hour", "40/hour",
		"1000000/sec", "1000001/sec", "999999/sec", "3/d"} {
		cases = append(cases, tc{r, ""})
	}
	for _, b := range []string{"1", "4", "5", "9", "1200", "10000"} {
		for _, r := range []string{"1/day", "2/day", "1/hour", "3/hour", "7/min"} {
			cases = append(cases, tc{r, b})
		}
	}
	accepted, refused := 0, 0
	for _, mod := range []string{"limit", "hashlimit"} {
		for i, c := range cases {
			m := "-m limit --limit " + c.rate
			if c.burst != "" {
				m += " --limit-burst " + c.burst
			}
			if mod == "hashlimit" {
				m = fmt.Sprintf("-m hashlimit --hashlimit-upto %s --hashlimit-mode srcip --hashlimit-name h%d", c.rate, i)
				if c.burst != "" {
					m += " --hashlimit-burst " + c.burst
				}
			}
			rules := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT " + m + " -j ACCEPT\nCOMMIT\n"
			want, ok := "", false
			if _, _, err := ns.RunInput(rules, "iptables-legacy-restore"); err == nil {
				out, _, err := ns.Run("iptables-legacy-save")
				if err != nil {
					t.Fatal(err)
				}
				sm := savedRate.FindStringSubmatch(out)
				if sm == nil {
					t.Fatalf("%s: iptables-legacy-save: %s", m, out)
				}
				want, ok = sm[1]+"/"+units[sm[2]], true
				accepted++
			} else {
				refused++
			}
			out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
			if out.Failed != !ok {
				t.Errorf("%s: iptables-legacy-restore takes it: %v; xt2nft translates it: %v (%v)", m, ok, !out.Failed, out.Diags)
				continue
			}
			if !ok {
				if !strings.Contains(strings.Join(out.Diags, "\n"), "refuse") && !strings.Contains(strings.Join(out.Diags, "\n"), "rejects") {
					t.Errorf("%s: refused without saying who refuses it: %v", m, out.Diags)
				}
				continue
			}
			got := ""
			if nm := nftRate.FindStringSubmatch(string(out.Script)); nm != nil {
				got = nm[1]
			}
			if got != want {
				t.Errorf("%s: the kernel holds %s, xt2nft limits at %s", m, want, got)
			}
		}
	}
	if accepted == 0 || refused == 0 {
		t.Errorf("%d rules accepted, %d refused: the cases do not reach both", accepted, refused)
	}
	t.Logf("%d rules: %d taken by iptables-legacy, %d refused", 2*len(cases), accepted, refused)
}
