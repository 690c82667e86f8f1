package translate

// -j SET --add-set/--del-set NAME FLAGS (libxt_SET.c).
// nft(8) SET STATEMENT: "add @NAME { KEY }", "update @NAME { KEY timeout
// T }", "delete @NAME { KEY }".
//
// The ipset itself lives outside the ruleset, so its type is unknown. The
// set is declared in the table (unless a -m set rule already did) as a
// dynamic set keyed on the flags read as addresses (src -> saddr, dst ->
// daddr, concatenated), i.e. the hash:ip / hash:ip,ip family of types,
// and every use warns (approximation): other types (ports, nets, marks)
// and the ipset's existing elements are not carried over. --exist becomes
// "update" (which refreshes the timeout), --timeout the element timeout.
// --map-set is refused. Non-terminal.

import (
	"slices"
	"strings"
	"time"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func tgSET(c *ctx, t *parser.Target) error {
	if o := t.Opt("map-set"); o != nil {
		return c.unsupported(o.Pos, "SET --map-set (skbinfo maps from an ipset) is not translated")
	}
	var timeout time.Duration
	if o := t.Opt("timeout"); o != nil {
		n, err := tgOptUint(c, o, 2147483, "timeout")
		if err != nil {
			return err
		}
		timeout = time.Duration(n) * time.Second
	}
	exist := t.Opt("exist") != nil
	for _, o := range t.Options {
		if o.Name != "add-set" && o.Name != "del-set" {
			continue
		}
		name := o.Arg(0)
		flags := strings.Split(o.Arg(1), ",")
		if len(flags) > 6 {
			return c.badValue(o, "set flags")
		}
		if s := c.tr.opt.IPSets.Set(name); s != nil {
			s, err := c.listMember(o, s)
			if err != nil {
				return err
			}
			if err := c.knownSetWrite(o, s, flags, timeout, exist); err != nil {
				return err
			}
			continue
		}
		var key []Expr
		var types []*desc.Type
		for _, f := range flags {
			field := map[string]*desc.Field{"src": c.l3().Saddr, "dst": c.l3().Daddr}[f]
			if field == nil {
				return c.unsupported(o.Pos, "SET: bad flag %q (src or dst)", f)
			}
			key = append(key, &Payload{Field: field})
			types = append(types, c.l3AddrType())
		}
		var k Expr = key[0]
		if len(key) > 1 {
			k = &Concat{Exprs: key}
		}
		setName := c.ipsetName(optArgPos(o), name)
		c.tgDeclareSet(setName, types, timeout > 0, o.Pos)
		c.approx(o.Pos, "SET --%s %s %s: the ipset's type is unknown here; nft set @%s is declared with %s keys and starts empty", o.Name, name, o.Arg(1), setName, typeNames(types))
		st := &SetStmt{Op: SetAdd, Set: setName, Key: k}
		if o.Name == "del-set" {
			st.Op = SetDelete
		} else {
			st.Timeout = timeout
			if exist {
				st.Op = SetUpdate
			}
		}
		c.add(st)
	}
	return nil
}

// tgDeclareSet declares a dynamic set in the rule's table unless a set of
// that name exists already.
func (c *ctx) tgDeclareSet(name string, types []*desc.Type, timeout bool, pos parser.Pos) {
	t := c.tr.nftTable(c.fam, c.table)
	for _, s := range t.Sets {
		if s.Name == name {
			// A -m set match declared it first, as an interval set of
			// addresses or networks: a set the rules write holds addresses,
			// and the kernel updates no interval set from the packet path
			// (EOPNOTSUPP).
			s.Flags = slices.DeleteFunc(s.Flags, func(f SetFlag) bool { return f == SetInterval })
			if !slices.Contains(s.Flags, SetDynamic) {
				s.Flags = append(s.Flags, SetDynamic)
			}
			if timeout && !slices.Contains(s.Flags, SetTimeout) {
				s.Flags = append(s.Flags, SetTimeout)
			}
			return
		}
	}
	s := &Set{Name: name, Type: types, Flags: []SetFlag{SetDynamic}, Origin: pos,
		Comment: "ipset " + name + " (type assumed)"}
	if timeout {
		s.Flags = append(s.Flags, SetTimeout)
	}
	t.Sets = append(t.Sets, s)
}

// knownSetWrite adds to or deletes from a set whose definition is known
// (--ipsets), keyed as the ipset's type keys it.
func (c *ctx) knownSetWrite(o *parser.Option, s *ipset.Set, flags []string, timeout time.Duration, exist bool) error {
	key, pre, ok, err := c.ipsetKey(o, s, flags)
	if err != nil {
		return err
	}
	if !ok || len(pre) > 0 {
		return c.unsupported(o.Pos, "SET --%s %s %s: the flags do not give every dimension of the %s set", o.Name, s.Name, o.Arg(1), s.Kind.Name)
	}
	name, err := c.declareIPSet(o, s, true)
	if err != nil {
		return err
	}
	if c.portKey != portKeyPorts && o.Name != "del-set" {
		c.tr.icmpWrites[c.tableSet(name)] = true
	}
	st := &SetStmt{Op: SetAdd, Set: name, Key: key}
	if o.Name == "del-set" {
		st.Op = SetDelete
	} else {
		st.Timeout = timeout
		if exist {
			st.Op = SetUpdate
		}
	}
	c.add(st)
	return nil
}
