package nft

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
)

// A table of one layout stands in for the tables of the other: inet NAME
// for ip NAME and ip6 NAME (--layout inet for --layout xt2nft), and back.
// Left live, the old layout's tables would filter every packet a second
// time (a packet passes only what both accept; NAT and marks twice), so
// apply deletes xt2nft's own (marked) tables of the other layout in the
// same batch that creates the new ones: one atomic switch, which the
// rollback undoes (the snapshot covers them) and plan shows. Tables
// without xt2nft's mark are never touched.

// retiredRefs are the tables of the other layout of p's tables.
func (p *Program) retiredRefs() []tableRef {
	in := map[tableRef]bool{}
	for _, t := range p.Tables {
		in[tableRef{byte(t.Table.Family), t.Table.Name}] = true
	}
	var out []tableRef
	add := func(r tableRef) {
		if !in[r] {
			in[r] = true
			out = append(out, r)
		}
	}
	for _, t := range p.Tables {
		switch t.Table.Family {
		case nftables.TableFamilyINet:
			add(tableRef{byte(nftables.TableFamilyIPv4), t.Table.Name})
			add(tableRef{byte(nftables.TableFamilyIPv6), t.Table.Name})
		case nftables.TableFamilyIPv4, nftables.TableFamilyIPv6:
			add(tableRef{byte(nftables.TableFamilyINet), t.Table.Name})
		}
	}
	return out
}

// liveRetired are the tables of the other layout that are live and
// xt2nft's.
func liveRetired(c *netlink.Conn, p *Program) ([]tableRef, error) {
	var out []tableRef
	for _, r := range p.retiredRefs() {
		d, err := readTableOnly(c, r.family, r.name)
		if err != nil {
			return nil, err
		}
		if d.marked() {
			out = append(out, r)
		}
	}
	return out, nil
}

// retiredNote says which tables the switch deletes.
func retiredNote(refs []tableRef) string {
	var names []string
	for _, r := range refs {
		names = append(names, "table "+familyName(r.family)+" "+r.name)
	}
	return fmt.Sprintf("%s of the other layout deleted in the same batch (their recent lists' entries are not carried: recentctl export and import them)", strings.Join(names, " and "))
}
