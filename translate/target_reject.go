package translate

// -j REJECT (libipt_REJECT / libip6t_REJECT).
// iptables-extensions(8) REJECT; nft(8) REJECT STATEMENT.
//
// Exact: --reject-with names and aliases (any prefix, case-insensitive,
// first match in iptables' table order, as REJECT_parse does) map to "reject with icmp type X" /
// "reject with icmpv6 type X" / "reject with tcp reset"; the default
// (port unreachable) is plain "reject". Both are terminal. tcp-reset needs
// a non-negated "-p tcp" (the kernel refuses the rule otherwise).

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

type tgRejectName struct{ name, alias, nft string }

// In iptables' reject_table order (the first prefix match wins).
var tgReject4 = []tgRejectName{
	{"icmp-net-unreachable", "net-unreach", "net-unreachable"},
	{"icmp-host-unreachable", "host-unreach", "host-unreachable"},
	{"icmp-proto-unreachable", "proto-unreach", "prot-unreachable"},
	{"icmp-port-unreachable", "port-unreach", ""},
	{"icmp-net-prohibited", "net-prohib", "net-prohibited"},
	{"icmp-host-prohibited", "host-prohib", "host-prohibited"},
	{"tcp-reset", "tcp-rst", "tcp reset"},
	{"icmp-admin-prohibited", "admin-prohib", "admin-prohibited"},
}

var tgReject6 = []tgRejectName{
	{"icmp6-no-route", "no-route", "no-route"},
	{"icmp6-adm-prohibited", "adm-prohibited", "admin-prohibited"},
	{"icmp6-addr-unreachable", "addr-unreach", "addr-unreachable"},
	{"icmp6-port-unreachable", "port-unreach", ""},
	{"tcp-reset", "tcp-reset", "tcp reset"},
	{"icmp6-policy-fail", "policy-fail", "policy-fail"},
	{"icmp6-reject-route", "reject-route", "reject-route"},
}

func tgREJECT(c *ctx, t *parser.Target) error {
	c.noteReject()
	r := &Reject{}
	if o := t.Opt("reject-with"); o != nil {
		table, icmp := tgReject4, RejectICMP
		if c.fam == parser.IPv6 {
			table, icmp = tgReject6, RejectICMPv6
		}
		arg := strings.ToLower(o.Arg(0))
		var found *tgRejectName
		for i := range table {
			if strings.HasPrefix(table[i].name, arg) || strings.HasPrefix(table[i].alias, arg) {
				found = &table[i]
				break
			}
		}
		if found == nil {
			return c.badValue(o, "reject type")
		}
		switch found.nft {
		case "":
		case "tcp reset":
			if c.tgL4("tcp") == "" {
				return c.unsupported(o.Pos, "--reject-with tcp-reset needs \"-p tcp\" (iptables refuses the rule without it)")
			}
			r.Kind = RejectTCPReset
		default:
			r.Kind, r.Code = icmp, found.nft
		}
	}
	c.add(r)
	return nil
}
