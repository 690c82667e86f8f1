package translate

// -m policy: iptables-extensions(8) "policy" (IPsec); nft "meta secpath"
// (dir in), "rt ipsec" (dir out) and "ipsec in|out reqid/spi/ip saddr/
// ip daddr".
//   --dir in  --pol none   meta secpath missing
//   --dir in  --pol ipsec  meta secpath exists
//   --dir out --pol none   rt ipsec missing
//   --dir out --pol ipsec  rt ipsec exists
//   --reqid/--spi/--tunnel-src/--tunnel-dst  ipsec in|out reqid ... (SA 0)
// Approximate: nft's ipsec expression tests the first SA of the path;
// xt_policy accepts any SA (or, with --strict, requires exactly one).
// --proto and --mode have no nft equivalent and are reported, as are
// policies of several elements (--next).

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchPolicy(c *ctx, m *parser.Match) error {
	do, po := m.Opt("dir"), m.Opt("pol")
	if do == nil || po == nil {
		return c.unsupported(m.Pos, "-m policy needs --dir and --pol")
	}
	dir := IpsecDir(strings.ToLower(do.Arg(0)))
	if dir != IpsecIn && dir != IpsecOut {
		return c.badValue(do, "direction (in or out)")
	}
	pol := strings.ToLower(po.Arg(0))
	if pol != "none" && pol != "ipsec" {
		return c.badValue(po, "policy (none or ipsec)")
	}
	if o := m.Opt("next"); o != nil {
		return c.unsupported(o.Pos, "policies with several elements (--next) have no nft equivalent")
	}
	for _, n := range []string{"proto", "mode"} {
		if o := m.Opt(n); o != nil {
			return c.unsupported(o.Pos, "--%s: nft's ipsec expression cannot test the SA's %s", n, map[string]string{"proto": "protocol", "mode": "mode"}[n])
		}
	}
	var exists Expr = &Meta{Key: desc.MetaSecpath}
	if dir == IpsecOut {
		exists = &Rt{Key: desc.RtIPsec}
	}
	if pol == "none" {
		for _, o := range m.Options {
			if o.Name != "dir" && o.Name != "pol" {
				return c.unsupported(o.Pos, "--%s cannot be used with --pol none", o.Name)
			}
		}
		c.match(exists, OpMissing, nil)
		return nil
	}
	c.match(exists, OpExists, nil)
	elem := false
	for _, x := range []struct {
		opt string
		key *desc.IpsecKey
	}{{"reqid", desc.IpsecReqid}, {"spi", desc.IpsecSPI}} {
		if o := m.Opt(x.opt); o != nil {
			n, ok := parseNum(o.Arg(0), 32)
			if !ok {
				return c.badValue(o, x.opt)
			}
			c.match(&Ipsec{Dir: dir, Key: x.key}, eq(o.Negated), &Int{V: n})
			elem = true
		}
	}
	saddr, daddr := desc.IpsecIPSaddr, desc.IpsecIPDaddr
	if c.fam == parser.IPv6 {
		saddr, daddr = desc.IpsecIP6Saddr, desc.IpsecIP6Daddr
	}
	for _, x := range []struct {
		opt string
		key *desc.IpsecKey
	}{{"tunnel-src", saddr}, {"tunnel-dst", daddr}} {
		if o := m.Opt(x.opt); o != nil {
			if err := c.ctAddr(&Ipsec{Dir: dir, Key: x.key}, o); err != nil {
				return err
			}
			elem = true
		}
	}
	if elem {
		if m.Opt("strict") != nil {
			c.approx(m.Pos, "--strict: nft tests the first SA of the packet but cannot require that it is the only one")
		} else {
			c.approx(m.Pos, "nft's ipsec expression tests the first SA of the packet; xt_policy accepts any SA of its path")
		}
	}
	return nil
}
