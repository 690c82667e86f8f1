//go:build linux

package translate_test

// TestPrivilegedRoundTrip: whatever xt2nft puts live can be saved with
// `nft list ruleset` and loaded again with the same meaning. Every golden
// translation and every corpus ruleset (both layouts) is loaded into a
// namespace, listed, and the listing loaded into a fresh namespace; the
// two listings must be identical, and so must the two kernels' bytecode
// (`nft --debug=netlink list ruleset`), up to the rewrites nft makes that
// keep the meaning (normBytecode). Behaviour after a reload is checked with
// packets by TestPrivilegedAudit and TestPrivilegedAuditGolden (their
// "reloaded" sides).

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

var (
	reNLRuleHead = regexp.MustCompile(`^(ip6?|inet|arp|bridge|netdev) (\S+) (\S+)( \d+)+$`)
	reNLCounter  = regexp.MustCompile(`\[ counter pkts \d+ bytes \d+ \]`)
	reNLCtKey    = regexp.MustCompile(`\[ ct load (src|dst)_ip6? =>`)
	reNLPrefix   = regexp.MustCompile(`^  \[ bitwise reg (\d+) = \( reg \d+ & (0x[0-9a-f]+(?: 0x[0-9a-f]+)*) \) \^ 0x0+(?: 0x0+)* \]$`)
	reNLQuota    = regexp.MustCompile(`(\[ quota bytes \d+ consumed )\d+( flags \d+ \])`)
	reNLLimit    = regexp.MustCompile(`\[ limit .*\]`)
	reNLCmp      = regexp.MustCompile(`^(  \[ cmp eq reg \d+ )((?:0x[0-9a-f]+ ?)+) \]$`)
	reExpires    = regexp.MustCompile(`expires [0-9hmsd]+`)
)

// normBytecode turns an nft --debug=netlink listing into comparable text:
// rule handles and counter values dropped, and two rewrites nft makes
// when it reads its own listing undone, both without changing what a
// packet meets:
//   - "ct load src" with a 4- or 16-byte compare is listed as "ct original
//     ip saddr" and read back as "ct load src_ip" (the key that names the
//     length): the same address;
//   - in IPv4 "ip protocol" is listed as a dependency and read back as
//     "meta l4proto": the same protocol byte;
//   - "ip protocol tcp" before a TCP option test (not a presence test) is
//     left out of the listing; the kernel's option load requires TCP;
//   - anonymous set elements come in any order;
//   - a masked compare with a prefix mask of whole bytes ("& 0x0000ffff",
//     then "cmp eq 0x0000640a") is listed as a prefix (10.100.0.0/16) and
//     read back as a compare of just those bytes: the mask line is dropped,
//     and the compare cut to the words of the prefix (an IPv4 value is
//     printed the same either way, an IPv6 one in fewer words).
func normBytecode(s string) string {
	var out []string
	fam := ""
	cut := 0 // words of a prefix compare whose mask line was dropped
	for _, l := range strings.Split(s, "\n") {
		if m := reNLRuleHead.FindStringSubmatch(l); m != nil {
			l, fam = m[1]+" "+m[2]+" "+m[3], m[1]
		}
		if fam == "ip" && l == "  [ payload load 1b @ network header + 9 => reg 1 ]" {
			l = "  [ meta load l4proto => reg 1 ]" // IPv4: the same byte
		}
		l = reNLCounter.ReplaceAllString(l, "[ counter ]")
		l = reNLCtKey.ReplaceAllString(l, "[ ct load ${1} =>")
		l = reNLQuota.ReplaceAllString(l, "${1}N${2}")
		if m := reNLPrefix.FindStringSubmatch(l); m != nil && bytePrefixMask(m[2]) {
			cut = (prefixBytes(m[2]) + 3) / 4
			continue
		}
		if m := reNLCmp.FindStringSubmatch(l); m != nil && cut > 0 {
			// The compare after a dropped mask: its value past the
			// prefix is zeros, and read back it is just the prefix
			// (one word for up to 4 bytes: IPv6 prefixes are shorter).
			if w := strings.Fields(m[2]); len(w) > cut {
				l = m[1] + strings.Join(w[:cut], " ") + " ]"
			}
		}
		cut = 0
		out = append(out, l)
	}
	// A TCP protocol test right before a TCP option load that is not a
	// presence test is dropped by the listing: the kernel's option load
	// ends the rule for any packet that is not TCP (nft_exthdr_tcp_eval),
	// so it was redundant.
	var kept []string
	// So is a protocol test that the rule repeats after a presence test
	// (xt2nft writes "ip protocol tcp tcp option maxseg missing ip protocol
	// tcp" so that the listing keeps the second).
	isTCP := func(i int) bool {
		return i+1 < len(out) && out[i] == "  [ meta load l4proto => reg 1 ]" && out[i+1] == "  [ cmp eq reg 1 0x00000006 ]"
	}
	for i := 0; i < len(out); i++ {
		if isTCP(i) && i+2 < len(out) && strings.HasPrefix(out[i+2], "  [ exthdr load tcpopt") {
			redundant := !strings.Contains(out[i+2], "present")
			for j := i + 2; j < len(out) && strings.HasPrefix(out[j], "  ["); j++ {
				redundant = redundant || isTCP(j)
			}
			if redundant {
				i++
				continue
			}
		}
		kept = append(kept, out[i])
	}
	// Elements of an anonymous set are listed in no fixed order.
	for i := 0; i < len(kept); {
		j := i
		for j < len(kept) && strings.HasPrefix(kept[j], "\telement ") {
			j++
		}
		if j > i {
			sort.Strings(kept[i:j])
			i = j
		} else {
			i++
		}
	}
	return strings.Join(kept, "\n")
}

// prefixBytes is the number of 0xff bytes of a byte prefix mask.
func prefixBytes(words string) int {
	n := 0
	for _, w := range strings.Fields(words) {
		var v uint32
		fmt.Sscanf(w, "0x%x", &v)
		for _, c := range []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} {
			if c == 0xff {
				n++
			}
		}
	}
	return n
}

// bytePrefixMask: words as nft prints them (little-endian 32-bit words of
// a big-endian value) whose bytes are 0xff... then 0x00....
func bytePrefixMask(words string) bool {
	var b []byte
	for _, w := range strings.Fields(words) {
		var v uint32
		fmt.Sscanf(w, "0x%x", &v)
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	zero := false
	for _, c := range b {
		switch {
		case c == 0xff && !zero:
		case c == 0:
			zero = true
		default:
			return false
		}
	}
	return zero
}

// roundTripEquivalent are cases whose bytecode nft rewrites on reload in a
// way normBytecode does not undo, with why the meaning is the same and the
// test of it with packets.
var roundTripEquivalent = map[string]string{
	"golden/l4-tos6": "@nh,4,8 0x20 (traffic class 0x20) is listed as \"ip6 dscp cs1 ip6 ecn not-ect\": two compares of the same 8 bits; TestPrivilegedAuditGolden/l4-tos6 sends several traffic classes through the reloaded rule",
}

func TestPrivilegedRoundTrip(t *testing.T) {
	nstest.Skip(t)
	type item struct{ name, script string }
	var items []item
	for _, c := range goldenCases(t) {
		b, err := os.ReadFile(filepath.Join(c.Dir, "expected.nft"))
		if err != nil {
			continue // error cases
		}
		items = append(items, item{"golden/" + c.Name, string(b)})
	}
	if dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus", "rulesets")); err == nil {
		files, _ := filepath.Glob(filepath.Join(dir, "*.rules"))
		if len(files) == 0 {
			t.Logf("no corpus rulesets in %s: golden cases only", dir)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, layout := range []translate.Layout{translate.LayoutXT2NFT, translate.LayoutIPTables, translate.LayoutInet} {
				out := translate.Files([]translate.Input{{Name: filepath.Base(f), Src: src}}, parser.Options{}, translate.Options{Layout: layout})
				if out.Failed {
					t.Errorf("%s (%s layout): translation failed: %s", filepath.Base(f), layout, strings.Join(out.Diags, "; "))
					continue
				}
				items = append(items, item{fmt.Sprintf("corpus/%s/%s", strings.TrimSuffix(filepath.Base(f), ".rules"), layout), string(out.Script)})
			}
		}
	}
	// The corpus's IPv4 and IPv6 dumps of one host, in one inet table.
	for _, p := range corpusPairs(t) {
		out := translate.Files(p.inputs, parser.Options{}, translate.Options{Layout: translate.LayoutInet})
		if out.Failed {
			t.Errorf("%s (inet layout): translation failed: %s", p.name, strings.Join(out.Diags, "; "))
			continue
		}
		items = append(items, item{"corpus/" + p.name + "/inet-pair", string(out.Script)})
	}
	for _, it := range items {
		t.Run(it.name, func(t *testing.T) {
			t.Parallel()
			first, firstNL := loadList(t, it.script)
			if first == "" {
				return
			}
			second, secondNL := loadList(t, "flush ruleset\n"+first)
			if second == "" {
				t.Errorf("the listing does not load again:\n%s", numbered(first))
				return
			}
			// Counters and the time elements have left move between listings.
			norm := func(l string) string {
				return reExpires.ReplaceAllString(reCounter.ReplaceAllString(l, "counter"), "expires T")
			}
			if a, b := norm(first), norm(second); a != b {
				t.Errorf("the reloaded listing differs:\n%s", lineDiff(a, b))
			}
			if a, b := normBytecode(reExpires.ReplaceAllString(firstNL, "expires T")), normBytecode(reExpires.ReplaceAllString(secondNL, "expires T")); a != b {
				if why := roundTripEquivalent[it.name]; why != "" {
					t.Logf("bytecode rewritten on reload, same meaning: %s", why)
					return
				}
				t.Errorf("the reloaded ruleset's bytecode differs (its meaning changed):\n%s", lineDiff(a, b))
			}
		})
	}
}

// loadList loads script into a fresh namespace and returns nft list
// ruleset and its bytecode ("" after reporting a failure).
func loadList(t *testing.T, script string) (listing, bytecode string) {
	ns := nstest.New(t, "rt")
	defer ns.Close()
	if _, stderr, err := ns.NFT(script); err != nil {
		t.Errorf("load: %v: %s", err, stderr)
		return "", ""
	}
	l, stderr, err := ns.NFT("", "list", "ruleset")
	if err != nil {
		t.Errorf("list: %v: %s", err, stderr)
		return "", ""
	}
	nl, stderr, err := ns.NFT("", "--debug=netlink", "list", "ruleset")
	if err != nil {
		t.Errorf("list --debug=netlink: %v: %s", err, stderr)
		return "", ""
	}
	return l, nl
}

// lineDiff shows the first lines where a and b differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n  first:    %s\n  reloaded: %s", i+1, x, y))
			if len(out) == 5 {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// corpusPair is an IPv4 and an IPv6 dump of the corpus from one source.
type corpusPair struct {
	name   string
	inputs []translate.Input
}

// corpusPairs finds the corpus rulesets that come as an IPv4 and an IPv6
// dump (NAME.rules and NAME.v6.rules, or the ip6tables file of an iptables
// one); none when the corpus is absent.
func corpusPairs(t testing.TB) []corpusPair {
	dir := filepath.Join("..", "..", "shared", "corpus", "rulesets")
	v6s, _ := filepath.Glob(filepath.Join(dir, "*.v6.rules"))
	var out []corpusPair
	for _, v6 := range v6s {
		base := strings.TrimSuffix(filepath.Base(v6), ".v6.rules")
		for _, v4 := range []string{base + ".rules", strings.Replace(base, "ip6tables", "iptables", 1) + ".rules"} {
			a, err1 := os.ReadFile(filepath.Join(dir, v4))
			b, err2 := os.ReadFile(v6)
			if err1 != nil || err2 != nil {
				continue
			}
			out = append(out, corpusPair{strings.TrimSuffix(v4, ".rules"), []translate.Input{{Name: v4, Src: a}, {Name: filepath.Base(v6), Src: b}}})
			break
		}
	}
	return out
}
