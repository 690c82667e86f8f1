package translate

// -j TEE (libxt_TEE.c): "dup to GATEWAY [device OIF]" (nf_dup_ipv4/6, the
// same code xt_TEE calls). Non-terminal. Note: nft resolves the device
// when the ruleset loads, so a missing --oif interface fails the load where
// xt_TEE waits for it.

import (
	"net/netip"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

func tgTEE(c *ctx, t *parser.Target) error {
	o := t.Opt("gateway")
	if o == nil {
		return c.unsupported(t.Pos, "TEE needs --gateway")
	}
	if c.tr.inet() {
		return c.unsupported(t.Pos, "TEE: nft's dup statement exists in ip, ip6 and netdev tables, not in an inet table (\"unsupported family\"); use --layout xt2nft")
	}
	a, err := netip.ParseAddr(o.Arg(0))
	if err != nil || a.Is6() != (c.fam == parser.IPv6) || a.Zone() != "" || a.IsUnspecified() {
		return c.unsupported(o.Pos, "TEE --gateway %q: need a literal %s address (host names are resolved by iptables)", o.Arg(0), c.fam)
	}
	d := &Dup{Addr: AddrExpr(a, a.BitLen())}
	if oif := t.Opt("oif"); oif != nil {
		if len(oif.Arg(0)) > 15 || strings.HasSuffix(oif.Arg(0), "+") {
			return c.badValue(oif, "interface")
		}
		d.Dev = &Str{V: oif.Arg(0)}
		c.note(oif.Pos, "nft resolves device %q when the ruleset is loaded: the load fails if it does not exist then", oif.Arg(0))
	}
	c.add(d)
	return nil
}
