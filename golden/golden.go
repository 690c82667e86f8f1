// Package golden enumerates the golden cases in this directory: each
// golden/<case>/input.rules with the xt2nft flags of its "# xt2nft: ..."
// line (iptables-restore ignores comments, so inputs stay valid), next to
// expected.nft and expected.warnings/expected.errors. A case may have a
// second input, input.v6.rules: an ip6tables dump given after input.rules,
// as in "xt2nft --layout inet rules.v4 rules.v6" (the flags are
// input.rules'). Tests of several packages (the translator, the netlink
// backend) run the same cases.
package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
	"github.com/xt2nft/xt2nft/translate/optimize"
)

// Case is one golden/<case> directory.
type Case struct {
	Name string
	Dir  string
	Src  []byte // input.rules
	// Src6 is input.v6.rules (nil: the case has one input).
	Src6 []byte
	Popt parser.Options
	Topt translate.Options
}

// Dir is the absolute path of the golden directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Cases lists every case, sorted by name.
func Cases() ([]Case, error) {
	dirs, err := filepath.Glob(filepath.Join(Dir(), "*", "input.rules"))
	if err != nil || len(dirs) == 0 {
		return nil, fmt.Errorf("no golden cases found in %s: %v", Dir(), err)
	}
	var out []Case
	for _, in := range dirs {
		dir := filepath.Dir(in)
		src, err := os.ReadFile(in)
		if err != nil {
			return nil, err
		}
		c := Case{Name: filepath.Base(dir), Dir: dir, Src: src}
		if b, err := os.ReadFile(filepath.Join(dir, "input.v6.rules")); err == nil {
			c.Src6 = b
		}
		if err := flags(src, &c.Popt, &c.Topt); err != nil {
			return nil, fmt.Errorf("%s: %v", in, err)
		}
		// ipsets.save: the ipsets the rules name, as `ipset save` prints
		// them (xt2nft --ipsets).
		if b, err := os.ReadFile(filepath.Join(dir, "ipsets.save")); err == nil {
			if c.Topt.IPSets, err = ipset.Parse("ipsets.save", b); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Run translates the case as the xt2nft command does.
func (c Case) Run() *translate.Output {
	return translate.Files(c.Inputs(), c.Popt, c.Topt)
}

// Inputs are the case's input files in the order the command gets them.
func (c Case) Inputs() []translate.Input {
	in := []translate.Input{{Name: "input.rules", Src: c.Src}}
	if c.Src6 != nil {
		in = append(in, translate.Input{Name: "input.v6.rules", Src: c.Src6})
	}
	return in
}

func flags(src []byte, popt *parser.Options, topt *translate.Options) error {
	lines := strings.SplitN(string(src), "\n", 6)
	for _, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		rest, ok := strings.CutPrefix(l, "# xt2nft:")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			name, val, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
			switch name {
			case "script":
				popt.Script = true
			case "family":
				popt.Family = parser.IPv4
				if val == "ipv6" {
					popt.Family = parser.IPv6
				}
			case "layout":
				topt.Layout = translate.Layout(val)
			case "table":
				topt.Table = val
			case "counters":
				topt.Counters = true
			case "strict":
				topt.Strict = true
			case "report":
				topt.Report = true
			case "optimize":
				topt.Optimize = optimize.Hook
			case "allow-partial":
				topt.AllowPartial = true
			case "recent-size":
				n, err := strconv.Atoi(val)
				if err != nil {
					return err
				}
				topt.RecentSize = n
			default:
				return fmt.Errorf("unknown flag %s", f)
			}
		}
	}
	return nil
}
