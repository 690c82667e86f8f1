// Command genrules writes the iptables-save dump BenchmarkTranslate100k
// translates, so that other translators can be timed on the same input:
//
//	go run ./translate/internal/genrules -n 100000 > /tmp/100k.rules
//	/usr/bin/time -v iptables-restore-translate -f /tmp/100k.rules > /dev/null
//	go build -o /tmp/xt2nft ./cmd/xt2nft && /usr/bin/time -v /tmp/xt2nft /tmp/100k.rules > /dev/null
//
// By default (-mix auto) it uses only the rule templates xt2nft translates
// today, exactly like the benchmark; -mix all uses every template (see
// translate/rulegen). -multiport-share 0.1667 makes a sixth of the rules
// -m multiport rules (each an anonymous set in nft), the dump of issue 14:
//
//	go run ./translate/internal/genrules -n 100000 -multiport-share 0.1667 > /tmp/100k-mp.rules
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/xt2nft/xt2nft/translate/rulegen"
)

func main() {
	n := flag.Int("n", 100000, "number of rules")
	seed := flag.Uint64("seed", 1, "random seed")
	mix := flag.String("mix", "auto", "templates: auto (those xt2nft translates, as the benchmark) or all")
	mpShare := flag.Float64("multiport-share", 0, "share of all rules that use -m multiport (0: the templates' weight, about 5%; 0.1667: a sixth)")
	chains := flag.Int("chains", 0, "number of user chains (0: one per 500 rules)")
	flag.Parse()
	cfg := rulegen.Config{N: *n, Seed: *seed, Chains: *chains}
	if *mpShare > 0 {
		cfg.Share = map[string]float64{"multiport": *mpShare}
	}
	switch *mix {
	case "auto":
		ok, dropped := rulegen.Usable()
		cfg.Templates = ok
		if len(dropped) > 0 {
			fmt.Fprintf(os.Stderr, "genrules: templates left out (not translated yet): %s\n", strings.Join(dropped, ", "))
		}
	case "all":
	default:
		fmt.Fprintf(os.Stderr, "genrules: bad -mix %q (want auto or all)\n", *mix)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	st, err := rulegen.Generate(w, cfg)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genrules:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "genrules:", st)
}
