package translate

// -j MARK and -j CONNMARK (libxt_MARK.c rev 2, libxt_CONNMARK.c rev 1/2).
// iptables-extensions(8) MARK, CONNMARK; nft(8) META and CT statements.
//
// Every MARK/CONNMARK operation is, in the kernel, "new = (old & ~mask) ^
// value" (xt_MARK.c, xt_connmark.c), optionally followed by a shift
// (CONNMARK rev 2). The options are folded into (value, mask) in command
// line order as libxtables does (--set-mark v/m is (v, v|m); --and-mark b
// is (0, ~b); --or-mark b is (b, b); --xor-mark b is (b, 0); a later
// --ctmask/--nfmask/--mask overrides) and printed in the shortest exact
// nft form: "meta mark set 0x10", "meta mark set meta mark & 0xff ^ 0x1",
// "ct mark set (ct mark & 0xffffff9c ^ 0x23) >> 5". The and-mask comes
// first: nft 1.0.6 mis-compiles "x ^ v & m" with a shift (upstream's
// form), and upstream's order computes a different value anyway.
//
// --save-mark / --restore-mark combine two loads:
//   restore: mark   = (mark & ~nfmask) ^ shift(ctmark & ctmask)
//   save:    ctmark = (ctmark & ~ctmask) ^ shift(mark & nfmask)
// nft 1.0.6 cannot combine two loads in one expression ("Right hand side
// of binary operation must be constant"). When one side is fully replaced
// (nfmask or ctmask 0xffffffff, or nothing is copied) a single statement
// is exact. Otherwise the rule jumps to a helper chain that first clears
// the masked bits and then XORs each copied bit conditionally
// ("ct mark & 0x100 == 0x100 meta mark set meta mark ^ 0x100"), which is
// the same value bit for bit (upstream 1.8.9 prints "meta mark set ct mark
// and M", clearing the bits outside M, or refuses). Like xt_CONNMARK,
// nothing happens to a packet without a conntrack entry: the ct mark load
// ("ct mark >= 0x0" where nothing else loads it) ends the rule there.
// Both targets are non-terminal; the helper chain returns.

import (
	"fmt"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

const tgAll = 0xffffffff

// tgMarkOp folds a --set-xmark/--set-mark/--and-mark/--or-mark/--xor-mark
// option into (value, mask).
func tgMarkOp(c *ctx, o *parser.Option) (v, m uint64, err error) {
	switch o.Name {
	case "set-xmark":
		return tgMarkMask(c, o)
	case "set-mark":
		v, m, err = tgMarkMask(c, o)
		return v, v | m, err
	}
	b, err := tgOptUint(c, o, tgAll, "mark")
	switch o.Name {
	case "and-mark":
		return 0, ^b & tgAll, err
	case "or-mark":
		return b, b, err
	}
	return b, 0, err // xor-mark
}

func tgMARK(c *ctx, t *parser.Target) error {
	if len(t.Options) != 1 {
		return c.unsupported(t.Pos, "MARK needs exactly one of --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark")
	}
	v, m, err := tgMarkOp(c, t.Options[0])
	if err != nil {
		return err
	}
	if e := tgXmark(&Meta{Key: desc.MetaMark}, v, m); e != nil {
		c.add(&Assign{Left: &Meta{Key: desc.MetaMark}, Value: e})
	}
	return nil
}

// tgShift applies a CONNMARK shift (dir '<' or '>') to an expression;
// constants are folded.
func tgShift(e Expr, dir byte, n uint64) Expr {
	if n == 0 {
		return e
	}
	if i, ok := e.(*Int); ok {
		if dir == '<' {
			return tgHex((i.V << n) & tgAll)
		}
		return tgHex(i.V >> n)
	}
	op := ">>"
	if dir == '<' {
		op = "<<"
	}
	return &Binop{Op: op, Left: e, Right: &Int{V: n}}
}

func tgShiftVal(v uint64, dir byte, n uint64) uint64 {
	if dir == '<' {
		return (v << n) & tgAll
	}
	return v >> n
}

func tgCONNMARK(c *ctx, t *parser.Target) error {
	mode := ""
	var value, ctmask, nfmask uint64 = 0, tgAll, tgAll
	var dir byte = '<'
	var shift uint64
	for _, o := range t.Options {
		switch o.Name {
		case "set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark":
			if mode != "" {
				return c.unsupported(o.Pos, "CONNMARK takes only one operation")
			}
			v, m, err := tgMarkOp(c, o)
			if err != nil {
				return err
			}
			mode, value, ctmask = "set", v, m
		case "save-mark", "restore-mark":
			if mode != "" {
				return c.unsupported(o.Pos, "CONNMARK takes only one operation")
			}
			mode = o.Name
		case "ctmask", "nfmask", "mask":
			n, err := tgOptUint(c, o, tgAll, "mask")
			if err != nil {
				return err
			}
			if o.Name != "nfmask" {
				ctmask = n
			}
			if o.Name != "ctmask" {
				nfmask = n
			}
		case "left-shift-mark", "right-shift-mark":
			n, err := tgOptUint(c, o, 32, "shift")
			if err != nil {
				return err
			}
			if n == 32 {
				return c.unsupported(o.Pos, "--%s 32 shifts a 32-bit mark by its width (undefined in the kernel)", o.Name)
			}
			dir, shift = '<', n
			if o.Name == "right-shift-mark" {
				dir = '>'
			}
		}
	}
	meta := &Meta{Key: desc.MetaMark}
	ct := &CT{Key: desc.CTMark}
	switch mode {
	case "":
		return c.unsupported(t.Pos, "CONNMARK: no operation specified")
	case "set":
		e := tgXmark(ct, value, ctmask)
		if e == nil {
			if shift == 0 {
				return nil
			}
			e = ct
		}
		c.add(&Assign{Left: ct, Value: tgShift(e, dir, shift)})
		return nil
	case "restore-mark":
		return c.tgCopyMark(meta, ct, nfmask, ctmask, dir, shift, true)
	default:
		return c.tgCopyMark(ct, meta, ctmask, nfmask, dir, shift, false)
	}
}

// tgCopyMark emits dst = (dst & ~clear) ^ shift(src & copy). guard: a
// packet without conntrack must be left alone even when no ct load is in
// the statement (restore).
func (c *ctx) tgCopyMark(dst, src Expr, clear, copyMask uint64, dir byte, shift uint64, guard bool) error {
	term := tgShiftVal(copyMask, dir, shift) // output bits the copy can set
	guardStmt := &Match{Left: &CT{Key: desc.CTMark}, Op: OpGe, Right: tgHex(0)}
	switch {
	case term == 0:
		// Nothing is copied: only the clearing remains.
		e := tgXmark(dst, 0, clear)
		if e == nil {
			return nil
		}
		if guard {
			c.add(guardStmt)
		}
		c.add(&Assign{Left: dst, Value: e})
		return nil
	case clear == tgAll:
		// dst is replaced entirely by the copied bits.
		var e Expr = src
		if copyMask != tgAll {
			e = &Binop{Op: "&", Left: src, Right: tgHex(copyMask)}
		}
		c.add(&Assign{Left: dst, Value: tgShift(e, dir, shift)})
		return nil
	}
	// General case: clear, then XOR each copied bit when it is set in src.
	var rules []*Rule
	if e := tgXmark(dst, 0, clear); e != nil {
		st := []Stmt{}
		if guard {
			st = append(st, guardStmt)
		}
		st = append(st, &Assign{Left: dst, Value: e})
		rules = append(rules, &Rule{Stmts: st})
	}
	for i := 0; i < 32; i++ {
		in := uint64(1) << i
		if copyMask&in == 0 {
			continue
		}
		out := tgShiftVal(in, dir, shift)
		if out == 0 {
			continue
		}
		rules = append(rules, &Rule{Stmts: []Stmt{
			&Match{Left: &Binop{Op: "&", Left: src, Right: tgHex(in)}, Op: OpEq, Right: tgHex(in)},
			&Assign{Left: dst, Value: &Binop{Op: "^", Left: dst, Right: tgHex(out)}},
		}})
	}
	name := "connmark_restore"
	if _, toCT := dst.(*CT); toCT {
		name = "connmark_save"
	}
	name = fmt.Sprintf("%s_%x_%x", name, clear, copyMask)
	if shift > 0 {
		d := "shl"
		if dir == '>' {
			d = "shr"
		}
		name += fmt.Sprintf("_%s%d", d, shift)
	}
	c.add(&Verdict{Kind: VerdictJump, Chain: c.tgHelperChain(name, rules)})
	return nil
}
