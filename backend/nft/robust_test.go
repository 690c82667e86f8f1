package nft

import (
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/rulegen"
)

// TestLowerNeverPanics lowers the translation of every match and target
// option alone (the translator's own robustness walk), in both families and
// four tables: each must lower or be refused with an error, never panic.
func TestLowerNeverPanics(t *testing.T) {
	words := []string{"1", "0:65535", "x", "10.0.0.1", "10.0.0.0/8", "eth0", "0x1/0xff", "fe80::1", "a,b"}
	n, lowered := 0, 0
	refused := map[string]int{}
	for _, fam := range []parser.Family{parser.IPv4, parser.IPv6} {
		for _, table := range []string{"filter", "nat", "mangle", "raw"} {
			chain := map[string]string{"filter": "INPUT", "nat": "PREROUTING", "mangle": "PREROUTING", "raw": "PREROUTING"}[table]
			lines := rulegen.OptionLines(fam, chain, words)
			for _, l := range lines {
				d, _, err := parser.Parse("r", []byte("*"+table+"\n"+l+"\nCOMMIT\n"), parser.Options{Family: fam})
				if err != nil {
					continue
				}
				res := translate.Translate(d, translate.Options{})
				if res == nil || res.Ruleset == nil {
					continue
				}
				n++
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("family %d -t %s %s: panic: %v", fam, table, l, r)
						}
					}()
					if _, err := Lower(res.Ruleset); err == nil {
						lowered++
					} else if testing.Verbose() {
						msg := err.Error()
						if i := strings.LastIndex(msg, ": "); i >= 0 {
							msg = msg[i+2:]
						}
						refused[msg]++
					}
				}()
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d translations; the walk looks broken", n)
	}
	t.Logf("%d translations, %d lowered, the others refused with an error", n, lowered)
	for msg, k := range refused {
		t.Logf("refused %d×: %s", k, msg)
	}
}
