package translate

// -j TTL (IPv4) and -j HL (IPv6): libxt_TTL.c, libxt_HL.c, the kernel's
// xt_HL.c; nft(8) IP/IPV6 HEADER statements.
//
// --ttl-set N / --hl-set N become "ip ttl set N" / "ip6 hoplimit set N":
// exact (nft rewrites the byte, and the IPv4 header checksum with it, as
// xt_HL does; TestPrivilegedTTLSet). Refused, with the reason: --ttl-dec,
// --ttl-inc, --hl-dec and --hl-inc (arithmetic on the field, which nft
// 1.0.6 cannot write: "ip ttl set ip ttl - 1" is refused). The target is
// non-terminal.

import "github.com/xt2nft/xt2nft/parser"

func tgTTL(c *ctx, t *parser.Target) error {
	pre := "ttl"
	if t.Name == "HL" {
		pre = "hl"
	}
	if len(t.Options) != 1 {
		return c.unsupported(t.Pos, "%s needs exactly one of --%s-set, --%s-dec and --%s-inc", t.Name, pre, pre, pre)
	}
	o := t.Options[0]
	n, err := tgOptUint(c, o, 255, "value (0-255)")
	if err != nil {
		return err
	}
	if o.Name != pre+"-set" {
		if n == 0 {
			// libxt_TTL/libxt_HL: "decreasing by 0?", "increasing by 0?"
			return c.unsupported(argPos(o), "--%s 0: iptables refuses to change the %s by 0", o.Name, map[string]string{"ttl": "TTL", "hl": "hop limit"}[pre])
		}
		return c.unsupported(o.Pos, "--%s: nft 1.0.6 cannot do arithmetic on the %s (only --%s-set translates: %s set N)", o.Name, map[string]string{"ttl": "TTL", "hl": "hop limit"}[pre], pre, map[string]string{"ttl": "ip ttl", "hl": "ip6 hoplimit"}[pre])
	}
	c.add(&Assign{Left: &Payload{Field: c.l3().TTL}, Value: &Int{V: n}})
	return nil
}
