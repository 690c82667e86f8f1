package parser

import (
	"strings"
	"testing"
)

// TestOptionConstraints checks the option constraints of libxtables
// (XTOPT_MAND, .excl, .also) that the option tables carry, with the
// messages iptables-legacy 1.8.9 printed for the same rules (run in a
// namespace), and that a rule meeting them is read.
func TestOptionConstraints(t *testing.T) {
	tests := []struct{ table, rule, want string }{
		{"filter", "-A INPUT -m comment", `comment: option "--comment" must be specified`},
		{"filter", "-A INPUT -p icmp -m icmp", `icmp: option "--icmp-type" must be specified`},
		{"filter", "-A INPUT -m hashlimit --hashlimit-upto 1/s", `hashlimit: option "--hashlimit-name" must be specified`},
		{"filter", "-A INPUT -m hashlimit --hashlimit-upto 1/s --hashlimit-above 2/s --hashlimit-name x", `cannot be used together with "--hashlimit-above"`},
		{"filter", "-A INPUT -m connbytes --connbytes 1 --connbytes-dir both", `connbytes: option "--connbytes-mode" must be specified`},
		{"filter", "-A INPUT -m statistic --mode nth --every 2", `statistic: option "--every" also requires "--packet".`},
		{"filter", "-A INPUT -m statistic --mode random --probability 0.5 --every 2 --packet 1", `statistic: option "--probability" cannot be used together with "--every".`},
		{"filter", "-A INPUT -m recent --set --rcheck", `recent: option "--set" cannot be used together with "--rcheck".`},
		{"filter", "-A INPUT -m recent --rcheck --reap", `recent: option "--reap" also requires "--seconds".`},
		{"filter", "-A INPUT -m time --utc --kerneltz", `time: option "--utc" cannot be used together with "--kerneltz".`},
		{"filter", "-A INPUT -m ttl --ttl-eq 1 --ttl-gt 2", `cannot be used together with`},
		{"filter", "-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1", `cluster: option "--cluster-hash-seed" must be specified`},
		{"mangle", "-A PREROUTING -j MARK --set-mark 1 --or-mark 2", `MARK: option "--set-mark" cannot be used together with "--or-mark".`},
		{"mangle", "-A PREROUTING -j CONNMARK --set-mark 1 --save-mark", `CONNMARK: option "--set-mark" cannot be used together with "--save-mark".`},
		{"mangle", "-A PREROUTING -j CONNMARK --save-mark --ctmask 1 --mask 2", `CONNMARK: option "--ctmask" cannot be used together with "--mask".`},
		{"filter", "-A INPUT -j NFLOG --nflog-size 128 --nflog-range 5", `NFLOG: option "--nflog-range" cannot be used together with "--nflog-size".`},
		{"filter", "-A INPUT -j NFQUEUE --queue-cpu-fanout", `NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance".`},
		{"filter", "-A INPUT -j IDLETIMER --timeout 1", `IDLETIMER: option "--label" must be specified`},
		{"nat", "-A POSTROUTING -j SNAT", `SNAT: option "--to-source" must be specified`},
		{"mangle", "-A PREROUTING -j TEE", `TEE: option "--gateway" must be specified`},
		// met
		{"filter", "-A INPUT -m statistic --mode nth --every 2 --packet 1", ""},
		{"filter", "-A INPUT -m recent --rcheck --seconds 60 --reap --name x", ""},
		{"mangle", "-A PREROUTING -j CONNMARK --save-mark --ctmask 1 --nfmask 2", ""},
	}
	for _, tc := range tests {
		chains := map[string]string{"filter": ":INPUT ACCEPT [0:0]\n", "nat": ":POSTROUTING ACCEPT [0:0]\n", "mangle": ":PREROUTING ACCEPT [0:0]\n"}
		src := "*" + tc.table + "\n" + chains[tc.table] + tc.rule + "\nCOMMIT\n"
		_, _, err := Parse("t", []byte(src), Options{Family: IPv4})
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.rule, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.rule, err, tc.want)
		}
	}
}
