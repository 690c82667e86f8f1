package translate_test

import (
	"bytes"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

var fuzzSeeds = []string{
	"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
	"*mangle\n-A OUTPUT -m recent --rcheck --seconds 5 --hitcount 3 --name x --rdest -j MARK --set-mark 3\nCOMMIT\n",
	"iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to 10.0.0.1:8080\n",
	"[1:2] -A INPUT \"a b\" ! -s 1.2.3.4/255.0.255.0 --dport ! 2\n",
}

// FuzzParse: no input makes the parser panic.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, src []byte, script bool) {
		parser.Parse("fuzz", src, parser.Options{Script: script})
	})
}

// FuzzTranslate: parse, translate and render never panic, and a successful
// translation renders deterministically.
func FuzzTranslate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, src []byte, script bool) {
		in := []translate.Input{{Name: "fuzz", Src: src}}
		a := translate.Files(in, parser.Options{Script: script}, translate.Options{AllowPartial: true})
		b := translate.Files(in, parser.Options{Script: script}, translate.Options{AllowPartial: true})
		if !bytes.Equal(a.Script, b.Script) {
			t.Fatal("non-deterministic output")
		}
	})
}
