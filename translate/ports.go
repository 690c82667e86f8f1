package translate

import (
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// portExpr parses an iptables port or range ("22", "1024:65535", ":1023",
// "1024:", a service name) into an nft value. full reports a range covering
// every port (0:65535), which matches every packet of the protocol.
func portExpr(c *ctx, o *parser.Option, s string, proto string) (e Expr, full bool, err error) {
	lo, hi, isRange := strings.Cut(s, ":")
	if !isRange {
		n, err := portNum(c, o, s, proto)
		if err != nil {
			return nil, false, err
		}
		return &Int{V: n}, false, nil
	}
	var l, h uint64 = 0, 65535
	if lo != "" {
		if l, err = portNum(c, o, lo, proto); err != nil {
			return nil, false, err
		}
	}
	if hi != "" {
		if h, err = portNum(c, o, hi, proto); err != nil {
			return nil, false, err
		}
	}
	if l > h {
		// iptables swaps an inverted range.
		l, h = h, l
	}
	if l == 0 && h == 65535 {
		return nil, true, nil
	}
	if l == h {
		return &Int{V: l}, false, nil
	}
	return &Range{Lo: &Int{V: l}, Hi: &Int{V: h}}, false, nil
}

// services is a small /etc/services subset, so translation does not depend
// on the machine it runs on.
var services = map[string]uint64{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "bootps": 67, "bootpc": 68,
	"tftp": 69, "http": 80, "www": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "ident": 113, "auth": 113,
	"ntp": 123, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "imap": 143, "imap2": 143, "snmp": 161,
	"snmp-trap": 162, "bgp": 179, "ldap": 389, "https": 443, "microsoft-ds": 445, "isakmp": 500, "syslog": 514,
	"submission": 587, "ldaps": 636, "rsync": 873, "imaps": 993, "pop3s": 995, "openvpn": 1194,
	"ms-sql-s": 1433, "mysql": 3306, "postgresql": 5432, "ipsec-nat-t": 4500, "sip": 5060, "xmpp-client": 5222,
	"http-alt": 8080, "webcache": 8080, "nfs": 2049, "smtps": 465, "urd": 465, "ipp": 631, "domain-s": 853,
}

func portNum(c *ctx, o *parser.Option, s string, proto string) (uint64, error) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return n, nil
	}
	if n, ok := services[strings.ToLower(s)]; ok {
		return n, nil
	}
	pos := o.Pos
	if len(o.Args) > 0 {
		pos = o.Args[0].Pos
	}
	return 0, c.unsupported(pos, "bad port %q for --%s", s, o.Name)
}

// portMatch emits "PROTO FIELD [!=] PORTS" for a --sport/--dport style
// option. A full range matches every packet of the protocol, so it emits
// the protocol match itself (and its negation never matches).
func (c *ctx) portMatch(o *parser.Option, proto, field string) error {
	e, full, err := portExpr(c, o, o.Arg(0), proto)
	if err != nil {
		return err
	}
	if full {
		c.fullPortRange(o, proto)
		return nil
	}
	c.match(&Payload{Proto: proto, Field: field}, eq(o.Negated), e)
	return nil
}

// fullPortRange handles --sport 0:65535: without "!" it matches every
// packet of the protocol; with "!" it matches none. Upstream 1.8.9 drops the
// protocol in the first case and matches everything in the second.
func (c *ctx) fullPortRange(o *parser.Option, proto string) {
	if !o.Negated {
		// nothing to add: the protocol match stays (it is not implied)
		return
	}
	// A port can never be outside 0-65535: the rule never matches.
	c.match(&Payload{Proto: proto, Field: "sport"}, OpNe, &Range{Lo: &Int{V: 0}, Hi: &Int{V: 65535}})
}
