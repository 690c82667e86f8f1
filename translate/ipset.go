package translate

// ipsets named by -m set and -j SET, when their definitions are known
// (Options.IPSets, from `ipset save`): each becomes a real nft set with the
// ipset's type, elements, timeouts, counters and comments, instead of an
// empty set whose type is assumed.
//
// Types and keys (the rule's --match-set flags choose src or dst per
// dimension; a packet with fewer flags than the set has dimensions never
// matches, as in ip_set_test):
//
//	hash:ip, bitmap:ip       ip saddr                         ipv4_addr (interval with netmask)
//	hash:net                 ip saddr                         ipv4_addr, interval
//	hash:ip,port             ip saddr . meta l4proto . th dport  ipv4_addr . inet_proto . inet_service
//	hash:net,port            (the same, the address an interval)
//	hash:ip,port,ip|net, hash:net,port,net, hash:net,net
//	hash:net,iface           ip saddr . iifname (src) / oifname (dst)
//	hash:ip,mark             ip saddr . meta mark
//	hash:mac                 ether saddr
//	bitmap:port              th dport, for TCP, UDP, SCTP and UDP-Lite packets
//	list:set                 its one member of the rule's family (listMember)
//
// nomatch entries of a hash:net set are exact: the element that decides an
// address is its most specific entry, so the set holds the ranges left when
// the entries are painted from the least to the most specific. What nft
// cannot express is refused with the reason: ICMP entries of a port set
// (ipset keys them by type and code), nomatch in sets of several
// dimensions or with timeouts, skbinfo, --packets-*/--bytes-*.

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// ipsetKey builds the key of set s as a rule with the given --match-set
// flags sees it, and any statements the key needs before it (bitmap:port's
// protocols). ok is false when the packet can never match (fewer flags than
// dimensions).
func (c *ctx) ipsetKey(o *parser.Option, s *ipset.Set, flags []string) (key Expr, pre []Stmt, ok bool, err error) {
	if s.Kind.Name == "list:set" {
		return nil, nil, false, c.ipsetRefusal(o, s.Pos, "ipset %q is a list:set; nft has no set of sets", s.Name)
	}
	if len(flags) < len(s.Kind.Dims) {
		return nil, nil, false, nil
	}
	c.portKey = portKeyPorts
	netmask, masked, err := c.ipsetNetmask(o, s)
	if err != nil {
		return nil, nil, false, err
	}
	var parts []Expr
	for i, d := range s.Kind.Dims {
		src := flags[i] == "src"
		if !src && flags[i] != "dst" {
			return nil, nil, false, c.badValue(o, "direction (src or dst)")
		}
		switch d {
		case ipset.DimIP, ipset.DimNet:
			f := c.l3().Daddr
			if src {
				f = c.l3().Saddr
			}
			var k Expr = &Payload{Field: f}
			if masked && d == ipset.DimIP {
				// ipset keys the address by its network (netmask): so does
				// the nft set, and -j SET adds the network as ipset does.
				k = &Binop{Op: "&", Left: k, Right: c.prefixMask(netmask)}
			}
			parts = append(parts, k)
		case ipset.DimPort:
			f := desc.TH.Dport
			if src {
				f = desc.TH.Sport
			}
			if s.Kind.Bitmap {
				// ipset reads the port of TCP, UDP, SCTP and UDP-Lite
				// packets only. With -p one of them the rule says so
				// already (and nft lists th dport as udp dport then, which
				// would not reload after a protocol set).
				switch c.proto {
				case "tcp", "udp", "sctp", "udplite":
					if !c.protoNeg {
						break
					}
					fallthrough
				default:
					pre = append(pre, &Match{Left: &Meta{Key: desc.MetaL4proto}, Op: OpEq,
						Right: &SetLit{Elems: []Expr{&Sym{Name: "tcp"}, &Sym{Name: "udp"}, &Sym{Name: "sctp"}, &Sym{Name: "udplite"}}}})
				}
			} else {
				parts = append(parts, &Meta{Key: desc.MetaL4proto})
				n, pinned := c.pinnedProto()
				switch {
				case pinned && portProto(n):
				case pinned && (n == 1 || n == 58):
					// ipset keys an ICMP packet by its type and code, in
					// either direction: the bytes of th sport.
					f = desc.TH.Sport
					c.portKey = portKeyICMP
				default:
					// th sport of an ICMP packet is its type and code, as
					// ipset keys it; th dport its checksum.
					c.portKey = portKeyAny
					c.portDst = !src
					if c.inTarget {
						what := "a packet of a protocol without ports (GRE, ESP, ...) by port 0"
						if !src {
							what = "an ICMP packet by its type and code and " + what
						}
						c.approx(o.Pos, "ipset %q keys %s, where nft's %s reads other bytes of their headers: this rule adds such packets under other keys than ipset (-p tcp, udp, sctp, udplite or icmp makes it exact)",
							s.Name, what, RenderExpr(&Payload{Field: f}))
					}
				}
			}
			parts = append(parts, &Payload{Field: f})
		case ipset.DimIface:
			k := desc.MetaOifname
			if src {
				k = desc.MetaIifname
			}
			parts = append(parts, &Meta{Key: k})
		case ipset.DimMAC:
			if !src {
				return nil, nil, false, c.unsupported(o.Pos, "ipset %q: the destination MAC address is not known to netfilter", s.Name)
			}
			parts = append(parts, &Payload{Field: desc.EtherSaddr})
		case ipset.DimMark:
			parts = append(parts, &Meta{Key: desc.MetaMark})
		default:
			return nil, nil, false, c.unsupported(o.Pos, "ipset %q: a %s dimension has no nft key", s.Name, s.Kind.Name)
		}
	}
	if len(parts) == 1 {
		return parts[0], pre, true, nil
	}
	return &Concat{Exprs: parts}, pre, true, nil
}

// portKey says how ipsetKey read a port dimension of the rule's packets.
type portKey uint8

const (
	portKeyPorts portKey = iota // only TCP, UDP, SCTP, UDP-Lite packets: as ipset
	portKeyICMP                 // only ICMP packets: their type and code, as ipset
	portKeyAny                  // any packet: ICMP and portless ones not as ipset
)

// portLookup is a lookup of a set by the destination port of any packet
// (th dport, an ICMP packet's checksum): it differs from ipset's if the
// set holds ICMP packets, which checkPortLookups says once every rule is
// translated.
type portLookup struct {
	pos    parser.Pos
	set    *Set
	ipset  string
	reader string
}

// checkPortLookups warns of each lookup by th dport of any packet in a set
// that a rule adds ICMP packets to (a rule with -p icmp, or without -p):
// ipset finds an ICMP packet by its type and code, the lookup reads its
// checksum.
func (tr *translator) checkPortLookups() {
	for _, l := range tr.portLookups {
		if tr.icmpWrites[l.set] {
			tr.approxf(l.pos, "a -j SET of this ruleset gives ipset %q ICMP packets, which ipset keys by their type and code; this lookup, by %s of any packet, reads an ICMP packet's checksum there and does not find them as ipset does (-p icmp or a port protocol makes it exact)", l.ipset, l.reader)
		}
	}
}

// pinnedProto is the protocol number the rule's -p gives every packet it
// sees (false without -p, with ! -p or an unknown name).
func (c *ctx) pinnedProto() (uint64, bool) {
	if c.proto == "" || c.protoNeg {
		return 0, false
	}
	if n, err := strconv.ParseUint(c.proto, 10, 8); err == nil {
		return n, true // as protoValue reads it
	}
	return ipprotoNumber(c.proto)
}

// portProto says whether ipset reads a port of protocol n's packets: TCP,
// UDP, SCTP and UDP-Lite (ip_set_getport.c).
func portProto(n uint64) bool { return n == 6 || n == 17 || n == 132 || n == 136 }

// ipsetRefusal is the error for an ipset nft cannot express, at the rule
// that uses it, naming where the ipset file says it.
func (c *ctx) ipsetRefusal(o *parser.Option, at parser.Pos, format string, a ...any) error {
	return c.unsupported(argPos(o), "%s (%s)", fmt.Sprintf(format, a...), at)
}

// ipsetTypes are the nft key types of s's dimensions (a port dimension is
// protocol and port, except in bitmap:port).
func (c *ctx) ipsetTypes(s *ipset.Set) []*desc.Type {
	var ts []*desc.Type
	for _, d := range s.Kind.Dims {
		switch d {
		case ipset.DimIP, ipset.DimNet:
			ts = append(ts, c.l3AddrType())
		case ipset.DimPort:
			if !s.Kind.Bitmap {
				ts = append(ts, desc.InetProto)
			}
			ts = append(ts, desc.InetService)
		case ipset.DimIface:
			ts = append(ts, desc.Ifname)
		case ipset.DimMAC:
			ts = append(ts, desc.EtherAddr)
		case ipset.DimMark:
			ts = append(ts, desc.Mark)
		}
	}
	return ts
}

// declareIPSet declares the nft set of a known ipset in the rule's table
// (once) and returns its name. dynamic marks a set the packet path writes
// (-j SET).
func (c *ctx) declareIPSet(o *parser.Option, s *ipset.Set, dynamic bool) (string, error) {
	name := c.ipsetName(optArgPos(o), s.Name)
	if ns := c.tableSet(name); ns != nil {
		if dynamic && !slices.Contains(ns.Flags, SetDynamic) {
			if slices.Contains(ns.Flags, SetInterval) {
				if !netOnly(s) || anyInterval(ns.Elems) {
					return "", c.unsupported(o.Pos, "ipset %q (%s) is written by -j SET, but its nft set is an interval set, which the packet path cannot add to", s.Name, s.Kind.Name)
				}
				// An interval set only for the networks it may be given:
				// the packet path adds addresses.
				ns.Flags = slices.DeleteFunc(ns.Flags, func(f SetFlag) bool { return f == SetInterval })
				c.noteNoNetworks(s)
			}
			ns.Flags = append(ns.Flags, SetDynamic)
		}
		return name, nil
	}
	if (s.IPv6) != (c.fam == parser.IPv6) {
		return "", c.unsupported(o.Pos, "ipset %q is of family %s; this rule is %s", s.Name, map[bool]string{true: "inet6", false: "inet"}[s.IPv6], c.fam)
	}
	set := &Set{Name: name, Type: c.ipsetTypes(s), Origin: s.Pos,
		Comment: "ipset " + strings.ReplaceAll(s.Name, `"`, "'") + " " + s.Kind.Name}
	elems, interval, err := c.ipsetElems(o, s)
	if err != nil {
		return "", err
	}
	switch {
	case interval && dynamic:
		return "", c.unsupported(o.Pos, "ipset %q (%s) is written by -j SET, but its elements need an nft interval set, which the packet path cannot add to", s.Name, s.Kind.Name)
	case interval:
		set.Flags = append(set.Flags, SetInterval)
	case netOnly(s) && dynamic:
		c.noteNoNetworks(s)
	case netOnly(s):
		// A hash:net set holds networks, whatever it holds now: an nft
		// set without the interval flag would refuse the first network
		// added to it later (fail2ban, sshguard and crowdsec add them).
		set.Flags = append(set.Flags, SetInterval)
	}
	if dynamic {
		set.Flags = append(set.Flags, SetDynamic)
	}
	if s.Timeout > 0 {
		set.Flags = append(set.Flags, SetTimeout)
		set.Timeout = time.Duration(s.Timeout) * time.Second
	}
	if n, err := strconv.Atoi(s.Opts["maxelem"]); err == nil && n > 0 {
		set.Size = n
	}
	if s.Flags["counters"] {
		// nft 1.0.6 lists per-element counters in a form it cannot read
		// back, so a ruleset with them would not survive nft list ruleset.
		c.note(s.Pos, "ipset %q counts packets per element; its nft set does not (nft 1.0.6 cannot reload the per-element counters it lists)", s.Name)
	}
	set.Elems = elems
	c.addSet(set)
	return name, nil
}

// netOnly says whether s is a set of networks of one dimension (hash:net),
// whose nft set is an interval set even when it holds addresses only.
func netOnly(s *ipset.Set) bool {
	return len(s.Kind.Dims) == 1 && s.Kind.Dims[0] == ipset.DimNet
}

// anyInterval says whether an element is a network or a range.
func anyInterval(elems []Expr) bool {
	for _, e := range elems {
		switch v := e.(type) {
		case *Range:
			return true
		case *Addr:
			if v.Prefix.Bits() < v.Prefix.Addr().BitLen() {
				return true
			}
		case *Elem:
			if anyInterval([]Expr{v.Key}) {
				return true
			}
		}
	}
	return false
}

// noteNoNetworks notes that s, written by -j SET, has an nft set that
// takes addresses only: the packet path cannot add to an interval set.
func (c *ctx) noteNoNetworks(s *ipset.Set) {
	c.note(s.Pos, "ipset %q (%s) is written by -j SET, so its nft set is not an interval set: it takes addresses, and a network added to it later (nft add element) is refused, where ipset takes one", s.Name, s.Kind.Name)
}

// ipsetElems converts s's entries to nft elements; interval says the set
// needs the interval flag.
func (c *ctx) ipsetElems(o *parser.Option, s *ipset.Set) ([]Expr, bool, error) {
	netmask := -1
	if n, ok, err := c.ipsetNetmask(o, s); err != nil {
		return nil, false, err
	} else if ok {
		netmask = n
	}
	nomatch := false
	for _, e := range s.Entries {
		nomatch = nomatch || e.NoMatch
	}
	if nomatch {
		if len(s.Kind.Dims) != 1 || s.Timeout > 0 {
			return nil, false, c.ipsetRefusal(o, s.Pos, "ipset %q: nomatch entries in a set with several dimensions or timeouts have no nft form", s.Name)
		}
		elems, err := c.paintNets(o, s)
		return elems, true, err
	}
	var out []Expr
	interval := false
	for _, e := range s.Entries {
		var parts []Expr
		for i, d := range s.Kind.Dims {
			v := e.Parts[i]
			switch d {
			case ipset.DimIP, ipset.DimNet:
				p, err := c.ipsetPrefix(o, e, v, d == ipset.DimNet, netmask)
				if err != nil {
					return nil, false, err
				}
				if p.Bits() < p.Addr().BitLen() {
					interval = true
				}
				parts = append(parts, &Addr{Prefix: p})
			case ipset.DimPort:
				proto, port, hasProto := strings.Cut(v, ":")
				if !hasProto {
					proto, port = "tcp", v
				}
				if s.Kind.Bitmap {
					port = v
				} else {
					switch proto {
					case "tcp", "udp", "sctp", "udplite":
					default:
						return nil, false, c.ipsetRefusal(o, e.Pos, "ipset %q entry %q: ipset keys %s entries by %s, which nft's th dport does not read", s.Name, v, proto, map[bool]string{true: "type and code", false: "protocol only"}[strings.HasPrefix(proto, "icmp")])
					}
					parts = append(parts, &Sym{Name: proto})
				}
				n, err := strconv.ParseUint(port, 10, 16)
				if err != nil {
					return nil, false, c.ipsetRefusal(o, e.Pos, "ipset %q entry %q: bad port", s.Name, v)
				}
				parts = append(parts, &Int{V: n})
			case ipset.DimIface:
				if strings.HasPrefix(v, "physdev:") {
					return nil, false, c.ipsetRefusal(o, e.Pos, "ipset %q entry %q: bridge port (physdev) entries have no nft form here", s.Name, v)
				}
				parts = append(parts, &Str{V: v})
			case ipset.DimMark:
				n, err := strconv.ParseUint(v, 0, 32)
				if err != nil {
					return nil, false, c.ipsetRefusal(o, e.Pos, "ipset %q entry %q: bad mark", s.Name, v)
				}
				parts = append(parts, &Int{V: n, Hex: true})
			case ipset.DimMAC:
				m, ok := parseMAC(v)
				if !ok {
					return nil, false, c.ipsetRefusal(o, e.Pos, "ipset %q entry %q: bad MAC address", s.Name, v)
				}
				parts = append(parts, &MAC{V: m})
			}
		}
		var el Expr = parts[0]
		if len(parts) > 1 {
			el = &Concat{Exprs: parts}
		}
		elem := &Elem{Key: el, Comment: e.Comment}
		if e.HasTimeout && s.Timeout > 0 {
			if e.Timeout == 0 {
				return nil, false, c.ipsetRefusal(o, e.Pos, "ipset %q entry %q never expires in a set with a default timeout; an nft element of such a set always gets a timeout", s.Name, strings.Join(e.Parts, ","))
			}
			elem.Timeout = time.Duration(e.Timeout) * time.Second
		}
		out = append(out, elem.simplest())
	}
	return out, interval, nil
}

// ipsetNetmask is the netmask of a hash:ip or bitmap:ip set (ok false:
// none, or all of the address).
func (c *ctx) ipsetNetmask(o *parser.Option, s *ipset.Set) (int, bool, error) {
	nm, ok := s.Opts["netmask"]
	if !ok {
		return 0, false, nil
	}
	bits := 32
	if s.IPv6 {
		bits = 128
	}
	n, err := strconv.Atoi(nm)
	if err != nil || n < 1 || n > bits {
		return 0, false, c.ipsetRefusal(o, s.Pos, "ipset %q: netmask %q", s.Name, nm)
	}
	return n, n < bits, nil
}

// ipsetPrefix parses an address or network entry; netmask (bitmap:ip,
// hash:ip) keeps an address's network, as the set's key does (ipsetKey).
func (c *ctx) ipsetPrefix(o *parser.Option, e *ipset.Entry, v string, net bool, netmask int) (netip.Prefix, error) {
	var p netip.Prefix
	var err error
	if strings.Contains(v, "/") {
		p, err = netip.ParsePrefix(v)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(v); err == nil {
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil || (p.Addr().Is6() != (c.fam == parser.IPv6)) {
		return netip.Prefix{}, c.ipsetRefusal(o, e.Pos, "bad %s address %q in the ipset", c.fam, v)
	}
	if !net && netmask >= 0 {
		a := netip.PrefixFrom(p.Addr(), netmask).Masked().Addr()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return p.Masked(), nil
}

// paintNets computes the ranges a hash:net set with nomatch entries
// matches: an address's most specific entry decides, so entries are
// painted from the least to the most specific.
func (c *ctx) paintNets(o *parser.Option, s *ipset.Set) ([]Expr, error) {
	type ent struct {
		p  netip.Prefix
		no bool
	}
	var ents []ent
	for _, e := range s.Entries {
		p, err := c.ipsetPrefix(o, e, e.Parts[0], true, -1)
		if err != nil {
			return nil, err
		}
		ents = append(ents, ent{p, e.NoMatch})
	}
	slices.SortStableFunc(ents, func(a, b ent) int { return a.p.Bits() - b.p.Bits() })
	var ivs intervals
	for _, e := range ents {
		lo, hi := prefixBounds(e.p)
		if e.no {
			ivs = ivs.sub(lo, hi)
		} else {
			ivs = ivs.add(lo, hi)
		}
	}
	var out []Expr
	for _, iv := range ivs {
		for _, p := range rangePrefixes(iv.lo, iv.hi) {
			out = append(out, &Addr{Prefix: p})
		}
	}
	return out, nil
}

// intervals are disjoint, sorted, inclusive address ranges.
type intervals []struct{ lo, hi netip.Addr }

func (v intervals) add(lo, hi netip.Addr) intervals {
	v = v.sub(lo, hi)
	v = append(v, struct{ lo, hi netip.Addr }{lo, hi})
	slices.SortFunc(v, func(a, b struct{ lo, hi netip.Addr }) int { return a.lo.Compare(b.lo) })
	return v
}

func (v intervals) sub(lo, hi netip.Addr) intervals {
	var out intervals
	for _, iv := range v {
		if iv.hi.Less(lo) || hi.Less(iv.lo) {
			out = append(out, iv)
			continue
		}
		if iv.lo.Less(lo) {
			out = append(out, struct{ lo, hi netip.Addr }{iv.lo, lo.Prev()})
		}
		if hi.Less(iv.hi) {
			out = append(out, struct{ lo, hi netip.Addr }{hi.Next(), iv.hi})
		}
	}
	return out
}

func prefixBounds(p netip.Prefix) (netip.Addr, netip.Addr) {
	lo := p.Masked().Addr()
	b := lo.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	hi, _ := netip.AddrFromSlice(b)
	return lo, hi
}

// rangePrefixes is the shortest list of prefixes covering lo-hi.
func rangePrefixes(lo, hi netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for !hi.Less(lo) {
		bits := lo.BitLen()
		// the widest prefix starting at lo that stays within hi
		for bits > 0 {
			p := netip.PrefixFrom(lo, bits-1)
			if p.Masked().Addr() != lo {
				break
			}
			_, end := prefixBounds(p)
			if hi.Less(end) {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(lo, bits)
		out = append(out, p)
		_, end := prefixBounds(p)
		if !end.Next().IsValid() || end == hi {
			break
		}
		lo = end.Next()
	}
	return out
}

// IPSetElements are the nft elements, as nft text, that the set xt2nft
// makes of s holds for s's entries (recentctl ipset add and del write
// them with nft). What nft cannot hold is an error with the reason, as in
// a translation.
func IPSetElements(s *ipset.Set) ([]string, error) {
	fam := parser.IPv4
	if s.IPv6 {
		fam = parser.IPv6
	}
	c := &ctx{fam: fam, nfam: nftFamily(fam)}
	elems, _, err := c.ipsetElems(&parser.Option{Pos: s.Pos}, s)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = RenderExpr(e)
	}
	return out, nil
}

// listMember resolves a list:set to the one member a packet of the rule's
// family can be in: the kernel tests, adds to or deletes from the members
// in order (list_set_ktest, _kadd, _kdel) and skips one of the other
// family (ip_set_test), so a list of one IPv4 and one IPv6 set (OpenWrt's
// mwan3) is, for each family, that family's set. Two members of the
// family have no nft form: nft has no set of sets.
func (c *ctx) listMember(o *parser.Option, s *ipset.Set) (*ipset.Set, error) {
	if s.Kind.Name != "list:set" {
		return s, nil
	}
	var found []*ipset.Set
	for _, e := range s.Entries {
		m := c.tr.opt.IPSets.Set(e.Parts[0])
		if m == nil {
			return nil, c.ipsetRefusal(o, e.Pos, "ipset %q: its member %q is not in the ipset save", s.Name, e.Parts[0])
		}
		addrs := slices.ContainsFunc(m.Kind.Dims, func(d ipset.Dim) bool { return d == ipset.DimIP || d == ipset.DimNet })
		if !addrs || m.IPv6 == (c.fam == parser.IPv6) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		if len(s.Entries) == 0 {
			return nil, c.ipsetRefusal(o, s.Pos, "ipset %q is a list:set without members; nft has no set of sets to add them to later", s.Name)
		}
		return nil, c.ipsetRefusal(o, s.Pos, "ipset %q is a list:set without a member of family %s", s.Name, c.fam)
	}
	var names []string
	for _, m := range found {
		names = append(names, m.Name)
	}
	return nil, c.ipsetRefusal(o, s.Pos, "ipset %q is a list:set with %d members a %s packet can be in (%s); nft has no set of sets (match each member set in a rule of its own)", s.Name, len(found), c.fam, strings.Join(names, ", "))
}

// ipsetName is the nft name of the ipset called name in the rule's table,
// the same for every rule: name made an identifier (safeIdent), or, where
// that is the name of another set (an ipset whose name reads the same,
// "bad|list" and "bad!list"; a set xt2nft made; a known ipset's that nft
// takes as it is), with _2, _3, ... A renamed ipset is noted.
func (c *ctx) ipsetName(pos parser.Pos, name string) string {
	t := c.tr.nftTable(c.fam, c.table)
	if c.tr.ipsetNames == nil {
		c.tr.ipsetNames = map[*Table]map[string]string{}
	}
	names := c.tr.ipsetNames[t]
	if names == nil {
		names = map[string]string{}
		c.tr.ipsetNames[t] = names
	}
	if n, ok := names[name]; ok {
		return n
	}
	reserved := map[string]bool{}
	for _, other := range names {
		reserved[other] = true // another ipset's, its set perhaps not declared yet
	}
	if c.tr.opt.IPSets != nil && identProblem(name) != "" {
		// The ipsets whose names nft takes keep them.
		for _, x := range c.tr.opt.IPSets.Sets {
			if identProblem(x.Name) == "" {
				reserved[x.Name] = true
			}
		}
	}
	base := safeIdent(name)
	n := base
	for i := 2; c.setNameTaken(n) || reserved[n]; i++ {
		n = base + "_" + strconv.Itoa(i)
	}
	names[name] = n
	switch {
	case n == name:
	case n == base:
		c.note(pos, "ipset %q is the nft set @%s (%s)", name, n, identProblem(name))
	case identProblem(name) != "":
		c.note(pos, "ipset %q is the nft set @%s (%s, and @%s is another set's name)", name, n, identProblem(name), base)
	default:
		c.note(pos, "ipset %q is the nft set @%s (@%s is another set's name)", name, n, name)
	}
	return n
}
