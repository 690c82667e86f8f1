package translate

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
)

// l4Rule translates one iptables/ip6tables command line (script mode) and
// returns the last rule of the chain it appends to, the diagnostics and the
// translation error.
func l4Rule(t *testing.T, line string) (string, []parser.Diagnostic, error) {
	t.Helper()
	fam := parser.IPv4
	if strings.HasPrefix(line, "ip6tables") {
		fam = parser.IPv6
	}
	d, _, err := parser.Parse("test", []byte(line+"\n"), parser.Options{Script: true, Family: fam})
	if err != nil {
		return "", nil, err
	}
	res := Translate(d, Options{Layout: LayoutIPTables})
	if err := res.Err(); err != nil {
		return "", res.Diags, err
	}
	var last *Rule
	for _, tb := range res.Ruleset.Tables {
		for _, ch := range tb.Chains {
			for _, r := range ch.Rules {
				last = r
			}
		}
	}
	if last == nil {
		t.Fatalf("%s: no rule produced", line)
	}
	return RenderRule(last), res.Diags, nil
}

func TestL4Matches(t *testing.T) {
	cases := []struct{ in, want string }{
		// icmp
		{"iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT", "icmp type echo-request counter accept"},
		{"iptables -A INPUT -p icmp --icmp-type echo-req -j ACCEPT", "icmp type echo-request counter accept"},
		{"iptables -A INPUT -p icmp --icmp-type 8 -j ACCEPT", "icmp type echo-request counter accept"},
		{"iptables -A INPUT -p icmp --icmp-type 0x8 -j ACCEPT", "icmp type echo-request counter accept"},
		{"iptables -A INPUT -p icmp --icmp-type 42", "icmp type 42 counter"},
		{"iptables -A INPUT -p icmp --icmp-type 3/4 -j DROP", "icmp type destination-unreachable icmp code 4 counter drop"},
		{"iptables -A INPUT -p icmp --icmp-type port-unreachable", "icmp type destination-unreachable icmp code 3 counter"},
		{"iptables -A INPUT -p icmp ! --icmp-type 3/4", "icmp type . icmp code != { destination-unreachable . 4 } counter"},
		{"iptables -A INPUT -p icmp ! --icmp-type echo-reply", "icmp type != echo-reply counter"},
		{"iptables -A INPUT -p icmp --icmp-type any", "ip protocol icmp counter"},
		{"iptables -A INPUT -p icmp ! --icmp-type any", "icmp type != 0-255 counter"},
		{"iptables -A INPUT -p icmp --icmp-type 255/3", "ip protocol icmp counter"},
		{"iptables -A INPUT -p icmp -m icmp --icmp-type any", "ip protocol icmp counter"},
		{"iptables -A INPUT -p icmp -s 10.0.0.0/8 --icmp-type 11", "ip saddr 10.0.0.0/8 icmp type time-exceeded counter"},
		// icmp6
		{"ip6tables -A INPUT -p icmpv6 --icmpv6-type neighbour-solicitation -j ACCEPT", "icmpv6 type nd-neighbor-solicit counter accept"},
		{"ip6tables -A INPUT -p ipv6-icmp --icmpv6-type 130 -j ACCEPT", "icmpv6 type mld-listener-query counter accept"},
		{"ip6tables -A INPUT -p icmpv6 --icmpv6-type 1/3", "icmpv6 type destination-unreachable icmpv6 code 3 counter"},
		{"ip6tables -A INPUT -p 58 ! --icmpv6-type port-unreachable", "icmpv6 type . icmpv6 code != { destination-unreachable . 4 } counter"},
		// multiport
		{"iptables -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT", "tcp dport { 80, 443 } counter accept"},
		{"iptables -A INPUT -p udp -m multiport --sports 53,1000:2000", "udp sport { 53, 1000-2000 } counter"},
		{"iptables -A INPUT -p tcp -m multiport --source-ports 22", "tcp sport 22 counter"},
		{"iptables -A INPUT -p tcp -m multiport ! --dports 80:88", "tcp dport != 80-88 counter"},
		{"iptables -A INPUT -p sctp -m multiport --ports 10,20:30", "sctp sport . sctp dport { 0-65535 . 10, 10 . 0-65535, 0-65535 . 20-30, 20-30 . 0-65535 } counter"},
		{"iptables -A INPUT -p tcp -m multiport ! --ports 10,20", "tcp sport != { 10, 20 } tcp dport != { 10, 20 } counter"},
		{"iptables -A INPUT -p tcp -m multiport --dports 0:65535,80", "ip protocol tcp counter"},
		{"iptables -A INPUT -p tcp -m multiport --dports http,0x1bb", "tcp dport { 80, 443 } counter"},
		{"iptables -A INPUT -p tcp -m multiport --ports 90,80:90,85,20", "tcp sport . tcp dport { 0-65535 . 20, 20 . 0-65535, 0-65535 . 80-90, 80-90 . 0-65535 } counter"},
		// tcp/udp
		{"iptables -A INPUT -p tcp --sport 0:65535", "ip protocol tcp counter"},
		{"iptables -A INPUT -p tcp ! --sport 0:65535", "tcp sport != 0-65535 counter"},
		{"iptables -A INPUT -p udp ! --dport :1023", "udp dport != 0-1023 counter"},
		{"iptables -A INPUT -p tcp --tcp-flags SYN,FIN NONE", "tcp flags 0x0 / fin,syn counter"},
		{"iptables -A INPUT -p tcp ! --tcp-flags ALL SYN", "tcp flags != syn / fin,syn,rst,psh,ack,urg counter"},
		{"iptables -A INPUT -p tcp --tcp-flags NONE NONE", "ip protocol tcp counter"},
		{"iptables -A INPUT -p tcp ! --tcp-flags NONE NONE", "tcp sport != 0-65535 counter"},
		{"iptables -A INPUT -p tcp --tcp-flags SYN ACK", "tcp sport != 0-65535 counter"},
		{"iptables -A INPUT -p tcp ! --tcp-option 23", "ip protocol tcp tcp option 23 missing ip protocol tcp counter"},
		{"iptables -A INPUT -p tcp --dport 010", "tcp dport 8 counter"},
		{"iptables -A INPUT -p udp --dport 010", "udp dport 10 counter"},
		// sctp
		{"iptables -A INPUT -p sctp ! --dport 80:100 --sport 50", "sctp sport 50 sctp dport != 80-100 counter"},
		{"iptables -A INPUT -p sctp --chunk-types all INIT,SACK", "sctp chunk init exists sctp chunk sack exists counter"},
		{"iptables -A INPUT -p sctp ! --chunk-types all INIT", "ip protocol sctp sctp chunk init missing counter"},
		{"iptables -A INPUT -p sctp --chunk-types any DATA:E", "sctp chunk data flags & 0x1 == 0x1 counter"},
		{"iptables -A INPUT -p sctp -m sctp --dport 5000", "sctp dport 5000 counter"},
		{"iptables -A INPUT -p sctp -m sctp", "ip protocol sctp counter"},
		// dccp
		{"iptables -A INPUT -p dccp --dccp-types REQUEST,INVALID", "dccp type { request, 10-15 } counter"},
		{"iptables -A INPUT -p dccp ! --dccp-types sync", "dccp type != sync counter"},
		// ah, esp, ipcomp
		{"iptables -A INPUT -p ah -m ah ! --ahspi 50", "ah spi != 50 counter"},
		{"iptables -A INPUT -p ah -m ah --ahspi 500:", "ah spi 500-4294967295 counter"},
		{"iptables -A INPUT -p ah --ahspi 0:4294967295", "ip protocol ah counter"},
		{"iptables -A INPUT -p ah ! --ahspi 0:4294967295", "ah spi != 0-4294967295 counter"},
		{"ip6tables -A INPUT -m ah --ahlen 120 --ahres", "ah hdrlength 28 ah reserved 0 counter"},
		{"ip6tables -A INPUT -m ah --ahlen 121", "ah hdrlength != 0-255 counter"},
		{"ip6tables -A INPUT -m ah ! --ahlen 0", "meta l4proto ah counter"},
		{"ip6tables -A INPUT -m ah", "meta l4proto ah counter"},
		{"iptables -A INPUT -p esp --espspi 500:600", "esp spi 500-600 counter"},
		{"ip6tables -A INPUT -p esp --espspi 0:4294967295", "meta l4proto esp counter"},
		{"iptables -A INPUT -p esp -m esp --espspi 7", "esp spi 7 counter"},
		{"iptables -A INPUT -p ipcomp --ipcompspi 0x12", "comp cpi 18 counter"},
		{"iptables -A INPUT -p 108 -m ipcomp --ipcompspi 70000:80000", "comp cpi != 0-65535 counter"},
		{"iptables -A INPUT -p ipcomp -m ipcomp ! --ipcompspi 60000:80000", "comp cpi != 60000-65535 counter"},
		// frag, hbh, dst, rt, mh, ipv6header
		{"ip6tables -A INPUT -m frag --fragid 100:200 --fragres --fragfirst --fraglast", "frag id 100-200 frag reserved 0 frag reserved2 0 frag frag-off 0 frag more-fragments 0 counter"},
		{"ip6tables -A INPUT -m frag ! --fragid 5", "frag id != 5 counter"},
		{"ip6tables -A INPUT -m frag", "exthdr frag exists counter"},
		{"ip6tables -A INPUT -m frag --fragmore", "frag more-fragments 1 counter"},
		{"ip6tables -A INPUT -m hbh --hbh-len 16", "hbh hdrlength 1 counter"},
		{"ip6tables -A INPUT -m hbh ! --hbh-len 8", "hbh hdrlength != 0 counter"},
		{"ip6tables -A INPUT -m dst --dst-len 22", "dst hdrlength != 0-255 counter"},
		{"ip6tables -A INPUT -m dst", "exthdr dst exists counter"},
		{"ip6tables -A INPUT -m rt --rt-type 0 --rt-segsleft 13:42 --rt-len 24", "rt type 0 rt seg-left 13-42 rt hdrlength 2 counter"},
		{"ip6tables -A INPUT -m rt ! --rt-type 2", "rt type != 2 counter"},
		{"ip6tables -A INPUT -m rt --rt-segsleft 0:4294967295", "exthdr rt exists counter"},
		{"ip6tables -A INPUT -m rt --rt-type 0 --rt-0-addrs ::1,2001:db8::2", "rt type 0 rt0 addr[1] ::1 rt0 addr[2] 2001:db8::2 rt hdrlength 4-5 counter"},
		{"ip6tables -A INPUT -p mh --mh-type binding-update", "meta l4proto 135 mh type 5 counter"},
		{"ip6tables -A INPUT -p mh ! --mh-type hoti:3", "meta l4proto 135 mh type != 1-3 counter"},
		{"ip6tables -A INPUT -p mh --mh-type 0:255", "meta l4proto 135 counter"},
		{"ip6tables -A INPUT -m ipv6header --header hop,frag --soft", "exthdr hbh exists exthdr frag exists counter"},
		{"ip6tables -A INPUT -m ipv6header ! --header ipv6-route --soft", "exthdr rt missing counter"},
		{"ip6tables -A INPUT -m ipv6header --header esp --soft", "meta l4proto { esp, ah } counter"},
		{"ip6tables -A INPUT -m ipv6header ! --header none,esp --soft", "meta l4proto != { esp, 59 } counter"},
		{"ip6tables -A INPUT -m ipv6header --header prot,hop --soft", "exthdr hbh exists meta l4proto != { esp, 59 } counter"},
		{"ip6tables -A INPUT -m ipv6header --header esp,none --soft", "meta l4proto != 0-255 counter"},
		{"ip6tables -A INPUT -m ipv6header --header hop,prot", "exthdr hbh exists exthdr dst missing exthdr rt missing exthdr frag missing meta l4proto != { esp, 59, ah } counter"},
		{"ip6tables -A INPUT -m ipv6header --header auth --soft", "meta l4proto ah counter"},
		{"ip6tables -A INPUT -m ipv6header ! --header auth,frag --soft", "exthdr frag missing meta l4proto != ah counter"},
		{"ip6tables -A INPUT -m ipv6header --header auth,dst,esp", "exthdr hbh missing exthdr dst exists exthdr rt missing exthdr frag missing meta l4proto ah counter"},
		{"ip6tables -A INPUT -m ipv6header --header ipv6-route", "meta l4proto != 0-255 counter"},
		{"ip6tables -A INPUT -m ipv6header --header none", "exthdr hbh missing exthdr dst missing exthdr rt missing exthdr frag missing meta l4proto 59 counter"},
		// tcpmss, length, ttl, hl
		{"iptables -A INPUT -p tcp -m tcpmss --mss 1400:1500", "ip protocol tcp tcp option maxseg size 1400-1500 counter"},
		{"iptables -A INPUT -p tcp -m tcpmss ! --mss 0:65535", "ip protocol tcp tcp option maxseg missing ip protocol tcp counter"},
		{"iptables -A INPUT -m length --length 0:65535", "counter"},
		{"iptables -A INPUT -m length ! --length 1500:", "meta length != 1500-65535 counter"},
		{"iptables -A INPUT -m ttl --ttl-lt 5", "ip ttl < 5 counter"},
		{"iptables -A INPUT -m ttl ! --ttl-eq 64", "ip ttl != 64 counter"},
		{"iptables -A INPUT -m ttl --ttl 64", "ip ttl 64 counter"},
		{"ip6tables -A INPUT -m hl --hl-gt 3", "ip6 hoplimit > 3 counter"},
		// ecn, dscp, tos
		{"iptables -A INPUT -p tcp -m ecn ! --ecn-tcp-ece --ecn-tcp-cwr", "tcp flags & ecn == 0 tcp flags cwr counter"},
		{"iptables -A INPUT -m ecn ! --ecn-ip-ect 3", "ip ecn != ce counter"},
		{"ip6tables -A INPUT -m ecn --ecn-ip-ect 1", "ip6 ecn ect1 counter"},
		{"iptables -A INPUT -m dscp --dscp-class AF41", "ip dscp 0x22 counter"},
		{"ip6tables -A INPUT -m dscp ! --dscp 46", "ip6 dscp != 0x2e counter"},
		{"iptables -A INPUT -m tos --tos Minimize-Delay", "@nh,8,8 & 0x3f == 0x10 counter"},
		{"iptables -A INPUT -m tos ! --tos 0x08/0x0c", "@nh,8,8 & 0xc != 0x8 counter"},
		{"ip6tables -A INPUT -m tos --tos 0x20", "@nh,4,8 0x20 counter"},
		// iprange, mac, pkttype, realm
		{"iptables -A INPUT -m iprange --dst-range 10.0.0.9-10.0.0.1", "ip daddr != 0.0.0.0/0 counter"},
		{"iptables -A INPUT -m iprange ! --src-range 10.0.0.1", "ip saddr != 10.0.0.1 counter"},
		{"ip6tables -A INPUT -m iprange --src-range ::1-::5 ! --dst-range ::9-::a", "ip6 saddr ::1-::5 ip6 daddr != ::9-::a counter"},
		{"iptables -A INPUT -m mac ! --mac-source 0A:12:3e:4f:b2:c6", "ether saddr != 0a:12:3e:4f:b2:c6 counter"},
		{"iptables -A INPUT -m pkttype --pkt-type otherhost", "pkttype other counter"},
		{"iptables -A INPUT -m pkttype ! --pkt-type unicast", "pkttype != host counter"},
		{"iptables -A INPUT -m realm --realm 0x10/0xff", "rtclassid & 0xff == 0x10 counter"},
		{"iptables -A INPUT -m realm ! --realm 4", "rtclassid != 0x4 counter"},
	}
	for _, tc := range cases {
		got, diags, err := l4Rule(t, tc.in)
		if err != nil {
			t.Errorf("%s: unexpected error %v (diags %v)", tc.in, err, diags)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got  %s\n want %s", tc.in, got, tc.want)
		}
	}
}

func TestL4Refused(t *testing.T) {
	cases := []struct{ in, msg string }{
		{"iptables -A INPUT -p udp -m icmp --icmp-type 8", "icmp match: only valid for protocol 1"},
		{"iptables -A INPUT ! -p icmp -m icmp --icmp-type 8", "icmp match: only valid for protocol 1"},
		{"iptables -A INPUT -m icmp --icmp-type 8", "icmp match: only valid for protocol 1"},
		{"iptables -A INPUT -m tcpmss ! --mss 0:65535", "tcpmss match: only valid for protocol 6"},
		{"iptables -A INPUT -p icmp --icmp-type e", "ambiguous ICMP type"},
		{"iptables -A INPUT -p icmp --icmp-type 3/x", "bad ICMP code"},
		{"iptables -A INPUT -m multiport --dports 80", "multiport needs"},
		{"iptables -A INPUT -p icmp -m multiport --dports 80", "only works with TCP"},
		{"iptables -A INPUT -p tcp -m multiport --dports 90:80", "invalid port range"},
		{"iptables -A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "too many ports"},
		{"iptables -A INPUT -p tcp -m multiport --dports 80 --sports 90", "cannot be used together with"},
		{"iptables -A INPUT -p tcp --dport 90:80", "invalid port range"},
		{"iptables -A INPUT -p tcp --tcp-flags ECN SYN", "unknown TCP flag"},
		{"iptables -A INPUT -p sctp --chunk-types any INIT,DATA", "any with several"},
		{"iptables -A INPUT -p sctp ! --chunk-types all INIT,DATA", "\"or\""},
		{"iptables -A INPUT -p sctp --chunk-types all I_DATA", "cannot test for SCTP chunk I_DATA"},
		{"iptables -A INPUT -p dccp --dccp-option 4", "--dccp-option"},
		{"ip6tables -A INPUT -m hbh --hbh-opts 1:2", "--hbh-opts"},
		{"ip6tables -A INPUT -m rt --rt-type 0 --rt-0-res", "--rt-0-res"},
		{"ip6tables -A INPUT -m rt --rt-0-addrs ::1", "needs \"--rt-type 0\""},
		{"ip6tables -A INPUT -m rt --rt-type 0 --rt-0-addrs ::1 --rt-0-not-strict", "not-strict"},
		{"ip6tables -A INPUT -m ipv6header ! --header hop", "without --soft"},
		{"iptables -A OUTPUT -m mac --mac-source 00:11:22:33:44:55", "used from hooks OUTPUT, but only valid from PREROUTING/INPUT/FORWARD"},
		{"iptables -A INPUT -m realm --realm cosmos", "rt_realms"},
		{"iptables -A INPUT -m dscp --dscp 64", "bad DSCP value"},
		{"iptables -A INPUT -m ecn --ecn-ip-ect 4", "bad ECT value"},
		{"ip6tables -A INPUT -m frag --fragmore --fraglast", "cannot be used together with"},
	}
	for _, tc := range cases {
		got, _, err := l4Rule(t, tc.in)
		if err == nil {
			t.Errorf("%s: translated to %q, want an error containing %q", tc.in, got, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %q does not contain %q", tc.in, err, tc.msg)
		}
	}
}

func TestL4Warnings(t *testing.T) {
	cases := []struct{ in, want, warn string }{
		{"iptables -A INPUT -p tcp -m tcpmss ! --mss 1400", "ip protocol tcp tcp option maxseg size != 1400 counter", "without an MSS option"},
		{"ip6tables -A INPUT -m frag --fraglen 8", "exthdr frag exists counter", "--fraglen is not tested"},
		{"iptables -A INPUT -p sctp --chunk-types only INIT", "ip protocol sctp sctp chunk data missing sctp chunk init exists", "not excluded"},
	}
	for _, tc := range cases {
		got, diags, err := l4Rule(t, tc.in)
		if err != nil {
			t.Errorf("%s: unexpected error %v", tc.in, err)
			continue
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s:\n got  %s\n want %s...", tc.in, got, tc.want)
		}
		found := false
		for _, d := range diags {
			if d.Severity == parser.SevWarning && strings.Contains(d.Msg, tc.warn) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no warning containing %q in %v", tc.in, tc.warn, diags)
		}
	}
}

func TestXtNumbers(t *testing.T) {
	for _, tc := range []struct {
		s  string
		v  uint64
		ok bool
	}{{"10", 10, true}, {"010", 8, true}, {"0x1F", 31, true}, {"0", 0, true}, {"0x", 0, false}, {"-1", 0, false}, {"256", 0, false}, {"1_0", 0, false}} {
		v, ok := xtUint(tc.s, 255)
		if ok != tc.ok || (ok && v != tc.v) {
			t.Errorf("xtUint(%q) = %d, %v; want %d, %v", tc.s, v, ok, tc.v, tc.ok)
		}
	}
	for _, tc := range []struct {
		s      string
		lo, hi uint64
		ok     bool
	}{{"5", 5, 5, true}, {"5:", 5, 255, true}, {":7", 0, 7, true}, {"7:5", 0, 0, false}, {"1:2:3", 0, 0, false}} {
		lo, hi, ok := xtRange(tc.s, 255)
		if ok != tc.ok || (ok && (lo != tc.lo || hi != tc.hi)) {
			t.Errorf("xtRange(%q) = %d, %d, %v; want %d, %d, %v", tc.s, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}
