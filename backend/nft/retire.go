package nft

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"

	"github.com/xt2nft/xt2nft/translate"
)

// A table of one layout stands in for the tables of the other layouts:
// ip NAME and ip6 NAME (--layout xt2nft), inet NAME for both (--layout
// inet), and ip filter, ip nat, ... (--layout iptables, one nft table per
// iptables table). Left live, the old layout's tables would filter every
// packet a second time (a packet passes only what both accept; NAT and
// marks twice), so apply deletes xt2nft's own (marked) tables of the other
// layouts, for the families the new tables cover, in the same batch that
// creates the new ones: one atomic switch, which the rollback undoes (the
// snapshot covers them) and plan shows. Tables without xt2nft's mark are
// never touched.

// iptablesTables are the tables of --layout iptables.
var iptablesTables = []string{"filter", "nat", "mangle", "raw", "security"}

// retiredRefs are the tables of the other layouts of p's tables.
func (p *Program) retiredRefs() []tableRef {
	in := map[tableRef]bool{}
	for _, t := range p.Tables {
		in[tableRef{byte(t.Table.Family), t.Table.Name}] = true
	}
	var out []tableRef
	add := func(fam nftables.TableFamily, name string) {
		r := tableRef{byte(fam), name}
		if !in[r] {
			in[r] = true
			out = append(out, r)
		}
	}
	ip, ip6, inet := nftables.TableFamilyIPv4, nftables.TableFamilyIPv6, nftables.TableFamilyINet
	for _, t := range p.Tables {
		fam, name := t.Table.Family, t.Table.Name
		if p.name != "" {
			name = p.name
		}
		fams := []nftables.TableFamily{fam}
		if fam == inet {
			fams = []nftables.TableFamily{ip, ip6}
		}
		for _, f := range fams {
			if p.layout == translate.LayoutIPTables || fam == inet {
				add(f, name) // --layout xt2nft
			}
			if p.layout != translate.LayoutIPTables {
				for _, n := range iptablesTables {
					add(f, n)
				}
			}
		}
		if fam != inet {
			add(inet, name)
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
