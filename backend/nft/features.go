package nft

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/parser"
)

// Feature is a kernel capability a lowered program needs: an nf_tables
// expression module, a table family, a set backend. Config is the kernel
// configuration symbol that provides it ("" when it is part of nf_tables
// itself); Rule is the first rule that needs it.
type Feature struct {
	Name   string
	Config string
	Rule   parser.Pos
	// probe is the program that tries the feature alone: the table with
	// its sets, objects and chains and the one rule.
	probe *Program
}

// featureOf names the capability an expression needs (ok false: core).
func featureOf(e expr.Any, fam nftables.TableFamily) (name, config string, ok bool) {
	v6 := fam == nftables.TableFamilyIPv6
	inet := fam == nftables.TableFamilyINet
	switch x := e.(type) {
	case *expr.Ct:
		return "conntrack expression (ct)", "NFT_CT", true
	case *expr.Notrack:
		return "notrack", "NFT_CT", true
	case *expr.Limit:
		return "limit", "NFT_LIMIT", true
	case *expr.Quota:
		return "quota", "NFT_QUOTA", true
	case *expr.Numgen:
		return "numgen", "NFT_NUMGEN", true
	case *expr.Hash:
		return "hash", "NFT_HASH", true
	case *expr.Fib:
		switch {
		case inet:
			return "fib (inet)", "NFT_FIB_INET", true
		case v6:
			return "fib (ip6)", "NFT_FIB_IPV6", true
		}
		return "fib (ip)", "NFT_FIB_IPV4", true
	case *expr.Socket:
		return "socket", "NFT_SOCKET", true
	case *expr.TProxy:
		return "tproxy", "NFT_TPROXY", true
	case *expr.SynProxy:
		return "synproxy", "NFT_SYNPROXY", true
	case *expr.Connlimit:
		return "connlimit (ct count)", "NFT_CONNLIMIT", true
	case *expr.NAT:
		if inet {
			return "nat in an inet table (kernel 5.2)", "NFT_NAT", true
		}
		return "nat", "NFT_NAT", true
	case *expr.Masq:
		if inet {
			return "masquerade in an inet table (kernel 5.2)", "NFT_MASQ", true
		}
		return "masquerade", "NFT_MASQ", true
	case *expr.Redir:
		if inet {
			return "redirect in an inet table (kernel 5.2)", "NFT_REDIR", true
		}
		return "redirect", "NFT_REDIR", true
	case *expr.Reject:
		switch {
		case inet:
			return "reject (inet)", "NFT_REJECT_INET", true
		case v6:
			return "reject (ip6)", "NFT_REJECT_IPV6", true
		}
		return "reject (ip)", "NFT_REJECT_IPV4", true
	case *expr.Log:
		if x.Key&(1<<unix.NFTA_LOG_GROUP) != 0 { // nfnetlink_log
			return "log to a netlink group (NFLOG)", "NETFILTER_NETLINK_LOG", true
		}
		return "log", "NFT_LOG", true
	case *expr.Queue:
		return "queue", "NFT_QUEUE", true
	case *expr.Dup:
		if v6 {
			return "dup (ip6)", "NFT_DUP_IPV6", true
		}
		return "dup (ip)", "NFT_DUP_IPV4", true
	case *expr.Dynset:
		if x.Operation == nftDynsetOpDelete {
			return "delete from a set in the packet path (kernel 5.4)", "", true
		}
		for _, sub := range x.Exprs {
			if n, c, ok := featureOf(sub, fam); ok {
				return "per-element " + n, c, true
			}
		}
	}
	return "", "", false
}

// familyFeature is the table family's own capability.
func familyFeature(fam nftables.TableFamily) (string, string) {
	switch fam {
	case nftables.TableFamilyIPv6:
		return "table family ip6", "NF_TABLES_IPV6"
	case nftables.TableFamilyINet:
		return "table family inet", "NF_TABLES_INET"
	}
	return "table family ip", "NF_TABLES_IPV4"
}

// Features lists what the program needs of the kernel, each with the first
// rule that needs it, in the order first needed.
func Features(p *Program) []*Feature {
	var out []*Feature
	seen := map[string]bool{}
	add := func(name, config string, tp *TableProgram, r *RuleProgram) {
		if seen[name] {
			return
		}
		seen[name] = true
		f := &Feature{Name: name, Config: config}
		probe := &TableProgram{Table: tp.Table, Sets: tp.Sets, Objs: tp.Objs, Chains: tp.Chains}
		if r != nil {
			f.Rule = r.Origin
			probe.Rules = []*RuleProgram{r}
		}
		f.probe = &Program{Tables: []*TableProgram{probe}}
		out = append(out, f)
	}
	for _, tp := range p.Tables {
		n, c := familyFeature(tp.Table.Family)
		add(n, c, tp, nil)
		for _, s := range tp.Sets {
			if s.Set.Interval && s.Set.Concatenation {
				add("interval sets of concatenations (pipapo, kernel 5.6)", "", tp, nil)
			}
			if s.Set.HasTimeout {
				add("sets with timeouts", "", tp, nil)
			}
		}
		for _, r := range tp.Rules {
			for _, a := range r.Anon {
				if a.Set.Interval && a.Set.Concatenation {
					add("interval sets of concatenations (pipapo, kernel 5.6)", "", tp, r)
				}
			}
			for _, e := range r.Rule.Exprs {
				if n, c, ok := featureOf(e, tp.Table.Family); ok {
					add(n, c, tp, r)
				}
			}
		}
	}
	return out
}

// ProbeFeature tries f on the kernel in a throwaway namespace: nil when
// the kernel takes it.
func ProbeFeature(f *Feature) error {
	return Check(f.probe)
}

// KernelConfig is a kernel configuration (/boot/config-VERSION).
type KernelConfig map[string]string

// ReadKernelConfig reads a kernel configuration file.
// A gzipped one (/proc/config.gz) is read through gzip.
func ReadKernelConfig(r io.Reader) (KernelConfig, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		r = z
	} else {
		r = br
	}
	c := KernelConfig{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if name, ok := strings.CutPrefix(l, "# CONFIG_"); ok && strings.HasSuffix(name, " is not set") {
			c[strings.TrimSuffix(name, " is not set")] = "n"
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimPrefix(l, "CONFIG_"), "="); ok && strings.HasPrefix(l, "CONFIG_") {
			c[k] = v
		}
	}
	return c, sc.Err()
}

// Has says whether the configuration provides symbol: "built in",
// "module", "not set", or "not in this configuration" (an option of
// another kernel version, or folded into nf_tables there).
func (c KernelConfig) Has(symbol string) (string, bool) {
	switch c[symbol] {
	case "y":
		return "built in", true
	case "m":
		return "module", true
	case "n":
		return "not set", false
	}
	return "not in this configuration", false
}

// Legacy says whether the configuration has the legacy (x_tables based)
// iptables tables that iptables-legacy and migrate read.
func (c KernelConfig) Legacy() string {
	for _, s := range []string{"IP_NF_IPTABLES_LEGACY", "NETFILTER_XTABLES_LEGACY"} {
		if v, ok := c.Has(s); ok || c[s] == "n" {
			return fmt.Sprintf("%s: %s", s, v)
		}
	}
	if v, ok := c.Has("IP_NF_IPTABLES"); ok {
		return "IP_NF_IPTABLES: " + v + " (a kernel before 6.17 with legacy tables)"
	}
	return "no legacy iptables tables"
}

// SortFeatures orders features by name (for stable reports).
func SortFeatures(fs []*Feature) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
}
