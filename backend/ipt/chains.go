package ipt

import (
	"errors"
	"fmt"
	"io/fs"

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
	err = inNetns(t.b.Netns, func() error {
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
		if errors.Is(err, fs.ErrPermission) || isPermission(err.Error()) {
			return nil, &permError{t.cmd, err.Error()}
		}
		return nil, fmt.Errorf("%s -t %s -S: %w", t.cmd, table, err)
	}
	return chains, nil
}
