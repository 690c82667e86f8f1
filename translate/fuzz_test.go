package translate_test

// Fuzz tests: parsing and translating arbitrary input must never panic.
//
//	go test ./translate -run '^$' -fuzz FuzzParse -fuzztime 60s
//	go test ./translate -run '^$' -fuzz FuzzTranslate -fuzztime 60s
//
// Seeds: a few inline dumps and commands, plus (when the shared corpus sits
// next to the repository) a few real dumps and lines of them; each seed is
// tried in dump and in script mode.

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

var fuzzSeeds = []string{
	"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
	"*mangle\n-A OUTPUT -m recent --rcheck --seconds 5 --hitcount 3 --name x --rdest -j MARK --set-mark 3\nCOMMIT\n",
	"iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to 10.0.0.1:8080\n",
	"[1:2] -A INPUT \"a b\" ! -s 1.2.3.4/255.0.255.0 --dport ! 2\n",
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:reject - [0:0]\n" +
		"-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"ssh in\" -j ACCEPT\n" +
		"-A INPUT ! -s 10.0.0.0/8 -p udp -m udp --sport 53 -j reject\n-A reject -j DROP\nCOMMIT\n",
	"*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n[12:345] -A POSTROUTING -o eth0 -j RETURN\nCOMMIT\n",
	"# ip6tables-save\n*filter\n:INPUT DROP [0:0]\n-A INPUT -s fe80::/10 -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT\nCOMMIT\n",
	"ip6tables -t mangle -I PREROUTING 1 -p udp ! --dport 53 -j RETURN\n",
	"iptables -N my-chain\niptables -A FORWARD -i eth+ -o 'we ird' -g my-chain\niptables -P FORWARD DROP\n",
	"sudo iptables -A INPUT -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP \\\n  # trailing\n",
	"*filter\n-A INPUT -m tcp -p tcp --dport \"22\nCOMMIT\n",
	"*raw\n:PREROUTING ACCEPT\n-A PREROUTING -f -j ACCEPT\n",
	"IPT=/sbin/iptables\nf() { $IPT -A INPUT -j DROP; }\nfor p in 1 2; do [[ $p && x ]] || (( p++ )); done\ncase $1 in (a|b) iptables -F ;; esac\n" +
		"x=$(iptables -S \"$(echo ${y:-`z`})\") <<'E' cat\nbody\nE\niptables-restore <<-E\n\t*filter\n\tE\n",
}

// addSeeds adds every seed in both modes, plus up to 6 corpus dumps and 5
// rule lines of each (in script form).
func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "rulesets", "*.rules"))
	for i, fn := range files {
		if i >= 6 {
			break
		}
		src, err := os.ReadFile(fn)
		if err != nil {
			continue
		}
		f.Add(src, false)
		n := 0
		for _, l := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(l, "-A ") && n < 5 {
				f.Add([]byte("iptables "+l+"\n"), true)
				n++
			}
		}
	}
}

// FuzzParse: no input makes the parser panic, and it returns a dump or an
// error.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte, script bool) {
		d, _, err := parser.Parse("fuzz", src, parser.Options{Script: script})
		if err == nil && d == nil {
			t.Fatal("nil dump and nil error")
		}
	})
}

// FuzzTranslate: parse, translate (both layouts, with and without
// AllowPartial) and render never panic, and a translation renders
// deterministically.
func FuzzTranslate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte, script bool) {
		in := []translate.Input{{Name: "fuzz", Src: src}}
		a := translate.Files(in, parser.Options{Script: script}, translate.Options{AllowPartial: true})
		b := translate.Files(in, parser.Options{Script: script}, translate.Options{AllowPartial: true})
		if !bytes.Equal(a.Script, b.Script) {
			t.Fatal("non-deterministic output")
		}
		d, _, err := parser.Parse("fuzz", src, parser.Options{Script: script})
		if err != nil {
			return
		}
		for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables} {
			for _, partial := range []bool{false, true} {
				res := translate.Translate(d, translate.Options{Layout: layout, AllowPartial: partial})
				if res == nil || res.Ruleset == nil {
					t.Fatalf("layout=%s: no result", layout)
				}
				if err := translate.Render(io.Discard, res.Ruleset); err != nil {
					t.Fatalf("layout=%s: render: %v", layout, err)
				}
			}
		}
	})
}
