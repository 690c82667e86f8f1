package translate

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
)

// tgRun translates one script (iptables or ip6tables lines) with the
// iptables layout and returns the rendered ruleset and the diagnostics.
func tgRun(t *testing.T, script string) (string, string) {
	t.Helper()
	fam := parser.IPv4
	if strings.HasPrefix(script, "ip6tables") {
		fam = parser.IPv6
	}
	d, diags, err := parser.Parse("t.sh", []byte(script), parser.Options{Script: true, Family: fam})
	if err != nil {
		t.Fatalf("parse %q: %v", script, err)
	}
	res := Translate(d, Options{Layout: LayoutIPTables})
	var b bytes.Buffer
	if err := Render(&b, res.Ruleset); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, x := range append(diags, res.Diags...) {
		msgs = append(msgs, x.Msg)
	}
	return b.String(), strings.Join(msgs, "\n")
}

func TestTargets(t *testing.T) {
	tests := []struct {
		in   string
		want []string // lines that must appear in the output
		diag string   // substring of the diagnostics ("" = none expected)
	}{
		{"iptables -A INPUT -j LOG --log-level 4 --log-prefix x", []string{`counter log prefix "x"`}, ""},
		{"iptables -A INPUT -j LOG --log-level error", []string{"counter log level err"}, ""},
		{"iptables -A INPUT -j LOG --log-level 7 --log-tcp-options --log-uid", []string{"counter log level debug flags tcp options flags skuid"}, ""},
		{"iptables -A INPUT -j LOG --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode", []string{"counter log flags all"}, ""},
		{"iptables -A INPUT -j LOG --log-level warn", nil, "bad log level"},
		{"iptables -A INPUT -j NFLOG --nflog-threshold 2", []string{"counter log group 0 queue-threshold 2"}, ""},
		{"iptables -A INPUT -j NFLOG --nflog-group 3 --nflog-size 128", []string{"counter log group 3 snaplen 128"}, ""},
		{"iptables -A INPUT -j AUDIT --type drop", []string{"counter log level audit"}, ""},
		{"iptables -A INPUT -j REJECT", []string{"counter reject"}, ""},
		{"iptables -A INPUT -j REJECT --reject-with icmp-host-prohib", []string{"counter reject with icmp type host-prohibited"}, ""},
		{"iptables -A INPUT -j REJECT --reject-with icmp-h", []string{"counter reject with icmp type host-unreachable"}, ""},
		{"iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset", []string{"ip protocol tcp counter reject with tcp reset"}, ""},
		{"ip6tables -A INPUT -j REJECT --reject-with adm-prohibited", []string{"counter reject with icmpv6 type admin-prohibited"}, ""},
		{"iptables -t mangle -A PREROUTING -j MARK --set-mark 64", []string{"counter meta mark set 0x40"}, ""},
		{"iptables -t mangle -A PREROUTING -j MARK --set-mark 0x1/0xff", []string{"counter meta mark set meta mark & 0xffffff00 ^ 0x1"}, ""},
		{"iptables -t mangle -A PREROUTING -j MARK --set-xmark 0x40/0x32", []string{"counter meta mark set meta mark & 0xffffffcd ^ 0x40"}, ""},
		{"iptables -t mangle -A PREROUTING -j MARK --and-mark 0x64", []string{"counter meta mark set meta mark & 0x64"}, ""},
		{"iptables -t mangle -A PREROUTING -j MARK --or-mark 010", []string{"counter meta mark set meta mark | 0x8"}, ""},
		{"iptables -t mangle -A PREROUTING -j MARK --xor-mark 64", []string{"counter meta mark set meta mark ^ 0x40"}, ""},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --set-xmark 0x16/0x12", []string{"counter ct mark set ct mark & 0xffffffed ^ 0x16"}, ""},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --set-mark 0x23/0x42 --right-shift-mark 5", []string{"counter ct mark set (ct mark & 0xffffff9c ^ 0x23) >> 5"}, ""},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --save-mark", []string{"counter ct mark set meta mark"}, ""},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --ctmask 0xff", []string{"counter meta mark set ct mark & 0xff"}, ""},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --ctmask 0", []string{"counter ct mark >= 0x0 meta mark set 0x0"}, ""},
		// The kernel keeps the packet-mark bits outside nfmask: helper chain.
		{"iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --mask 0x3", []string{
			"counter jump connmark_restore_3_3",
			"ct mark >= 0x0 meta mark set meta mark & 0xfffffffc",
			"ct mark & 0x1 == 0x1 meta mark set meta mark ^ 0x1",
			"ct mark & 0x2 == 0x2 meta mark set meta mark ^ 0x2"}, ""},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --save-mark --nfmask 0x10 --ctmask 0xf0 --left-shift-mark 4", []string{
			"counter jump connmark_save_f0_10_shl4",
			"ct mark set ct mark & 0xffffff0f",
			"meta mark & 0x10 == 0x10 ct mark set ct mark ^ 0x100"}, ""},
		{"iptables -t nat -A PREROUTING -m tcp -p tcp -j DNAT --to-destination 10.0.0.1:8080", []string{"ip protocol tcp counter dnat to 10.0.0.1:8080"}, ""},
		{"iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1-10.0.0.9:80-90", []string{"tcp dport 80 counter dnat to 10.0.0.1-10.0.0.9:80-90"}, ""},
		{"iptables -t nat -A PREROUTING -j DNAT --to-destination 10.0.0.1:80", nil, "port mapping needs"},
		{"ip6tables -t nat -A PREROUTING -p tcp -j DNAT --to-destination [fec0::1-fec0::9]:1-20 --random --persistent", []string{"meta l4proto tcp counter dnat to [fec0::1]-[fec0::9]:1-20 random,persistent"}, ""},
		{"iptables -t nat -A POSTROUTING -j SNAT --to-source 1.2.3.4 --random-fully", []string{"counter snat to 1.2.3.4 fully-random"}, ""},
		{"iptables -t nat -A POSTROUTING -p udp -j MASQUERADE --to-ports 1024-2048", []string{"ip protocol udp counter masquerade to :1024-2048"}, ""},
		{"iptables -t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 8080 --random", []string{"ip protocol tcp counter redirect to :8080 random"}, ""},
		{"iptables -t nat -A PREROUTING -j NETMAP --to 10.0.0.5/24", []string{"counter dnat prefix to 10.0.0.0/24"}, ""},
		{"iptables -t nat -A POSTROUTING -j NETMAP --to 10.0.0.0/255.255.0.0", []string{"counter snat prefix to 10.0.0.0/16"}, ""},
		{"iptables -t raw -A PREROUTING -j CT --notrack", []string{"counter notrack"}, ""},
		{"iptables -t raw -A PREROUTING -j NOTRACK", []string{"counter notrack"}, ""},
		{"iptables -t raw -A PREROUTING -j CT --zone-orig 3", []string{"counter ct original zone set 3"}, ""},
		{"iptables -t raw -A PREROUTING -p tcp -j CT --helper ftp", []string{
			"ct helper cthelper_ftp_tcp {", "type \"ftp\" protocol tcp;",
			"type filter hook prerouting priority -199;", "ip protocol tcp ct helper set \"cthelper_ftp_tcp\""}, "after conntrack"},
		{"iptables -t raw -N sub\niptables -t raw -A PREROUTING -i eth0 -j sub\niptables -t raw -A sub -p tcp -j CT --helper ftp", []string{
			"iifname \"eth0\" jump sub_helpers", "chain sub_helpers {", "ip protocol tcp ct helper set"}, "after conntrack"},
		{"iptables -t raw -A PREROUTING -j TRACE", []string{"counter nftrace set 1"}, ""},
		{"iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 15006 --tproxy-mark 0x1/0x1", []string{
			"ip protocol tcp counter jump tproxy_tcp_15006_mark_1_1",
			"meta l4proto tcp tproxy to :15006 meta mark set meta mark | 0x1 accept",
			"\t\tdrop\n"}, ""},
		{"iptables -t mangle -A POSTROUTING -j CLASSIFY --set-class 1:23", []string{"counter meta priority set 1:23"}, ""},
		{"iptables -t mangle -A POSTROUTING -j DSCP --set-dscp-class af41", []string{"counter ip dscp set 0x22"}, ""},
		{"ip6tables -t mangle -A POSTROUTING -j TOS --set-tos 0x1f", []string{"counter ip6 dscp set 0x7 ip6 ecn set 0x3"}, ""},
		{"iptables -t mangle -A POSTROUTING -j TOS --set-tos Minimize-Delay", []string{
			"counter ip ecn set 0x0 jump tos_dscp_4_f",
			"ip dscp { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f } ip dscp set 0x14 return"}, ""},
		{"iptables -A FORWARD -p tcp -j NFQUEUE --queue-balance 0:3 --queue-bypass --queue-cpu-fanout", []string{"ip protocol tcp counter queue flags bypass,fanout to 0-3"}, ""},
		{"iptables -A FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu", []string{"tcp flags syn / fin,syn,rst,ack counter tcp option maxseg size set rt mtu"}, "inserted"},
		{"iptables -A INPUT -p tcp -j SYNPROXY --mss 1460 --wscale 7 --timestamp --sack-perm", []string{"ip protocol tcp counter synproxy mss 1460 wscale 7 timestamp sack-perm"}, ""},
		{"iptables -t mangle -A PREROUTING -j TEE --gateway 10.0.0.2", []string{"counter dup to 10.0.0.2"}, ""},
		{"iptables -t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill", []string{"ip protocol udp counter\n"}, "no nft equivalent"},
		{"iptables -A INPUT -j SET --add-set blk src --timeout 60 --exist", []string{"type ipv4_addr", "flags dynamic,timeout", "counter update @blk { ip saddr timeout 1m }"}, "type is unknown"},
		{"iptables -A INPUT -j SET --del-set blk src,dst", []string{"counter delete @blk { ip saddr . ip daddr }"}, "type is unknown"},
		{"iptables -A INPUT -j HMARK --hmark-mod 2", nil, "HMARK has no nft equivalent"},
		{"iptables -A INPUT -j ULOG", nil, "removed from Linux 3.17"},
	}
	for _, tc := range tests {
		out, diags := tgRun(t, tc.in+"\n")
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s\n  want %q in:\n%s\n  diags: %s", tc.in, w, out, diags)
			}
		}
		if tc.diag == "" && diags != "" {
			t.Errorf("%s: unexpected diagnostics: %s", tc.in, diags)
		}
		if tc.diag != "" && !strings.Contains(diags, tc.diag) {
			t.Errorf("%s: want diagnostic %q, got %q", tc.in, tc.diag, diags)
		}
	}
}

// Non-terminal targets must not end evaluation: no terminal statement in
// the rule or in its helper chains (which may only return), and terminal
// ones must end it.
func TestTargetsTerminal(t *testing.T) {
	terminal := func(st Stmt) bool {
		switch v := st.(type) {
		case *Verdict:
			return v.Kind == VerdictAccept || v.Kind == VerdictDrop || v.Kind == VerdictGoto
		case *Reject, *NAT, *Queue, *Synproxy:
			return true
		}
		return false
	}
	for _, tc := range []struct {
		in   string
		term bool
	}{
		{"iptables -t mangle -A PREROUTING -j MARK --set-mark 1", false},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --mask 0xff", false},
		{"iptables -t mangle -A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf", false},
		{"iptables -t mangle -A PREROUTING -j LOG", false},
		{"iptables -t mangle -A PREROUTING -j NFLOG", false},
		{"iptables -t mangle -A PREROUTING -j TOS --and-tos 0x3", false},
		{"iptables -t mangle -A PREROUTING -j TEE --gateway 1.2.3.4", false},
		{"iptables -A INPUT -j REJECT", true},
		{"iptables -t nat -A PREROUTING -j DNAT --to-destination 1.2.3.4", true},
		{"iptables -t nat -A PREROUTING -j NETMAP --to 1.2.3.0/24", true},
		{"iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1", true},
		{"iptables -t mangle -A PREROUTING -j NFQUEUE", true},
	} {
		fam := parser.IPv4
		d, _, err := parser.Parse("t.sh", []byte(tc.in+"\n"), parser.Options{Script: true, Family: fam})
		if err != nil {
			t.Fatal(err)
		}
		res := Translate(d, Options{Layout: LayoutIPTables})
		var got bool
		for _, tb := range res.Ruleset.Tables {
			for _, ch := range tb.Chains {
				for _, r := range ch.Rules {
					for _, st := range r.Stmts {
						got = got || terminal(st)
					}
				}
			}
		}
		if got != tc.term {
			t.Errorf("%s: terminal = %v, want %v", tc.in, got, tc.term)
		}
	}
}
