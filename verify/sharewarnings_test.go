package verify

import (
	"testing"

	"github.com/xt2nft/xt2nft/verify/report"
)

// A probe compared in its batch (no per-probe counts: its fate differs,
// unattributed) and again alone (the counter of a warned rule differs):
// the fate difference takes that warning; another probe's does not.
func TestShareWarnings(t *testing.T) {
	p1 := report.Difference{Rule: "f:46", Probe: "udp 1.2.3.4:1 -> 5.6.7.8:9", Kind: "miss: ip protocol udp", Step: "probe"}
	fate := p1
	fate.What = "fate"
	ctr := p1
	ctr.What, ctr.Warned = "counter of f:56", "! --u32: a packet too short ..."
	other := p1
	other.Probe, other.What = "udp 1.2.3.4:2 -> 5.6.7.8:9", "fate"
	inVariant := fate
	inVariant.Variant = "f:44 removed"
	ds := []report.Difference{fate, ctr, other, inVariant}
	shareWarnings(ds)
	if ds[0].Warned != ctr.Warned {
		t.Errorf("the probe's fate difference: warned %q, want the counter's %q", ds[0].Warned, ctr.Warned)
	}
	if ds[2].Warned != "" {
		t.Errorf("another probe's difference took a warning: %q", ds[2].Warned)
	}
	if ds[3].Warned != "" {
		t.Errorf("the same probe in a variant took the ruleset's warning: %q", ds[3].Warned)
	}
}
