package translate

// -j DSCP and -j TOS (libxt_DSCP.c, libxt_TOS.c).
// iptables-extensions(8) DSCP, TOS; nft(8) IP/IPV6 HEADER statements.
//
// DSCP --set-dscp/--set-dscp-class sets the 6 DSCP bits and keeps ECN:
// "ip dscp set V" / "ip6 dscp set V", exact.
// TOS computes tos = (tos & ~mask) ^ value on the whole 8-bit field, i.e.
// independently on DSCP (high 6 bits) and ECN (low 2 bits). A part whose
// bits are all replaced becomes "ip dscp set D" / "ip ecn set E"; a part
// left alone produces nothing. nft 1.0.6 cannot read-modify-write these
// sub-byte fields ("ip dscp set ip dscp & ..." is refused), so a part that
// keeps some of its bits (--and-tos, --or-tos, --xor-tos, symbolic names,
// which imply mask 0x3f) is spelled as one rule per value of the kept bits
// in a helper chain ("ip dscp { 16-31 } ip dscp set 0x14"), which is exact.
// Upstream 1.8.9 prints "ip6 dscp set V>>2" for --set-tos, dropping the
// ECN bits and the mask; its and/or/xor forms do not load in nft 1.0.6.
// Both targets are non-terminal.

import (
	"fmt"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

// tgDSCPClasses are xtables' class_to_dscp names.
var tgDSCPClasses = map[string]uint64{
	"cs0": 0x00, "cs1": 0x08, "cs2": 0x10, "cs3": 0x18, "cs4": 0x20, "cs5": 0x28, "cs6": 0x30, "cs7": 0x38,
	"be": 0x00, "af11": 0x0a, "af12": 0x0c, "af13": 0x0e, "af21": 0x12, "af22": 0x14, "af23": 0x16,
	"af31": 0x1a, "af32": 0x1c, "af33": 0x1e, "af41": 0x22, "af42": 0x24, "af43": 0x26, "ef": 0x2e,
}

func tgDSCP(c *ctx, t *parser.Target) error {
	var v uint64
	switch {
	case t.Opt("set-dscp") != nil:
		o := t.Opt("set-dscp")
		n, err := tgOptUint(c, o, 0x3f, "DSCP value")
		if err != nil {
			return err
		}
		v = n
	case t.Opt("set-dscp-class") != nil:
		o := t.Opt("set-dscp-class")
		n, ok := tgDSCPClasses[strings.ToLower(o.Arg(0))]
		if !ok {
			return c.badValue(o, "DSCP class")
		}
		v = n
	default:
		return c.unsupported(t.Pos, "DSCP needs --set-dscp or --set-dscp-class")
	}
	c.add(&Assign{Left: &Payload{Field: c.l3().DSCP}, Value: tgHex(v)})
	return nil
}

// tgTOSSymbols are iptables' tos_values.c names (value; mask 0x3f).
var tgTOSSymbols = map[string]uint64{
	"minimize-delay": 0x10, "maximize-throughput": 0x08, "maximize-reliability": 0x04,
	"minimize-cost": 0x02, "normal-service": 0x00,
}

func tgTOS(c *ctx, t *parser.Target) error {
	if len(t.Options) != 1 {
		return c.unsupported(t.Pos, "TOS needs exactly one of --set-tos, --and-tos, --or-tos, --xor-tos")
	}
	o := t.Options[0]
	var v, m uint64
	switch o.Name {
	case "set-tos":
		vs, ms, hasMask := strings.Cut(o.Arg(0), "/")
		if n, ok := tgUint(vs, 0xff); ok {
			v, m = n, 0xff
			if hasMask {
				if m, ok = tgUint(ms, 0xff); !ok {
					return c.badValue(o, "TOS mask")
				}
			}
		} else if n, ok := tgTOSSymbols[strings.ToLower(o.Arg(0))]; ok {
			v, m = n, 0x3f
		} else {
			return c.badValue(o, "TOS value")
		}
	default:
		b, err := tgOptUint(c, o, 0xff, "TOS value")
		if err != nil {
			return err
		}
		switch o.Name {
		case "and-tos":
			v, m = 0, ^b&0xff
		case "or-tos":
			v, m = b, b
		default:
			v, m = b, 0
		}
	}
	type part struct {
		field      *desc.Field
		width      uint
		mask, val  uint64
		enumerated []*Rule
	}
	parts := []*part{
		{field: c.l3().DSCP, width: 6, mask: m >> 2, val: v >> 2},
		{field: c.l3().ECN, width: 2, mask: m & 3, val: v & 3},
	}
	var stmts []Stmt
	for _, p := range parts {
		full := uint64(1)<<p.width - 1
		left := &Payload{Field: p.field}
		switch {
		case p.mask == full:
			stmts = append(stmts, &Assign{Left: left, Value: tgHex(p.val)})
		case p.mask == 0 && p.val == 0:
		default:
			keep := ^p.mask & full
			// One rule per value k of the kept bits: field' = k ^ val.
			for k := uint64(0); k <= full; k++ {
				if k&^keep != 0 {
					continue
				}
				var elems []Expr
				for x := uint64(0); x <= full; x++ {
					if x&keep == k {
						elems = append(elems, tgHex(x))
					}
				}
				// "return": the rewritten value must not meet a later rule.
				p.enumerated = append(p.enumerated, &Rule{Stmts: []Stmt{
					&Match{Left: left, Op: OpEq, Right: &SetLit{Elems: elems}},
					&Assign{Left: left, Value: tgHex(k ^ p.val)},
					&Verdict{Kind: VerdictReturn},
				}})
			}
		}
	}
	if parts[0].enumerated == nil && parts[1].enumerated == nil {
		c.add(stmts...)
		return nil
	}
	// Each enumerated part gets its own chain (its rules end in return);
	// the rule sets the fully replaced part and jumps to the other one.
	var jumps []Stmt
	for _, p := range parts {
		if p.enumerated != nil {
			name := fmt.Sprintf("tos_%s_%x_%x", p.field.Name, p.val, p.mask)
			jumps = append(jumps, &Verdict{Kind: VerdictJump, Chain: c.tgHelperChain(name, p.enumerated)})
		}
	}
	if len(jumps) == 1 {
		c.add(append(stmts, jumps[0])...)
		return nil
	}
	rules := []*Rule{{Stmts: jumps[:1]}, {Stmts: jumps[1:]}}
	c.add(&Verdict{Kind: VerdictJump, Chain: c.tgHelperChain(fmt.Sprintf("tos_%x_%x", v, m), rules)})
	return nil
}
