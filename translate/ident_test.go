package translate

import "testing"

func TestSafeIdentKeywords(t *testing.T) {
	for in, want := range map[string]string{
		"reject":   "reject_chain",
		"dynamic":  "dynamic_chain",
		"jump":     "jump_chain",
		"state":    "state",
		"my-chain": "my-chain",
		"REJECT":   "REJECT", // the scanner is case-sensitive
		"Reject":   "Reject",
		"INPUT":    "INPUT",
		"1chain":   "_1chain",
		"a b":      "a_b",
	} {
		if got := safeIdent(in); got != want {
			t.Errorf("safeIdent(%q) = %q, want %q", in, got, want)
		}
	}
	if len(nftKeywords) < 100 {
		t.Errorf("nftKeywords has %d words; keywords.go looks truncated", len(nftKeywords))
	}
}
