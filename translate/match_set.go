package translate

// -m set: iptables-extensions(8) "set" (ipset); nft: a lookup of a named
// set, "ip saddr @NAME". The ipset's type and contents are not in an
// iptables-save dump, so xt2nft declares an empty interval set of addresses
// in the table and warns that its elements must be supplied (for example
// with ipset-translate). One-dimensional address sets (hash:ip, hash:net)
// are assumed; a set with more dimensions (--match-set NAME src,dst)
// needs its type and is reported.
// --return-nomatch, ! --update-counters and ! --update-subcounters concern
// ipset's element flags and counters, which the nft set does not have:
// ignored (nomatch elements have no nft form). --packets-*/--bytes-* test
// ipset per-element counters: reported.

import (
	"strings"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchSet(c *ctx, m *parser.Match) error {
	o := m.Opt("match-set")
	if o == nil {
		o = m.Opt("set")
	}
	if o == nil {
		return c.unsupported(m.Pos, "-m set needs --match-set")
	}
	for _, n := range []string{"packets-eq", "packets-lt", "packets-gt", "bytes-eq", "bytes-lt", "bytes-gt"} {
		if x := m.Opt(n); x != nil {
			return c.unsupported(x.Pos, "--%s tests ipset per-element counters, which nft sets do not keep", n)
		}
	}
	name, dirs := o.Arg(0), strings.Split(strings.ToLower(o.Arg(1)), ",")
	if s := c.tr.opt.IPSets.Set(name); s != nil {
		s, err := c.listMember(o, s)
		if err != nil {
			return err
		}
		return c.knownSetMatch(m, o, s, dirs)
	}
	if len(dirs) != 1 {
		return c.unsupported(o.Pos, "ipset %q is matched with %d dimensions (%s): its type (hash:ip,port, hash:net,iface, ...) is not in the dump, so the nft set key is unknown", name, len(dirs), o.Arg(1))
	}
	var field *desc.Field
	switch dirs[0] {
	case "src":
		field = c.l3().Saddr
	case "dst":
		field = c.l3().Daddr
	default:
		return c.badValue(o, "direction (src or dst)")
	}
	setName := c.ipsetName(optArgPos(o), name)
	if s := c.tableSet(setName); s == nil {
		c.addSet(&Set{Name: setName, Type: []*desc.Type{c.l3AddrType()}, Flags: []SetFlag{SetInterval}, Origin: m.Pos,
			Comment: "ipset " + strings.ReplaceAll(name, `"`, "'") + ": add its elements (not in iptables-save)"})
		c.note(optArgPos(o), "ipset %q becomes the empty nft set @%s (assumed to hold %s addresses or networks); its elements are not in the dump and must be added (e.g. from \"ipset save\" with ipset-translate)", name, setName, c.l3().Proto.Name)
	}
	c.match(&Payload{Field: field}, eq(o.Negated), &SetRef{Name: setName})
	return nil
}

// knownSetMatch matches a set whose definition is known (--ipsets): its
// nft set carries the ipset's type and elements.
func (c *ctx) knownSetMatch(m *parser.Match, o *parser.Option, s *ipset.Set, dirs []string) error {
	if x := m.Opt("return-nomatch"); x != nil {
		for _, e := range s.Entries {
			if e.NoMatch {
				return c.unsupported(x.Pos, "--return-nomatch with nomatch entries in ipset %q has no nft form", s.Name)
			}
		}
	}
	key, pre, ok, err := c.ipsetKey(o, s, dirs)
	if err != nil {
		return err
	}
	if !ok {
		// ip_set_test: fewer flags than the set has dimensions never match.
		c.note(optArgPos(o), "--match-set %s %s gives %d flags for a %s set of %d dimensions: the kernel never matches it", s.Name, o.Arg(1), len(dirs), s.Kind.Name, len(s.Kind.Dims))
		if !o.Negated {
			c.neverMatch(&Meta{Key: desc.MetaMark}, 0xffffffff)
		}
		return nil
	}
	name, err := c.declareIPSet(o, s, false)
	if err != nil {
		return err
	}
	if c.portKey == portKeyAny && c.portDst {
		c.tr.portLookups = append(c.tr.portLookups, portLookup{pos: o.Pos, set: c.tableSet(name), ipset: s.Name, reader: RenderExpr(key)})
	}
	c.add(pre...)
	c.match(key, eq(o.Negated), &SetRef{Name: name})
	return nil
}
