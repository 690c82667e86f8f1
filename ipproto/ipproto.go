// Package ipproto is the table of IP protocol numbers and the names
// iptables accepts for them (-p tcp, -p 6, -p ipv6-icmp): IANA's assigned
// numbers as /etc/protocols (Debian's netbase) spells them, plus the
// aliases libxtables knows built in (icmpv6, mh). It is data shared by the
// parser (which normalises -p values) and the translator; how nft spells
// a protocol is the translator's business (translate/desc).
package ipproto

// Protocol is one IP protocol.
type Protocol struct {
	Number uint8
	// Name is the canonical name (/etc/protocols' first name).
	Name string
	// Aliases are other names iptables accepts for it.
	Aliases []string
}

// table lists the protocols iptables rulesets use; numbers not listed are
// still accepted numerically.
var table = []Protocol{
	{1, "icmp", nil},
	{2, "igmp", nil},
	{4, "ipencap", nil},
	{6, "tcp", nil},
	{17, "udp", nil},
	{33, "dccp", nil},
	{41, "ipv6", nil},
	{46, "rsvp", nil},
	{47, "gre", nil},
	{50, "esp", nil},
	{51, "ah", nil},
	{58, "ipv6-icmp", []string{"icmpv6", "icmp6"}},
	{89, "ospf", nil},
	{94, "ipip", nil},
	{103, "pim", nil},
	{108, "ipcomp", []string{"comp"}},
	{112, "vrrp", nil},
	{115, "l2tp", nil},
	{132, "sctp", nil},
	{135, "mobility-header", []string{"mh", "ipv6-mh"}},
	{136, "udplite", nil},
}

var byName, byNumber = index()

func index() (map[string]Protocol, map[uint8]Protocol) {
	names, numbers := map[string]Protocol{}, map[uint8]Protocol{}
	for _, p := range table {
		numbers[p.Number] = p
		names[p.Name] = p
		for _, a := range p.Aliases {
			names[a] = p
		}
	}
	return names, numbers
}

// ByName returns the protocol called name (canonical name or alias).
func ByName(name string) (Protocol, bool) {
	p, ok := byName[name]
	return p, ok
}

// ByNumber returns the protocol with number n.
func ByNumber(n uint8) (Protocol, bool) {
	p, ok := byNumber[n]
	return p, ok
}

// All lists the protocols of the table.
func All() []Protocol { return append([]Protocol(nil), table...) }
