//go:build linux

package translate_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/backend/nft"
	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/golden"
	"github.com/xt2nft/xt2nft/translate"
)

// jsonUnsupported are golden cases nft 1.0.6's JSON cannot express, with
// the reason RenderJSON gives.
var jsonUnsupported = map[string]string{
	"recent-rttl":          "typeof",
	"recent-rttl6":         "typeof",
	"recent-rttl-hitcount": "typeof",
	// dnat to address . port from one map: nft 1.0.6 lists the map's type
	// as "ipv4_addr . inet_service" in JSON, refuses that form, and
	// crashes on the list form.
	"optimize-map": "concatenated values",
}

var expiresRE = regexp.MustCompile(`expires [0-9hmsd]+`)

// dropSetComments removes the comment lines of set declarations from an
// nft listing.
func dropSetComments(listing string) string {
	var out []string
	for _, l := range strings.Split(listing, "\n") {
		if strings.HasPrefix(l, "\t\tcomment ") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TestPrivilegedJSONGolden loads every golden case's JSON (RenderJSON) with
// nft -j -f in one namespace and its text (Render) with nft -f in another,
// and requires that nft lists both identically.
func TestPrivilegedJSONGolden(t *testing.T) {
	nstest.Skip(t)
	cases, err := golden.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, gc := range cases {
		gc.Topt.Check = nft.OversizeRules // as TestGolden: the command's rule-size check
		t.Run(gc.Name, func(t *testing.T) {
			t.Parallel()
			out := gc.Run()
			if out.Failed {
				t.Skip("an error case: no ruleset")
			}
			var js bytes.Buffer
			err := translate.RenderJSON(&js, out.Ruleset)
			if why, ok := jsonUnsupported[gc.Name]; ok {
				if err == nil || !strings.Contains(err.Error(), why) {
					t.Fatalf("want a refusal naming %q, got %v", why, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			text, jsonNS := nstest.New(t, "jtext"), nstest.New(t, "json")
			if _, stderr, err := text.NFT(string(out.Script)); err != nil {
				t.Fatalf("nft -f: %v\n%s", err, stderr)
			}
			if _, stderr, err := jsonNS.NFT(js.String(), "-j", "-f", "-"); err != nil {
				t.Fatalf("nft -j -f: %v\n%s\n%s", err, stderr, js.String())
			}
			want, _, err := text.NFT("", "list", "ruleset")
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := jsonNS.NFT("", "list", "ruleset")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, "\n\t\tcomment ") && strings.Contains(want, "\n\t\tcomment ") {
				// nft 1.0.6's JSON parser ignores set comments (it prints
				// them, and later nft reads them): compare without.
				t.Log("set comments dropped by nft's JSON parser")
				want = dropSetComments(want)
			}
			// Elements with a timeout list the time they have left.
			want, got = expiresRE.ReplaceAllString(want, "expires T"), expiresRE.ReplaceAllString(got, "expires T")
			if d := diff.Diff("text", []byte(want), "json", []byte(got)); d != nil {
				t.Errorf("the JSON form lists differently:\n%s", d)
			}
			// Loading it again replaces it.
			if _, stderr, err := jsonNS.NFT(js.String(), "-j", "-f", "-"); err != nil {
				t.Fatalf("nft -j -f (second load): %v\n%s", err, stderr)
			}
		})
	}
}
