package translate

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// portExpr parses an iptables port or range ("22", "1024:65535", ":1023",
// "1024:", a service name) into an nft value. full reports a range covering
// every port (0:65535), which matches every packet of the protocol.
// iptables refuses a range whose low end is above its high end.
func portExpr(c *ctx, o *parser.Option, s string, proto string) (e Expr, full bool, err error) {
	lo, hi, isRange := strings.Cut(s, ":")
	if !isRange {
		n, err := portNum(c, o, s, proto)
		if err != nil {
			return nil, false, err
		}
		return c.tr.int(n), false, nil
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
		return nil, false, c.unsupported(argPos(o), "invalid port range %q for --%s (iptables refuses min > max)", s, o.Name)
	}
	if l == 0 && h == 65535 {
		return nil, true, nil
	}
	if l == h {
		return &Int{V: l}, false, nil
	}
	return &Range{Lo: &Int{V: l}, Hi: &Int{V: h}}, false, nil
}

// serviceByName resolves a service name as iptables does on this host: a
// name or alias of its services database (/etc/services), case as
// written. With a protocol (tcp, sctp, and multiport's, which
// getservbyname(name, proto) asks) only that protocol's entries count;
// without one (the parsers that go through getaddrinfo: udp, dccp, NAT
// and TPROXY ports) the first protocol getaddrinfo tries that has it.
// Without a database to read (a minimal container) the names of
// builtinServices resolve, for every protocol.
func serviceByName(name, proto string) (uint64, bool) {
	hostServices.once.Do(func() { hostServices.m = readServices(servicesFile) })
	if hostServices.m == nil {
		p, ok := builtinServices[name]
		return p, ok
	}
	ports := hostServices.m[name]
	if proto != "" {
		p, ok := ports[proto]
		return p, ok
	}
	for _, pr := range []string{"tcp", "udp", "dccp", "udplite", "sctp"} {
		if p, ok := ports[pr]; ok {
			return p, true
		}
	}
	return 0, false
}

// servicesFile is the services database serviceByName reads.
var servicesFile = "/etc/services"

var hostServices struct {
	once sync.Once
	m    map[string]map[string]uint64 // name or alias -> protocol -> port
}

// readServices reads a services(5) file: every name and alias, with the
// port of each protocol it is listed for (the first entry wins, as in a
// lookup); nil when the file cannot be read.
func readServices(path string) map[string]map[string]uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	m := map[string]map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		port, proto, ok := strings.Cut(f[1], "/")
		n, err := strconv.ParseUint(port, 10, 16)
		if !ok || err != nil {
			continue
		}
		for _, name := range append(f[:1:1], f[2:]...) {
			if m[name] == nil {
				m[name] = map[string]uint64{}
			}
			if _, seen := m[name][proto]; !seen {
				m[name][proto] = n
			}
		}
	}
	return m
}

// builtinServices are the common names of /etc/services, for a machine
// that has none.
var builtinServices = map[string]uint64{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "bootps": 67, "bootpc": 68,
	"tftp": 69, "http": 80, "www": 80, "kerberos": 88, "pop3": 110, "sunrpc": 111, "ident": 113, "auth": 113,
	"ntp": 123, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "imap": 143, "imap2": 143, "snmp": 161,
	"snmp-trap": 162, "bgp": 179, "ldap": 389, "https": 443, "microsoft-ds": 445, "isakmp": 500, "syslog": 514,
	"submission": 587, "ldaps": 636, "rsync": 873, "imaps": 993, "pop3s": 995, "openvpn": 1194,
	"ms-sql-s": 1433, "mysql": 3306, "postgresql": 5432, "ipsec-nat-t": 4500, "sip": 5060, "xmpp-client": 5222,
	"http-alt": 8080, "webcache": 8080, "nfs": 2049, "smtps": 465, "urd": 465, "ipp": 631, "domain-s": 853,
}

// portNum parses one port number or service name. tcp, sctp and multiport
// read numbers with strtoul base 0 (0x50 is 80, 010 is 8); udp and dccp go
// through getaddrinfo, which reads decimal only.
func portNum(c *ctx, o *parser.Option, s string, proto string) (uint64, error) {
	decimal := (proto == "udp" || proto == "dccp") && o.Name != "sports" && o.Name != "dports" && o.Name != "ports"
	if decimal {
		if n, err := strconv.ParseUint(s, 10, 16); err == nil {
			return n, nil
		}
	} else if n, ok := xtUint(s, 65535); ok {
		return n, nil
	}
	byProto := proto // getservbyname(name, proto)
	if decimal {
		byProto = "" // getaddrinfo
	}
	if n, ok := serviceByName(s, byProto); ok {
		return n, nil
	}
	return 0, c.unsupported(argPos(o), "bad port %q for --%s (neither a number nor a service name of %s)", s, o.Name, servicesFile)
}

// argPos is the position of an option's first word (or of the option).
func argPos(o *parser.Option) parser.Pos {
	if len(o.Args) > 0 {
		return o.Args[0].Pos
	}
	return o.Pos
}

// portMatch emits "PROTO FIELD [!=] PORTS" for a --sport/--dport style
// option. A full range matches every packet of the protocol, so it emits
// the protocol match itself (and its negation never matches).
func (c *ctx) portMatch(o *parser.Option, proto, name string) error {
	e, full, err := portExpr(c, o, o.Arg(0), proto)
	if err != nil {
		return err
	}
	h := transportHeader(proto)
	field := h.Dport
	if name == "sport" {
		field = h.Sport
	}
	if full {
		if o.Negated {
			c.neverMatch(&Payload{Field: field}, 65535)
		}
		// Without "!": nothing to add; the protocol match stays (it is
		// not implied by any header field).
		return nil
	}
	c.match(c.tr.payload(field), eq(o.Negated), e)
	return nil
}

// neverMatch emits "FIELD != 0-MAX": it loads and is valid nft, and never
// matches a packet that has the field (upstream iptables-translate uses
// the same form). Upstream 1.8.9 instead drops the protocol for a full
// range and turns its negation into match-all.
func (c *ctx) neverMatch(left Expr, max uint64) {
	c.match(left, OpNe, &Range{Lo: &Int{V: 0}, Hi: &Int{V: max}})
}

// xtUint parses an unsigned number as xtables_strtoui(s, NULL, ..., 0, max)
// does: C strtoul with base 0 (0x hex, leading 0 octal, else decimal), the
// whole string, within 0..max.
func xtUint(s string, max uint64) (uint64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	t = strings.TrimPrefix(t, "+")
	base := 10
	switch {
	case len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X"):
		base, t = 16, t[2:]
	case len(t) > 1 && t[0] == '0':
		base, t = 8, t[1:]
	}
	if t == "" || t[0] == '+' || t[0] == '-' {
		return 0, false
	}
	v, err := strconv.ParseUint(t, base, 64)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

// xtRange parses an XTTYPE_UINT*RC value: "N", "N:M", ":M" or "N:" (an
// empty end is 0 or max). iptables refuses M < N and more than two parts.
func xtRange(s string, max uint64) (lo, hi uint64, ok bool) {
	a, b, isRange := strings.Cut(s, ":")
	if !isRange {
		v, ok := xtUint(s, max)
		return v, v, ok
	}
	if strings.Contains(b, ":") {
		return 0, 0, false
	}
	lo, hi = 0, max
	if a != "" {
		if lo, ok = xtUint(a, max); !ok {
			return 0, 0, false
		}
	}
	if b != "" {
		if hi, ok = xtUint(b, max); !ok {
			return 0, 0, false
		}
	}
	return lo, hi, lo <= hi
}

// rangeExpr is N or N-M.
func rangeExpr(lo, hi uint64) Expr {
	if lo == hi {
		return &Int{V: lo}
	}
	return &Range{Lo: &Int{V: lo}, Hi: &Int{V: hi}}
}

// rangeMatch emits "left [!=] lo-hi" for a range option of a header field
// whose values run 0..max. The full range matches every packet that has
// the header (nothing to emit); its negation matches none.
func (c *ctx) rangeMatch(left Expr, o *parser.Option, lo, hi, max uint64) {
	if lo == 0 && hi == max {
		if o.Negated {
			c.neverMatch(left, max)
		}
		return
	}
	c.match(left, eq(o.Negated), rangeExpr(lo, hi))
}

// protoAliases are the -p spellings (after the parser's lowercasing and
// number-to-name mapping) of the protocols kernel matches are bound to.
var protoAliases = map[string][]string{
	"tcp": {"tcp"}, "udp": {"udp"}, "sctp": {"sctp"}, "dccp": {"dccp"}, "udplite": {"udplite"},
	"icmp": {"icmp"}, "icmpv6": {"ipv6-icmp", "icmpv6", "icmp6"}, "esp": {"esp"}, "ah": {"ah"},
	"mh": {"mh", "mobility-header", "ipv6-mh"}, "comp": {"ipcomp", "comp"},
}

// protoIs reports whether the rule's -p (not negated) names proto (an nft
// protocol name: tcp, icmpv6, comp, mh, ...).
func (c *ctx) protoIs(proto string) bool {
	if c.protoNeg {
		return false
	}
	for _, a := range protoAliases[proto] {
		if c.proto == a {
			return true
		}
	}
	return false
}

// needProto checks the protocol a kernel match is bound to (xt_match.proto:
// the kernel refuses the rule unless "-p PROTO" is given, not negated).
// Without -p (as in iptables-translate's own examples) the rule is
// translated as if "-p PROTO" were there, with a note; with another or a
// negated -p the rule could never be loaded, which is an error. It returns
// whether -p was given, so a translator that emits no header field can add
// the protocol match itself.
func (c *ctx) needProto(m *parser.Match, proto, flag string) (bool, error) {
	if c.protoIs(proto) {
		return true, nil
	}
	if c.proto != "" {
		neg := ""
		if c.protoNeg {
			neg = "! "
		}
		return false, c.unsupported(m.Pos, "-m %s needs \"-p %s\", not \"%s-p %s\" (the kernel refuses this rule)", m.Name, flag, neg, c.proto)
	}
	c.note(m.Pos, "-m %s without \"-p %s\" is refused by the kernel; translated as if \"-p %s\" were given", m.Name, flag, flag)
	return false, nil
}

// inside reports whether e loads a field of a TCP option or SCTP chunk of
// header h (possibly under a bit operation).
func inside(e Expr, h *desc.Proto) bool {
	switch v := e.(type) {
	case *Payload:
		return v.Field.Proto.Parent == h
	case *Binop:
		return inside(v.Left, h)
	}
	return false
}

// l4Proto is the statement matching the layer 4 protocol proto (an nft
// protocol name): "ip protocol PROTO" (IPv4) or "meta l4proto PROTO" (IPv6),
// as ctx prints -p.
func (c *ctx) l4Proto(proto string) Stmt {
	var v Expr = &Sym{Name: proto}
	switch proto {
	case "mh":
		v = &Int{V: 135}
	case "icmpv6":
		v = &Sym{Name: "ipv6-icmp"}
	}
	var left Expr = &Payload{Field: desc.IPProtocol}
	if c.fam == parser.IPv6 {
		left = &Meta{Key: desc.MetaL4proto}
	}
	return &Match{Left: left, Op: OpEq, Right: v}
}

func uintStr(n uint64) string { return strconv.FormatUint(n, 10) }

// clampMatch emits "left [!=] lo-hi" for a range option whose values may
// exceed the field's width (0..fmax), as the kernel compares them: an
// empty intersection never matches (with "!": always), a full one always
// does (with "!": never).
func (c *ctx) clampMatch(left Expr, o *parser.Option, lo, hi, fmax uint64) {
	if lo > fmax {
		if !o.Negated {
			c.neverMatch(left, fmax)
		}
		return
	}
	if hi > fmax {
		hi = fmax
	}
	c.rangeMatch(left, o, lo, hi, fmax)
}

// rangeOpt parses an XTTYPE_UINT*RC option (0..max) into lo, hi.
func rangeOpt(c *ctx, o *parser.Option, max uint64, what string) (uint64, uint64, error) {
	lo, hi, ok := xtRange(o.Arg(0), max)
	if !ok {
		return 0, 0, c.badValue(o, what)
	}
	return lo, hi, nil
}

// ensureProto adds "meta l4proto PROTO" when -p was not given (see
// needProto) and no statement from index before on implies the protocol:
// a header field of it (nft adds that dependency itself) or a TCP option /
// SCTP chunk test other than "missing" (the kernel checks the protocol for
// those; "missing" is true for packets of any other protocol).
func (c *ctx) ensureProto(given bool, before int, proto string) {
	if given {
		// nft 1.0.6 lists "ip protocol tcp tcp option maxseg missing"
		// without the protocol (it takes it for the option's implied
		// dependency), and the kernel's "missing" test is true for a
		// packet that is not TCP at all: loaded from the listing, the
		// rule would match UDP. A protocol match after the option is
		// listed and kept (TestPrivilegedRoundTrip).
		for _, s := range c.stmts[before:] {
			if m, ok := s.(*Match); ok && m.Op == OpMissing {
				if x, ok := m.Left.(*Exthdr); ok && x.Hdr.Kind == desc.TCPOption {
					c.add(c.l4Proto(proto))
					return
				}
			}
		}
		return
	}
	h := transportHeader(proto)
	for _, s := range c.stmts[before:] {
		m, ok := s.(*Match)
		if !ok {
			continue
		}
		if usesProto(m.Left, h) {
			return
		}
		// TCP options and SCTP chunks: the kernel checks the protocol.
		if x, ok := m.Left.(*Exthdr); ok && x.Hdr.Parent == h && m.Op != OpMissing {
			return
		}
		if inside(m.Left, h) {
			return
		}
	}
	c.add(c.l4Proto(proto))
}
