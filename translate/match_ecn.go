package translate

// -m ecn: --ecn-tcp-ece, --ecn-tcp-cwr (TCP flags) and --ecn-ip-ect 0-3
// (the IP ECN field). iptables-extensions(8) "ecn"; nft "tcp flags",
// "ip ecn" / "ip6 ecn". Exact.
//
// "! --ecn-tcp-ece" means the ECE flag is clear: "tcp flags & ecn == 0"
// (nft lists it as "tcp flags ! ecn"). Upstream 1.8.9 prints
// "tcp flags != ecn", which compares the whole flags byte and is wrong.
// The TCP tests need -p tcp, which the kernel requires for them.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

var ecnNames = []string{"not-ect", "ect1", "ect0", "ce"}

func matchECN(c *ctx, m *parser.Match) error {
	if m.Opt("ecn-tcp-ece") != nil || m.Opt("ecn-tcp-cwr") != nil {
		if _, err := c.needProto(m, "tcp", "tcp"); err != nil {
			return err
		}
	}
	if len(m.Options) == 0 {
		return c.unsupported(m.Pos, "-m ecn needs an option")
	}
	for _, name := range []string{"ecn-tcp-ece", "ecn-tcp-cwr"} {
		o := m.Opt(name)
		if o == nil {
			continue
		}
		flag := "ecn"
		if name == "ecn-tcp-cwr" {
			flag = "cwr"
		}
		flags := &Payload{Field: desc.TCPFlags}
		if o.Negated {
			c.match(&Binop{Op: "&", Left: flags, Right: &Flags{Names: []string{flag}}}, OpEq, &Int{V: 0})
		} else {
			c.match(flags, OpEq, &Flags{Names: []string{flag}})
		}
	}
	if o := m.Opt("ecn-ip-ect"); o != nil {
		n, ok := xtUint(o.Arg(0), 3)
		if !ok {
			return c.badValue(o, "ECT value")
		}
		c.match(&Payload{Field: c.l3().ECN}, eq(o.Negated), &Sym{Name: ecnNames[n]})
	}
	return nil
}
