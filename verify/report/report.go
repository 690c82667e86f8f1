// Package report is what xt2nft verify found: the differences between the
// original firewall and its translation, the rules no probe reached and
// why, and the coverage; as text for a reader and as JSON for a machine.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Report is the outcome of one verify run.
type Report struct {
	// Original and Translation say what was compared ("iptables-legacy:
	// rules.v4" / "nft: xt2nft's translation, lowered as apply sends it").
	Original    string `json:"original"`
	Translation string `json:"translation"`
	Rules       int    `json:"rules"`
	Reached     int    `json:"reached"`
	// Coverage is Reached / Rules (1 when there are no rules).
	Coverage float64 `json:"coverage"`
	// Dead counts the rules no packet can reach, as the program shows
	// (their chain is never jumped to, an earlier rule takes all their
	// packets); LiveCoverage is Reached / (Rules - Dead).
	Dead         int     `json:"dead"`
	LiveCoverage float64 `json:"live_coverage"`
	// InVariant counts the rules no probe reached in the ruleset that
	// probes reached in a variant of it, made so that packets get to them
	// (the rules that took their packets removed, their chain entered);
	// VariantCoverage is (Reached + InVariant) / Rules.
	InVariant       int           `json:"reached_in_variant"`
	VariantCoverage float64       `json:"variant_coverage"`
	Probes          int           `json:"probes"`
	Packets         int           `json:"packets"`
	Duration        time.Duration `json:"duration_ns"`
	// Setup is the part of Duration spent building the labs and loading
	// both firewalls.
	Setup time.Duration `json:"setup_ns"`
	// Untranslated counts the rules the translation left out
	// (--allow-partial): what they do is not in the nft ruleset, whatever
	// the probes showed of the rest.
	Untranslated int          `json:"untranslated,omitempty"`
	Differences  []Difference `json:"differences"`
	Uncovered    []Uncovered  `json:"uncovered"`
	// Variants are the rules reached in a variant only, each with what
	// the variant changed (Reason).
	Variants []Uncovered `json:"variants"`
	// Notes are things the reader should know about the run (what the
	// lab could not reproduce: ip rule commands of a script, ...).
	Notes []string `json:"notes,omitempty"`
}

// Difference is one observable difference on one probe.
type Difference struct {
	// Rule is the iptables rule the probe was made for (FILE:LINE) and
	// its text.
	Rule     string `json:"rule"`
	RuleText string `json:"rule_text"`
	// Probe is the packet as a reader recognises it, Kind what it tests
	// ("hit", "miss: tcp dport 23").
	Probe string `json:"probe"`
	Kind  string `json:"kind"`
	// Step is the packet of the probe's exchange that differed ("probe",
	// "opens the reverse flow", ...).
	Step string `json:"step"`
	// What differed: "fate", "counter input.rules:12", "conntrack".
	What   string `json:"what"`
	Legacy string `json:"iptables"`
	NFT    string `json:"nft"`
	// Warned is the translator's warning on the rule whose behaviour
	// differs, when it said the translation is approximate.
	Warned string `json:"warned,omitempty"`
	// Variant, for a difference found in a variant of the ruleset, says
	// what the variant changed.
	Variant string `json:"variant,omitempty"`
}

// Uncovered is a rule no probe reached.
type Uncovered struct {
	Rule     string `json:"rule"`
	RuleText string `json:"rule_text"`
	Reason   string `json:"reason"`
	// Dead: no packet can reach the rule at all (not only no probe).
	Dead bool `json:"dead,omitempty"`
}

// OK reports whether no difference was found.
func (r *Report) OK() bool { return len(r.Differences) == 0 && r.Untranslated == 0 }

// Sort orders differences and uncovered rules by rule position.
func (r *Report) Sort() {
	sort.SliceStable(r.Differences, func(i, j int) bool { return lessPos(r.Differences[i].Rule, r.Differences[j].Rule) })
	sort.SliceStable(r.Uncovered, func(i, j int) bool { return lessPos(r.Uncovered[i].Rule, r.Uncovered[j].Rule) })
	sort.SliceStable(r.Variants, func(i, j int) bool { return lessPos(r.Variants[i].Rule, r.Variants[j].Rule) })
}

// lessPos orders FILE:LINE positions by file, then line.
func lessPos(a, b string) bool {
	fa, la := splitPos(a)
	fb, lb := splitPos(b)
	if fa != fb {
		return fa < fb
	}
	return la < lb
}

func splitPos(p string) (string, int) {
	i := strings.LastIndex(p, ":")
	n := 0
	if i >= 0 {
		fmt.Sscan(p[i+1:], &n)
		return p[:i], n
	}
	return p, 0
}

// WriteJSON writes the report as one JSON object.
// Lists with nothing in them are written [], never null.
func (r *Report) WriteJSON(w io.Writer) error {
	out := *r
	if out.Differences == nil {
		out.Differences = []Difference{}
	}
	if out.Uncovered == nil {
		out.Uncovered = []Uncovered{}
	}
	if out.Variants == nil {
		out.Variants = []Uncovered{}
	}
	r = &out
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a reader: the differences first, each
// with the rule, the probe and both sides; then the rules no probe
// reached; then the summary line with the coverage.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "original:    %s\ntranslation: %s\n", r.Original, r.Translation)
	if len(r.Differences) > 0 {
		fmt.Fprintf(&b, "\n%d difference(s):\n", len(r.Differences))
		for _, d := range r.Differences {
			fmt.Fprintf(&b, "\n%s: %s\n", d.Rule, d.RuleText)
			fmt.Fprintf(&b, "  probe (%s): %s\n", d.Kind, d.Probe)
			if d.Step != "probe" {
				fmt.Fprintf(&b, "  at the packet that %s\n", d.Step)
			}
			fmt.Fprintf(&b, "  %s differs:\n    iptables: %s\n    nft:      %s\n", d.What, d.Legacy, d.NFT)
			if d.Warned != "" {
				fmt.Fprintf(&b, "  (the translator warned: %s)\n", d.Warned)
			}
			if d.Variant != "" {
				fmt.Fprintf(&b, "  (found in %s)\n", d.Variant)
			}
		}
	}
	if len(r.Uncovered) > 0 {
		fmt.Fprintf(&b, "\n%d rule(s) no probe reached:\n", len(r.Uncovered))
		for _, u := range r.Uncovered {
			fmt.Fprintf(&b, "  %s: %s\n      %s\n", u.Rule, u.RuleText, u.Reason)
		}
	}
	if len(r.Variants) > 0 {
		fmt.Fprintf(&b, "\n%d rule(s) no probe reached in the ruleset, reached in a variant of it:\n", len(r.Variants))
		for _, u := range r.Variants {
			fmt.Fprintf(&b, "  %s: %s\n      %s\n", u.Rule, u.RuleText, u.Reason)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nnote: %s\n", n)
	}
	verdict := "no difference found"
	if len(r.Differences) > 0 {
		verdict = fmt.Sprintf("%d difference(s)", len(r.Differences))
	}
	if r.Untranslated > 0 {
		verdict += fmt.Sprintf(" in what was translated; %d rule(s) not translated (--allow-partial), so the translation does not do what they do", r.Untranslated)
	}
	dead := ""
	if r.Dead > 0 {
		dead = fmt.Sprintf(", %d/%d (%.1f%%) of the %d rules a packet can reach", r.Reached, r.Rules-r.Dead, 100*r.LiveCoverage, r.Rules-r.Dead)
	}
	if r.InVariant > 0 {
		dead += fmt.Sprintf("; with variants %d/%d (%.1f%%)", r.Reached+r.InVariant, r.Rules, 100*r.VariantCoverage)
	}
	fmt.Fprintf(&b, "\n%s; coverage %d/%d rules (%.1f%%)%s; %d probes, %d packets, %.1fs (labs %.1fs)\n",
		verdict, r.Reached, r.Rules, 100*r.Coverage, dead, r.Probes, r.Packets, r.Duration.Seconds(), r.Setup.Seconds())
	_, err := io.WriteString(w, b.String())
	return err
}
