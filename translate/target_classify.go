package translate

// -j CLASSIFY (libxt_CLASSIFY.c): "meta priority set MAJOR:MINOR"; 0:0 is
// "none" and ffff:ffff "root" as nft prints them. Exact (both set
// skb->priority), non-terminal.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func tgCLASSIFY(c *ctx, t *parser.Target) error {
	o := t.Opt("set-class")
	if o == nil {
		return c.unsupported(t.Pos, "CLASSIFY needs --set-class")
	}
	maj, min, ok := strings.Cut(o.Arg(0), ":")
	a, err1 := strconv.ParseUint(maj, 16, 16)
	b, err2 := strconv.ParseUint(min, 16, 16)
	if !ok || err1 != nil || err2 != nil {
		return c.badValue(o, "class")
	}
	v := fmt.Sprintf("%x:%x", a, b)
	switch {
	case a == 0 && b == 0:
		v = "none"
	case a == 0xffff && b == 0xffff:
		v = "root"
	}
	c.add(&Assign{Left: &Meta{Key: desc.MetaPriority}, Value: &Sym{Name: v}})
	return nil
}
