package translate

// -m owner: iptables-extensions(8) "owner"; nft "meta skuid/skgid".
// Ranges "a-b" are kept; user and group names other than root are reported
// (iptables resolves them on the machine that loads the rules).
//
// Approximate:
//   - "! --uid-owner"/"! --gid-owner", when every test of the match is
//     negated, also match packets without a socket (or whose socket has no
//     file) in the kernel; nft's skuid/skgid never match those. With one
//     test not negated neither matches them: exact.
//   - --socket-exists becomes "meta skuid >= 0", which needs the socket's
//     file (kernel-internal sockets have none). "! --socket-exists" cannot
//     be expressed.
//   - --suppl-groups (also match supplementary groups) is dropped.

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchOwner(c *ctx, m *parser.Match) error {
	if o := m.Opt("socket-exists"); o != nil {
		if o.Negated {
			return c.unsupported(o.Pos, "\"! --socket-exists\" (no socket) cannot be expressed in nft: meta skuid/skgid never match packets without a socket")
		}
		c.match(&Meta{Key: desc.MetaSkuid}, OpGe, &Int{V: 0})
		c.approx(o.Pos, "--socket-exists becomes \"meta skuid >= 0\", which does not match sockets without a file (kernel-internal sockets)")
	}
	// xt_owner matches a packet without a socket only when every test it
	// has is negated (owner_mt: (match ^ invert) == 0); --suppl-groups is
	// never negated.
	socketless := m.Opt("suppl-groups") == nil
	for _, name := range []string{"uid-owner", "gid-owner", "socket-exists"} {
		if o := m.Opt(name); o != nil && !o.Negated {
			socketless = false
		}
	}
	warned := false
	for _, x := range []struct {
		opt string
		key *desc.MetaKey
	}{{"uid-owner", desc.MetaSkuid}, {"gid-owner", desc.MetaSkgid}} {
		o := m.Opt(x.opt)
		if o == nil {
			continue
		}
		lo, hi, isRange := strings.Cut(o.Arg(0), "-")
		l, err := ownerID(c, o, lo)
		if err != nil {
			return err
		}
		var v Expr = &Int{V: l}
		if isRange {
			h, err := ownerID(c, o, hi)
			if err != nil {
				return err
			}
			if h < l {
				return c.badValue(o, "range")
			}
			if h != l {
				v = &Range{Lo: &Int{V: l}, Hi: &Int{V: h}}
			}
		}
		c.match(&Meta{Key: x.key}, eq(o.Negated), v)
		if o.Negated && socketless && !warned {
			c.approx(o.Pos, "\"! --%s\" also matches packets without a socket in iptables; nft's %s never matches them", x.opt, x.key.Name)
			warned = true
		}
	}
	if o := m.Opt("suppl-groups"); o != nil {
		if m.Opt("gid-owner") == nil {
			return c.unsupported(o.Pos, "--suppl-groups needs --gid-owner")
		}
		c.approx(o.Pos, "--suppl-groups dropped: nft's skgid only tests the primary group")
	}
	return nil
}

func ownerID(c *ctx, o *parser.Option, s string) (uint64, error) {
	if n, ok := parseNum(s, 32); ok && n != 0xffffffff {
		return n, nil
	}
	if s == "root" {
		return 0, nil
	}
	return 0, c.unsupported(optArgPos(o), "user/group name %q: iptables resolves names on the machine that loads the rules; use the numeric id", s)
}
