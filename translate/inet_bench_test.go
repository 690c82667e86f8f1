package translate_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// inetDumps are an IPv4 and an IPv6 dump of n rules each, in 20 user
// chains jumped to from INPUT: 7 rules in 10 the same in both (ports,
// interfaces, states), the others each family's own (addresses).
func inetDumps(n int) (v4, v6 []byte) {
	gen := func(v6 bool) []byte {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
		for c := 0; c < 20; c++ {
			fmt.Fprintf(&b, ":C%d - [0:0]\n", c)
		}
		for c := 0; c < 20; c++ {
			fmt.Fprintf(&b, "-A INPUT -i eth%d -j C%d\n", c, c)
		}
		for i := 0; i < n; i++ {
			c := i * 20 / n
			switch i % 10 {
			case 0, 1, 2:
				if v6 {
					fmt.Fprintf(&b, "-A C%d -s 2001:db8:%x::/48 -j DROP\n", c, i)
				} else {
					fmt.Fprintf(&b, "-A C%d -s 10.%d.%d.0/24 -j DROP\n", c, i>>16&255, i>>8&255)
				}
			case 3:
				fmt.Fprintf(&b, "-A C%d -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n", c)
			default:
				fmt.Fprintf(&b, "-A C%d -p tcp -m tcp --dport %d -j ACCEPT\n", c, i%60000+1)
			}
		}
		b.WriteString("COMMIT\n")
		return []byte(b.String())
	}
	return gen(false), gen(true)
}

// BenchmarkInet times parse + translate + render of an IPv4 and an IPv6
// dump of 50,000 rules each into one inet table, against the same into
// an ip and an ip6 table (--layout xt2nft): the difference is the merge.
//
//	go test ./translate -run '^$' -bench Inet -benchmem
func BenchmarkInet(b *testing.B) {
	v4, v6 := inetDumps(50000)
	in := []translate.Input{{Name: "rules.v4", Src: v4}, {Name: "rules.v6", Src: v6}}
	for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutInet} {
		b.Run(string(layout), func(b *testing.B) {
			b.SetBytes(int64(len(v4) + len(v6)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out := translate.Prepare(in, parser.Options{}, translate.Options{Layout: layout})
				if out.Failed {
					b.Fatal(out.Diags)
				}
				if err := translate.Render(io.Discard, out.Ruleset); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/rule")
		})
	}
}
