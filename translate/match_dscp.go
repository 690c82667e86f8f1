package translate

// -m dscp --dscp N / --dscp-class NAME. iptables-extensions(8) "dscp"; nft
// "ip dscp" / "ip6 dscp". Exact (the kernel compares the six DSCP bits).

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// dscpClasses is dscp_helper.c's table, in its order.
var dscpClasses = []struct {
	name string
	v    uint64
}{
	{"CS0", 0x00}, {"CS1", 0x08}, {"CS2", 0x10}, {"CS3", 0x18}, {"CS4", 0x20}, {"CS5", 0x28}, {"CS6", 0x30},
	{"CS7", 0x38}, {"BE", 0x00}, {"AF11", 0x0a}, {"AF12", 0x0c}, {"AF13", 0x0e}, {"AF21", 0x12}, {"AF22", 0x14},
	{"AF23", 0x16}, {"AF31", 0x1a}, {"AF32", 0x1c}, {"AF33", 0x1e}, {"AF41", 0x22}, {"AF42", 0x24},
	{"AF43", 0x26}, {"EF", 0x2e},
}

func matchDSCP(c *ctx, m *parser.Match) error {
	if len(m.Options) != 1 {
		return c.unsupported(m.Pos, "-m dscp needs one of --dscp and --dscp-class")
	}
	o := m.Options[0]
	var v uint64
	switch o.Name {
	case "dscp":
		n, ok := xtUint(o.Arg(0), 63)
		if !ok {
			return c.badValue(o, "DSCP value")
		}
		v = n
	case "dscp-class":
		found := false
		for _, d := range dscpClasses {
			// class_to_dscp: the word starts with the class name.
			if len(o.Arg(0)) >= len(d.name) && strings.EqualFold(o.Arg(0)[:len(d.name)], d.name) {
				v, found = d.v, true
				break
			}
		}
		if !found {
			return c.badValue(o, "DSCP class")
		}
	}
	c.match(&Payload{Field: c.l3().DSCP}, eq(o.Negated), &Int{V: v, Hex: true})
	return nil
}
