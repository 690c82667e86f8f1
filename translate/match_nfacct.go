package translate

// -m nfacct: iptables-extensions(8) "nfacct"; nft: a named counter object
// declared in the table and "counter name NAME". nfacct objects are global
// and created with the nfacct tool; the nft counter belongs to the table,
// starts at zero, and is not the nfacct object (a warning says so).

import (
	"github.com/xt2nft/xt2nft/parser"
)

func matchNfacct(c *ctx, m *parser.Match) error {
	o := m.Opt("nfacct-name")
	if o == nil {
		return c.unsupported(m.Pos, "-m nfacct needs --nfacct-name")
	}
	name := safeIdent(o.Arg(0))
	if c.tableObject("counter", name) == nil {
		t := c.tr.nftTable(c.fam, c.table)
		t.Objects = append(t.Objects, &Object{Kind: "counter", Name: name, Origin: m.Pos})
		c.note(optArgPos(o), "nfacct object %q becomes the nft counter %q of this table: a separate counter, starting at zero, read with \"nft list counter\" instead of nfacct", o.Arg(0), name)
	}
	c.add(&Counter{Name: name})
	return nil
}
