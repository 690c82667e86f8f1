package recent

import (
	"context"
	"net/netip"

	"github.com/xt2nft/xt2nft/backend/nft/nlraw"
)

// Lookup returns one address's entry without reading whole sets: one
// element query per set the entry is read from.
func (n *NFT) Lookup(ctx context.Context, name string, a netip.Addr) (Entry, bool, error) {
	ls, err := n.lists(name)
	if err != nil {
		return Entry{}, false, err
	}
	l, err := pick(name, ls, a)
	if err != nil {
		return Entry{}, false, err
	}
	a = l.Key(a)
	c, err := nlraw.Dial(n.Conn.NetNS, 0)
	if err != nil {
		return Entry{}, false, err
	}
	defer c.Close()
	e := l.entry(a)
	found := false
	for _, s := range l.shown() {
		left, ok, err := nlraw.Lookup(c, l.sets[s], a.AsSlice())
		if err != nil {
			return Entry{}, false, err
		}
		if ok {
			found = true
			e.saw(s, left)
		}
	}
	return e.done(), found, nil
}
