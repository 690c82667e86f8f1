//go:build linux

package translate_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedJumpDepth pins xt2nft's depth limit to the kernel's: a
// chain 15 jumps below a base chain translates and loads; at 16 xt2nft
// refuses, and the translation rendered anyway is refused by nft with
// "Too many links". If the kernel's limit moves, this fails.
func TestPrivilegedJumpDepth(t *testing.T) {
	nstest.Skip(t)
	ns := nstest.New(t, "depth")
	for _, depth := range []int{15, 16} {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n")
		for i := 1; i <= depth; i++ {
			fmt.Fprintf(&b, ":c%d - [0:0]\n", i)
		}
		b.WriteString("-A INPUT -j c1\n")
		for i := 1; i < depth; i++ {
			fmt.Fprintf(&b, "-A c%d -j c%d\n", i, i+1)
		}
		b.WriteString("COMMIT\n")
		d, _, err := parser.Parse("depth.rules", []byte(b.String()), parser.Options{Family: parser.IPv4})
		if err != nil {
			t.Fatal(err)
		}
		res := translate.Translate(d, translate.Options{})
		var out bytes.Buffer
		if err := translate.Render(&out, res.Ruleset); err != nil {
			t.Fatal(err)
		}
		_, stderr, loadErr := ns.NFT(out.String())
		switch {
		case depth == 15 && (res.Err() != nil || loadErr != nil):
			t.Errorf("depth 15: translation error %v, load error %v %s", res.Err(), loadErr, stderr)
		case depth == 16 && res.Err() == nil:
			t.Errorf("depth 16: xt2nft translated it")
		case depth == 16 && (loadErr == nil || !strings.Contains(stderr, "Too many links")):
			t.Errorf("depth 16: nft loaded it (or failed otherwise: %v %s); xt2nft's limit is wrong", loadErr, stderr)
		}
	}
}

// TestPrivilegedRuleSize pins the expression limit to the kernel's: a rule
// of 128 expressions translates and loads, one of 130 is refused by
// xt2nft and, rendered anyway, by nft ("Invalid argument").
func TestPrivilegedRuleSize(t *testing.T) {
	nstest.Skip(t)
	ns := nstest.New(t, "rulesize")
	for _, marks := range []int{63, 64} {
		line := "iptables -A INPUT" + strings.Repeat(" -m mark --mark 1", marks) + " -j ACCEPT\n"
		out := translate.Files([]translate.Input{{Name: "size.sh", Src: []byte(line)}}, parser.Options{Script: true},
			translate.Options{Check: nft.OversizeRules, AllowPartial: false})
		var script bytes.Buffer
		if err := translate.Render(&script, out.Ruleset); err != nil {
			t.Fatal(err)
		}
		_, stderr, loadErr := ns.NFT(script.String())
		switch {
		case marks == 63 && (out.Failed || loadErr != nil):
			t.Errorf("128 expressions: %v, load error %v %s", out.Diags, loadErr, stderr)
		case marks == 64 && !out.Failed:
			t.Errorf("130 expressions: xt2nft translated it")
		case marks == 64 && (loadErr == nil || !strings.Contains(stderr, "Invalid argument")):
			t.Errorf("130 expressions: nft loaded it (or failed otherwise: %v %s); the limit is wrong", loadErr, stderr)
		}
	}
}
