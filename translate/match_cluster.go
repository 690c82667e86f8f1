package translate

// -m cluster: iptables-extensions(8) "cluster"; nft "jhash ct original
// saddr mod N seed S" compared with the local node numbers. xt_cluster
// hashes with jhash2 and reciprocal_scale as nft's jhash does; node K
// (1-based) owns hash value K-1. Upstream 1.8.9 compares with K (off by one,
// so each node takes another node's share).
//
// xt_cluster also turns pkt_type multicast into host for packets to a
// unicast address (clusters use a multicast MAC). That is a separate rule
// before this one: "meta pkttype multicast ip daddr != 224.0.0.0/4 meta
// pkttype set host" (upstream sets host on every matching packet instead).
// Approximate: the kernel rewrites only packets that reach the match, and
// hashes related connections by their master's address.

import (
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchCluster(c *ctx, m *parser.Match) error {
	to, so := m.Opt("cluster-total-nodes"), m.Opt("cluster-hash-seed")
	if to == nil || so == nil {
		return c.unsupported(m.Pos, "-m cluster needs --cluster-total-nodes and --cluster-hash-seed")
	}
	total, ok := parseNum(to.Arg(0), 32)
	if !ok || total < 1 || total > 32 {
		return c.badValue(to, "node count (1-32)")
	}
	seed, ok := parseNum(so.Arg(0), 32)
	if !ok {
		return c.badValue(so, "seed")
	}
	var mask uint64
	neg := false
	if o := m.Opt("cluster-local-node"); o != nil {
		n, ok := parseNum(o.Arg(0), 32)
		if !ok || n < 1 || n > 32 {
			return c.badValue(o, "node (1-32)")
		}
		mask, neg = 1<<(n-1), o.Negated
	}
	if o := m.Opt("cluster-local-nodemask"); o != nil {
		if mask != 0 {
			return c.unsupported(o.Pos, "--cluster-local-node and --cluster-local-nodemask cannot be combined")
		}
		n, ok := parseNum(o.Arg(0), 32)
		if !ok || n == 0 {
			return c.badValue(o, "node mask")
		}
		mask, neg = n, o.Negated
	}
	if mask == 0 {
		return c.unsupported(m.Pos, "-m cluster needs --cluster-local-node or --cluster-local-nodemask")
	}
	var elems []Expr
	for i := uint64(0); i < 32; i++ {
		if mask&(1<<i) != 0 {
			elems = append(elems, &Int{V: i})
		}
	}
	var right Expr = elems[0]
	if len(elems) > 1 {
		right = &SetLit{Elems: elems}
	}
	s32 := uint32(seed)
	mcast := "224.0.0.0/4"
	if c.fam == parser.IPv6 {
		mcast = "ff00::/8"
	}
	c.extra = append(c.extra, &Rule{Origin: m.Pos, Stmts: []Stmt{
		&Match{Left: &Meta{Key: desc.MetaPkttype}, Op: OpEq, Right: &Sym{Name: "multicast"}},
		&Match{Left: &Payload{Field: c.l3().Daddr}, Op: OpNe, Right: &Addr{Prefix: mustPrefix(mcast)}},
		&Assign{Left: &Meta{Key: desc.MetaPkttype}, Value: &Sym{Name: "host"}},
	}})
	c.match(&Hash{Kind: "jhash", Expr: &CT{Key: c.ctKey(desc.CTSaddr), Dir: desc.CTOriginal}, Mod: uint32(total), Seed: &s32}, eq(neg), right)
	c.note(m.Pos, "nft 1.0.6 aborts when listing a jhash of a ct expression (netlink_delinearize assertion); the rule loads and works")
	c.approx(m.Pos, "xt_cluster rewrites pkt_type multicast to host only for packets reaching the match (here a separate rule before it does so for every such packet), and hashes related connections by their master's address")
	return nil
}
