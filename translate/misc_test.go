package translate

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
)

// miscRule translates one script line and returns the last rule of its
// chain as nft text, the table's sets/objects rendered, and the error
// diagnostics.
func miscTranslate(t *testing.T, lines string) (*Result, []string) {
	t.Helper()
	fam := parser.IPv4
	if strings.HasPrefix(lines, "ip6tables") {
		fam = parser.IPv6
	}
	d, _, err := parser.Parse("test", []byte(lines+"\n"), parser.Options{Script: true, Family: fam})
	if err != nil {
		t.Fatalf("parse %q: %v", lines, err)
	}
	res := Translate(d, Options{Layout: LayoutIPTables})
	var rules []string
	for _, tb := range res.Ruleset.Tables {
		for _, ch := range tb.Chains {
			for _, r := range ch.Rules {
				rules = append(rules, RenderRule(r))
			}
		}
	}
	return res, rules
}

func TestMiscMatches(t *testing.T) {
	tests := []struct{ in, want string }{
		{"iptables -A INPUT -m state --state INVALID,NEW -j DROP", "ct state invalid,new counter drop"},
		{"iptables -A INPUT -m state ! --state NEW,RELATED -j DROP", "ct state ! related,new counter drop"},
		{"iptables -A INPUT -m conntrack --ctstate DNAT -j ACCEPT", "ct status dnat counter accept"},
		{"iptables -A INPUT -m conntrack ! --ctstate NEW,SNAT -j ACCEPT", "ct state ! new ct status ! snat counter accept"},
		{"iptables -A INPUT -m conntrack --ctexpire 3 -j ACCEPT", "ct expiration >= 3s ct expiration < 4s counter accept"},
		{"iptables -A INPUT -m conntrack --ctexpire :59", "ct expiration < 1m counter"},
		{"iptables -A INPUT -m conntrack --ctexpire 4294967:4294967295", "ct expiration >= 49d17h2m47s counter"},
		{"iptables -A INPUT -m conntrack ! --ctexpire 0:9", "ct expiration >= 10s counter"},
		{"iptables -A INPUT -m conntrack ! --ctexpire 60:4294967295", "ct expiration < 1m counter"},
		{"iptables -A INPUT -m conntrack ! --ctexpire 5000000", "ct expiration >= 0s counter"},
		{"iptables -A INPUT -m conntrack --ctproto UDP --ctdir REPLY -j ACCEPT", "ct direction reply ct original protocol 17 counter accept"},
		{"iptables -A INPUT -m conntrack ! --ctstatus CONFIRMED,ASSURED", "ct status ! assured,confirmed counter"},
		{"iptables -A INPUT -m conntrack --ctorigsrc 10.0.0.0/255.0.0.0 --ctrepldstport 80:90", "ct original saddr & 255.0.0.0 == 10.0.0.0 ct reply proto-dst 80-90 counter"},
		{"iptables -A INPUT -m mark ! --mark 0xa/0xa", "meta mark & 0xa != 0xa counter"},
		{"iptables -A INPUT -m connmark --mark 2", "ct mark 0x2 counter"},
		{"iptables -A INPUT -m addrtype ! --dst-type ANYCAST,LOCAL", "fib daddr type != { local, anycast } counter"},
		{"iptables -A INPUT -m addrtype --src-type LOCAL --dst-type LOCAL --limit-iface-in", "fib saddr . iif type local fib daddr . iif type local counter"},
		{"iptables -A INPUT -m limit --limit 3/m", "limit rate 3/minute burst 5 packets counter"},
		{"iptables -A INPUT -m limit", "limit rate 3/hour burst 5 packets counter"},
		{"iptables -A INPUT -m connbytes --connbytes 200 --connbytes-dir original --connbytes-mode packets", "ct original packets >= 200 counter"},
		{"iptables -A INPUT -m connbytes ! --connbytes 200:600 --connbytes-dir both --connbytes-mode bytes", "ct bytes != 200-600 counter"},
		{"iptables -A INPUT -m connlabel ! --label 40 --set", "ct label set 40 ct label & 40 != 40 counter"},
		{"iptables -A OUTPUT -m owner --uid-owner root --gid-owner 0-10", "skuid 0 skgid 0-10 counter"},
		{"iptables -A OUTPUT -m cgroup ! --cgroup 1", "cgroup != 1 counter"},
		{"iptables -A INPUT -m cpu ! --cpu 1", "cpu != 1 counter"},
		{"iptables -A FORWARD -m devgroup ! --src-group 0x2 --dst-group 0xc/0xc", "iifgroup != 0x2 oifgroup & 0xc == 0xc counter"},
		{"iptables -A INPUT -m policy --pol ipsec --dir in", "meta secpath exists counter"},
		{"iptables -A OUTPUT -m policy --pol none --dir out", "rt ipsec missing counter"},
		{"iptables -A OUTPUT -m quota --quota 111", "quota 111 bytes counter"},
		{"iptables -A OUTPUT -m quota ! --quota 111", "quota over 111 bytes counter"},
		{"iptables -t mangle -A PREROUTING -m rpfilter --validmark --loose", "fib saddr . mark oif != 0 counter"},
		{"ip6tables -t mangle -A PREROUTING -m rpfilter --validmark --invert", "fib saddr . mark . iif oif 0 counter"},
		{"iptables -A OUTPUT -m statistic --mode nth --every 10 --packet 1", "numgen inc mod 10 1 counter"},
		{"iptables -A OUTPUT -m statistic --mode random --probability 0.1", "meta random & 2147483647 < 214748365 counter"},
		{"iptables -A INPUT -m time --timestart 12:00 --datestart 2021", "meta time 1609459200-2147483647 meta hour 43200-86399 counter"},
		{"iptables -A INPUT -m time --timestart 22:00 --timestop 06:00", "meta hour != 21601-79199 counter"},
		{"iptables -A INPUT -m time ! --weekdays Mon,Tue,Wed,Thu,Fri", "meta day { 6, 0 } counter"},
		{"iptables -A INPUT -m socket --transparent", "socket wildcard 0 socket transparent 1 counter"},
		{"iptables -A INPUT -m socket --nowildcard", "socket wildcard <= 1 counter"},
		{"iptables -A INPUT -m set ! --match-set bad-hosts src -j DROP", "ip saddr != @bad-hosts counter drop"},
		{"iptables -A INPUT -m conntrack --ctstate NEW,DNAT", "ct state new counter\nct state ! new ct status dnat counter"},
		{"iptables -A INPUT -m conntrack ! --ctstate DNAT -j DROP", "ct state invalid,untracked counter drop\nct status ! dnat counter drop"},
		{"iptables -A INPUT -m nfacct --nfacct-name acct1", "counter name \"acct1\" counter"},
		{"iptables -A INPUT -m connlimit --connlimit-upto 2 --connlimit-mask 24", "add @connlimit0 { ip saddr & 255.255.255.0 ct count 2 } counter"},
		{"iptables -A INPUT -m connlimit ! --connlimit-upto 2 --connlimit-daddr", "add @connlimit0 { ip daddr ct count over 2 } counter"},
		{"iptables -A INPUT -p tcp -m hashlimit --hashlimit-above 20kb/s --hashlimit-burst 1mb --hashlimit-mode dstip,dstport --hashlimit-name https --hashlimit-dstmask 24",
			"ip protocol tcp update @https { (ip daddr & 255.255.255.0) . tcp dport limit rate over 20 kbytes/second burst 1 mbytes } counter\n" +
				"ip protocol tcp (ip daddr & 255.255.255.0) . tcp dport != @https drop"},
	}
	for _, tt := range tests {
		res, rules := miscTranslate(t, tt.in)
		if err := res.Err(); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		// The last rules: as many as want has lines (a hashlimit's
		// hotdrop rule follows its own).
		k := strings.Count(tt.want, "\n") + 1
		if len(rules) < k || strings.Join(rules[len(rules)-k:], "\n") != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.in, rules, tt.want)
		}
	}
}

func TestMiscUnsupported(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"iptables -A INPUT -m limit --limit 1/s -m conntrack --ctstate NEW,DNAT", "would count twice"},
		{"iptables -A INPUT -m helper --helper ftp", "master"},
		{"iptables -A INPUT -m limit --limit 1/s --limit-burst 0", "kernel rejects"},
		{"iptables -A OUTPUT -m owner --uid-owner nobody", "numeric id"},
		{"iptables -A INPUT -m physdev --physdev-in eth0", "bridge"},
		{"iptables -A INPUT -m set --match-set s src,dst", "dimensions"},
		{"iptables -t raw -A PREROUTING -m rpfilter --accept-local", "OR"},
		{"iptables -A INPUT -m time --monthdays 1", "monthdays"},
		{"iptables -A INPUT -m hashlimit --hashlimit-upto 1/s --hashlimit-name x --hashlimit-rate-match", "rate-match"},
		{"iptables -A INPUT -m conntrack --ctexpire 5000000", "never matches"},
		{"iptables -A INPUT -m conntrack ! --ctexpire 0:4294967295", "never matches"},
	}
	for _, tt := range tests {
		res, _ := miscTranslate(t, tt.in)
		err := res.Err()
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: want error containing %q, got %v", tt.in, tt.msg, err)
		}
	}
}

// "! --ctexpire L:H" with both ends is the whole-second range, approximate.
func TestCtexpireNegatedRange(t *testing.T) {
	res, rules := miscTranslate(t, "iptables -A INPUT -m conntrack ! --ctexpire 3")
	if len(rules) != 1 || rules[0] != "ct expiration != 3s-4s counter" {
		t.Fatalf("got %q", rules)
	}
	if len(res.Diags) != 1 || !strings.Contains(res.Diags[0].Msg, "exactly 4.000 s") {
		t.Fatalf("want one approximation warning, got %v", res.Diags)
	}
}

// QuotaStopsAtLimit: kernels before the nft_quota fix need one byte more.
func TestQuotaStopsAtLimit(t *testing.T) {
	for _, tt := range []struct {
		stops bool
		in    string
		want  string
	}{
		{false, "--quota 111", "quota 111 bytes counter"},
		{true, "--quota 111", "quota 112 bytes counter"},
		{true, "! --quota 111", "quota over 112 bytes counter"},
		{false, "--quota 18446744073709551615", "quota 18446744073709551615 bytes counter"},
	} {
		d, _, err := parser.Parse("test", []byte("iptables -A OUTPUT -m quota "+tt.in+"\n"), parser.Options{Script: true})
		if err != nil {
			t.Fatal(err)
		}
		res := Translate(d, Options{Layout: LayoutIPTables, QuotaStopsAtLimit: tt.stops})
		if err := res.Err(); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		got := RenderRule(res.Ruleset.Tables[0].Chains[len(res.Ruleset.Tables[0].Chains)-1].Rules[0])
		if got != tt.want {
			t.Errorf("%s (stops at limit %v): got %q, want %q", tt.in, tt.stops, got, tt.want)
		}
	}
}

// Rules sharing a --hashlimit-name share one set, declared once.
func TestHashlimitSharedSet(t *testing.T) {
	in := "iptables -A INPUT -p tcp -m hashlimit --hashlimit-above 10/sec --hashlimit-mode srcip,dstport --hashlimit-name aflood -j DROP\n" +
		"iptables -A INPUT -p udp -m hashlimit --hashlimit-above 10/sec --hashlimit-mode srcip,dstport --hashlimit-name aflood -j DROP"
	res, rules := miscTranslate(t, in)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	tb := res.Ruleset.Tables[0]
	if len(tb.Sets) != 1 || tb.Sets[0].Name != "aflood" || tb.Sets[0].Timeout.String() != "1s" {
		t.Fatalf("sets: %+v", tb.Sets)
	}
	want := []string{
		"ip protocol tcp update @aflood { tcp dport . ip saddr limit rate over 10/second burst 5 packets } counter drop",
		"ip protocol tcp tcp dport . ip saddr != @aflood drop",
		"ip protocol udp update @aflood { udp dport . ip saddr limit rate over 10/second burst 5 packets } counter drop",
		"ip protocol udp udp dport . ip saddr != @aflood drop",
	}
	if strings.Join(rules, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(rules, "\n"), strings.Join(want, "\n"))
	}
}
