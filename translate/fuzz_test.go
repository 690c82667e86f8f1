package translate_test

// Fuzz tests: parsing and translating arbitrary input must never panic.
//
//	go test ./translate -run '^$' -fuzz FuzzParse -fuzztime 60s
//	go test ./translate -run '^$' -fuzz FuzzTranslate -fuzztime 60s
//
// Seeds: a few dumps of the shared corpus (when present), lines of them,
// and a handful of inline dumps and commands.

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

var fuzzInline = []string{
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:reject - [0:0]\n" +
		"-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"ssh in\" -j ACCEPT\n" +
		"-A INPUT ! -s 10.0.0.0/8 -p udp -m udp --sport 53 -j reject\n-A reject -j DROP\nCOMMIT\n",
	"*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n[12:345] -A POSTROUTING -o eth0 -j RETURN\nCOMMIT\n",
	"# ip6tables-save\n*filter\n:INPUT DROP [0:0]\n-A INPUT -s fe80::/10 -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT\nCOMMIT\n",
	"iptables -A INPUT -p tcp --dport 80:90 -j ACCEPT\n",
	"ip6tables -t mangle -I PREROUTING 1 -p udp ! --dport 53 -j RETURN\n",
	"iptables -N my-chain\niptables -A FORWARD -i eth+ -o 'we ird' -g my-chain\niptables -P FORWARD DROP\n",
	"sudo iptables -A INPUT -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP \\\n  # trailing\n",
	"*filter\n-A INPUT -m tcp -p tcp --dport \"22\nCOMMIT\n",
	"*raw\n:PREROUTING ACCEPT\n-A PREROUTING -f -j ACCEPT\n",
}

// fuzzSeeds adds the inline seeds, plus up to maxFiles corpus dumps and their
// rule lines (in script form too).
func fuzzSeeds(f *testing.F, add func(data []byte)) {
	for _, s := range fuzzInline {
		add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "rulesets", "*.rules"))
	const maxFiles = 6
	for i, fn := range files {
		if i >= maxFiles {
			break
		}
		src, err := os.ReadFile(fn)
		if err != nil {
			continue
		}
		add(src)
		n := 0
		for _, l := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(l, "-A ") && n < 5 {
				add([]byte("iptables " + l + "\n"))
				n++
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, script := range []bool{false, true} {
			d, _, err := parser.Parse("fuzz", data, parser.Options{Script: script})
			if err == nil && d == nil {
				t.Fatalf("script=%v: nil dump and nil error", script)
			}
		}
	})
}

func FuzzTranslate(f *testing.F) {
	fuzzSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, script := range []bool{false, true} {
			d, _, err := parser.Parse("fuzz", data, parser.Options{Script: script})
			if err != nil {
				continue
			}
			for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables} {
				for _, partial := range []bool{false, true} {
					res := translate.Translate(d, translate.Options{Layout: layout, AllowPartial: partial})
					if res == nil || res.Ruleset == nil {
						t.Fatalf("script=%v layout=%s: no result", script, layout)
					}
					if err := translate.Render(io.Discard, res.Ruleset); err != nil {
						t.Fatalf("script=%v layout=%s: render: %v", script, layout, err)
					}
				}
			}
			// Rendering is deterministic.
			var a, b bytes.Buffer
			_ = translate.Render(&a, translate.Translate(d, translate.Options{AllowPartial: true}).Ruleset)
			_ = translate.Render(&b, translate.Translate(d, translate.Options{AllowPartial: true}).Ruleset)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("script=%v: two translations of the same dump render differently", script)
			}
		}
	})
}
