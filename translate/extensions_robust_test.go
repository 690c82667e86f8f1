package translate_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// TestExtensionsNeverPanic walks the option tables: every match and target,
// in both families and on the tables where it is usually found, with no option
// at all and with each option alone given a handful of plausible and
// implausible words. Each rule must translate or be reported, never panic.
// The fuzzer found missing-option panics one at a time; this finds them all.
func TestExtensionsNeverPanic(t *testing.T) {
	words := []string{"1", "0:65535", "x", "10.0.0.1", "10.0.0.1-10.0.0.9", "eth0", "0x1/0xff", "fe80::1", "-1", "a,b"}
	fams := []struct {
		fam  parser.Family
		name string
	}{{parser.IPv4, "iptables"}, {parser.IPv6, "ip6tables"}}
	n := 0
	for _, f := range fams {
		for _, table := range []string{"filter", "nat", "mangle", "raw"} {
			chain := map[string]string{"filter": "INPUT", "nat": "PREROUTING", "mangle": "PREROUTING", "raw": "PREROUTING"}[table]
			lines := rulegen.OptionLines(f.fam, chain, words)
			for _, l := range lines {
				n++
				src := fmt.Sprintf("*%s\n%s\nCOMMIT\n", table, l)
				d, _, err := parser.Parse("robust", []byte(src), parser.Options{Family: f.fam})
				if err != nil {
					continue
				}
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s -t %s %s: panic: %v", f.name, table, l, r)
						}
					}()
					res := translate.Translate(d, translate.Options{AllowPartial: true})
					if err := translate.Render(io.Discard, res.Ruleset); err != nil {
						t.Errorf("%s -t %s %s: render: %v", f.name, table, l, err)
					}
				}()
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d rules generated; the option tables look empty", n)
	}
}
