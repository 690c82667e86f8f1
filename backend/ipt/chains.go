package ipt

import (
	"fmt"

	"github.com/coreos/go-iptables/iptables"
)

// Chains lists the chains of a table, built-in ones first, through
// go-iptables (ListChains) running the backend's variant in its namespace.
//
// In legacy mode listing a table the kernel does not have yet instantiates
// it (empty, ACCEPT policies).
func (b *Backend) Chains(table string) ([]string, error) {
	t, err := b.resolve()
	if err != nil {
		return nil, err
	}
	path, err := lookPath(t.cmd, "iptables")
	if err != nil {
		return nil, err
	}
	proto := iptables.ProtocolIPv4
	if t.b.Family == 6 {
		proto = iptables.ProtocolIPv6
	}
	var chains []string
	do := func(f func() error) error { return inNetns(t.b.Netns, f) }
	if t.b.NS != nil {
		do = t.b.NS.Do
	}
	err = do(func() error {
		// Path pins the variant: left to itself go-iptables runs whatever
		// `iptables` on PATH is, which may be the other variant.
		ipt, err := iptables.New(iptables.IPFamily(proto), iptables.Path(path))
		if err != nil {
			return err
		}
		chains, err = ipt.ListChains(table)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s -t %s -S: %w", t.cmd, table, err)
	}
	return chains, nil
}
