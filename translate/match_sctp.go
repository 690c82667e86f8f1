package translate

// -m sctp (also implicit with -p sctp): --sport/--dport and
// --chunk-types {all|any|only} CHUNK[:FLAGS],... iptables-extensions(8)
// "sctp"; nft(8) SCTP HEADER EXPRESSION and "sctp chunk".
//
// Ports are exact. Chunk types:
//   - all: every listed chunk type is present → "sctp chunk X exists".
//     With flags (DATA:iUbE) the kernel accepts any chunk of that type
//     whose flags match; nft tests the first chunk of the type only
//     (approximate).
//   - any: exact when one chunk type is listed (the same as all); nft
//     cannot test "one of several chunks" in one rule, so more is refused.
//   - only: every chunk of the packet is of a listed type: the other chunk
//     types nft knows are "missing" (approximate: chunk types nft has no
//     name for are not excluded). With a single type, that type "exists"
//     too (a packet has at least one chunk), as upstream prints it.
//     Upstream also prints "exists" for every listed type when several are
//     listed, which requires them all; we do not.
//   - "!" is translated when the test is a single exists/missing check;
//     otherwise its negation is an "or", which one nft rule cannot hold.

import (
	"strings"
	"unicode"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

type sctpChunk struct {
	name, nft string
	typ       int
	flags     string // valid flag letters, bit 7 first
}

// sctpChunks is libxt_sctp.c's sctp_chunk_names, in its order.
var sctpChunks = []sctpChunk{
	{"DATA", "data", 0, "----IUBE"},
	{"INIT", "init", 1, "--------"},
	{"INIT_ACK", "init-ack", 2, "--------"},
	{"SACK", "sack", 3, "--------"},
	{"HEARTBEAT", "heartbeat", 4, "--------"},
	{"HEARTBEAT_ACK", "heartbeat-ack", 5, "--------"},
	{"ABORT", "abort", 6, "-------T"},
	{"SHUTDOWN", "shutdown", 7, "--------"},
	{"SHUTDOWN_ACK", "shutdown-ack", 8, "--------"},
	{"ERROR", "error", 9, "--------"},
	{"COOKIE_ECHO", "cookie-echo", 10, "--------"},
	{"COOKIE_ACK", "cookie-ack", 11, "--------"},
	{"ECN_ECNE", "ecne", 12, "--------"},
	{"ECN_CWR", "cwr", 13, "--------"},
	{"SHUTDOWN_COMPLETE", "shutdown-complete", 14, "-------T"},
	// nft 1.0.6 has no names for I_DATA, RE_CONFIG, PAD and I_FORWARD_TSN.
	{"I_DATA", "", 64, "----IUBE"},
	{"RE_CONFIG", "", 130, "--------"},
	{"PAD", "", 132, "--------"},
	{"ASCONF", "asconf", 193, "--------"},
	{"ASCONF_ACK", "asconf-ack", 128, "--------"},
	{"FORWARD_TSN", "forward-tsn", 192, "--------"},
	{"I_FORWARD_TSN", "", 194, "--------"},
}

// sctpFlagTest is a flag condition on one chunk type: flags & mask == val.
type sctpFlagTest struct{ mask, val uint64 }

func matchSCTP(c *ctx, m *parser.Match) error {
	given, err := c.needProto(m, "sctp", "sctp")
	if err != nil {
		return err
	}
	before := len(c.stmts)
	if err := portsAndFlags(c, m, "sctp"); err != nil {
		return err
	}
	if o := m.Opt("chunk-types"); o != nil {
		if err := sctpChunkTypes(c, o); err != nil {
			return err
		}
	}
	c.ensureProto(given, before, "sctp")
	return nil
}

func sctpChunkTypes(c *ctx, o *parser.Option) error {
	mode := strings.ToLower(o.Arg(0))
	if mode != "all" && mode != "any" && mode != "only" {
		return c.unsupported(argPos(o), "--chunk-types needs \"all\", \"any\" or \"only\", not %q", o.Arg(0))
	}
	inMap := map[int]bool{}
	flags := map[int]*sctpFlagTest{}
	list := o.Args[1].Value
	switch strings.ToUpper(list) {
	case "ALL":
		for _, ch := range sctpChunks {
			inMap[ch.typ] = true
		}
		// The kernel map also holds every type nft has no name for.
		if mode != "only" {
			return c.unsupported(o.Pos, "--chunk-types %s ALL tests all 256 chunk types; nft cannot express it", mode)
		}
	case "NONE":
	default:
		for _, item := range strings.Split(list, ",") {
			if item == "" {
				continue
			}
			name, fl, hasFlags := strings.Cut(item, ":")
			idx := -1
			for i, ch := range sctpChunks {
				if strings.EqualFold(ch.name, name) {
					idx = i
				}
			}
			if idx < 0 {
				return c.unsupported(o.Args[1].Pos, "unknown SCTP chunk %q", name)
			}
			ch := sctpChunks[idx]
			inMap[ch.typ] = true
			if !hasFlags {
				continue
			}
			for _, r := range fl {
				p := strings.IndexRune(ch.flags, unicode.ToUpper(r))
				if p < 0 || r == '-' {
					return c.unsupported(o.Args[1].Pos, "invalid flag %q for SCTP chunk %s", string(r), ch.name)
				}
				bit := uint64(1) << (7 - p)
				t := flags[ch.typ]
				if t == nil {
					if len(flags) == 4 {
						return c.unsupported(o.Args[1].Pos, "flags on more than 4 chunk types (kernel limit)")
					}
					t = &sctpFlagTest{}
					flags[ch.typ] = t
				}
				t.mask |= bit
				if unicode.IsUpper(r) {
					t.val |= bit
				}
			}
		}
	}
	type cond struct {
		ch     sctpChunk
		exists bool
		flags  *sctpFlagTest
	}
	var conds []cond
	switch mode {
	case "any", "all":
		for _, ch := range sctpChunks {
			if inMap[ch.typ] {
				if ch.nft == "" {
					return c.unsupported(o.Pos, "nft 1.0.6 cannot test for SCTP chunk %s", ch.name)
				}
				conds = append(conds, cond{ch, true, flags[ch.typ]})
			}
		}
		if len(conds) == 0 {
			// any of nothing never matches; all of nothing always does.
			if (mode == "any") != o.Negated {
				c.neverMatch(&Payload{Field: desc.SCTP.Sport}, 65535)
			}
			return nil
		}
		if mode == "any" && len(conds) > 1 {
			return c.unsupported(o.Pos, "--chunk-types any with several chunk types (\"one of them present\") has no nft equivalent")
		}
	case "only":
		if len(flags) > 0 {
			return c.unsupported(o.Pos, "--chunk-types only with chunk flags has no exact nft equivalent (every chunk of the type would need checking)")
		}
		if o.Negated {
			return c.unsupported(o.Pos, "\"! --chunk-types only\" (some chunk of another type present) has no nft equivalent")
		}
		for _, ch := range sctpChunks {
			if ch.nft == "" {
				continue
			}
			if !inMap[ch.typ] {
				conds = append(conds, cond{ch, false, nil})
			} else if len(inMap) == 1 {
				conds = append(conds, cond{ch, true, nil})
			}
		}
		if len(conds) > 0 {
			c.approx(o.Pos, "--chunk-types only: chunk types nft has no name for are not excluded")
		}
	}
	if o.Negated {
		if len(conds) != 1 || conds[0].flags != nil {
			return c.unsupported(o.Pos, "\"! --chunk-types %s\" with several chunk tests or flags is an \"or\", which one nft rule cannot express", mode)
		}
		conds[0].exists = !conds[0].exists
	}
	positive := true
	for _, cd := range conds {
		positive = positive && cd.exists
	}
	if positive && c.protoIs("sctp") {
		// Chunk tests other than "missing" are false for packets of other
		// protocols, so the protocol match is redundant (as upstream
		// prints it).
		c.protoDone = true
	}
	for _, cd := range conds {
		chunk := desc.SCTPChunkNamed(cd.ch.nft)
		ch := &Exthdr{Hdr: chunk}
		switch {
		case cd.flags != nil:
			c.approx(o.Pos, "SCTP chunk %s flags: nft tests the first %s chunk only, the kernel any of them", cd.ch.name, cd.ch.name)
			c.match(&Binop{Op: "&", Left: &Payload{Field: chunk.Field("flags")}, Right: &Int{V: cd.flags.mask, Hex: true}},
				OpEq, &Int{V: cd.flags.val, Hex: true})
		case cd.exists:
			c.match(ch, OpExists, nil)
		default:
			c.match(ch, OpMissing, nil)
		}
	}
	return nil
}
