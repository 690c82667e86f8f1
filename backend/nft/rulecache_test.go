package nft

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The record's file reads back as written, and nothing shorter, longer or
// altered in its structure reads as a record.
func TestRecordEncoding(t *testing.T) {
	rc := &ruleCache{Gen: 7, Tables: map[string]map[string][]cachedRule{
		"ip xt2nft":  {"filter_INPUT": {{H: 4, D: digest{1}}, {H: 1 << 40, D: digest{2, 3}}}, "empty": {}},
		"ip6 xt2nft": {"filter_INPUT": {{H: 9, D: digest{15: 9}}}},
	}}
	b := encodeCache(rc)
	got := decodeCache(b)
	if got == nil {
		t.Fatal("the record does not read back")
	}
	// An empty chain reads back as an empty slice.
	got.Tables["ip xt2nft"]["empty"] = rc.Tables["ip xt2nft"]["empty"]
	if d := cmp.Diff(rc, got); d != "" {
		t.Errorf("read back (-written +read):\n%s", d)
	}
	for n := range len(b) {
		if decodeCache(b[:n]) != nil {
			t.Fatalf("the first %d of %d bytes read as a record", n, len(b))
		}
	}
	if decodeCache(append(b, 0)) != nil {
		t.Error("a record with a byte more read as one")
	}
	if decodeCache(append([]byte("xt2nft rules 0\n"), b[len(cacheMagic):]...)) != nil {
		t.Error("another version's record read as one")
	}
}
