package translate

// -m cgroup: iptables-extensions(8) "cgroup".
//   --cgroup ID (net_cls classid)  meta cgroup ID
//   --path P (cgroup v2)           socket cgroupv2 level N "P"
// The kernel tests whether the socket's cgroup is P or below it; nft's
// "level N" compares the socket cgroup's ancestor at P's depth N. nft
// resolves P when the rules are loaded, so the cgroup must exist then
// (iptables resolves it at load time too).

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate/desc"
)

func matchCgroup(c *ctx, m *parser.Match) error {
	if m.Opt("path") == nil && m.Opt("cgroup") == nil {
		return c.unsupported(m.Pos, "-m cgroup needs --path or --cgroup")
	}
	if o := m.Opt("path"); o != nil {
		p := strings.Trim(o.Arg(0), "/")
		if p == "" {
			// every socket is below the root cgroup
			if o.Negated {
				return c.unsupported(o.Pos, "\"! --path /\" never matches")
			}
			c.match(&Meta{Key: desc.MetaCgroup}, OpGe, &Int{V: 0})
		} else {
			if strings.Contains(p, `"`) {
				return c.badValue(o, "cgroup path")
			}
			level := len(strings.Split(p, "/"))
			c.match(&Socket{Key: desc.SocketCgroupv2, Level: uint32(level)}, eq(o.Negated), &Str{V: p})
			c.note(o.Pos, "cgroup path %q must exist when the nft rules are loaded", p)
		}
	}
	if o := m.Opt("cgroup"); o != nil {
		n, ok := parseNum(o.Arg(0), 32)
		if !ok {
			return c.badValue(o, "classid")
		}
		c.match(&Meta{Key: desc.MetaCgroup}, eq(o.Negated), &Int{V: n})
	}
	return nil
}
