package translate

import (
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

// -m comment: becomes the nft rule comment. nft strings cannot hold a double
// quote and comments are limited to 128 bytes.
func matchComment(c *ctx, m *parser.Match) error {
	o := m.Opt("comment")
	if o == nil {
		return c.unsupported(m.Pos, "-m comment requires --comment")
	}
	s := o.Arg(0)
	if strings.Contains(s, `"`) {
		s = strings.ReplaceAll(s, `"`, `'`)
		c.note(o.Pos, "double quotes in comment replaced by single quotes (nft strings cannot contain them)")
	}
	if c.comment != "" {
		s = c.comment + "; " + s
	}
	if len(s) > 127 {
		c.note(o.Pos, "comment truncated to 127 bytes (nft limit)")
		s = s[:127]
	}
	c.comment = s
	return nil
}
