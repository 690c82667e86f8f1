package recent

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is one address of a list.
type Entry struct {
	Addr netip.Addr `json:"addr"`
	// TTL is the TTL of the last event (xt_recent only; 0 for entries added by hand).
	TTL uint8 `json:"ttl"`
	// LastSeen is how long ago the newest stamp was taken.
	LastSeen time.Duration `json:"last_seen_ns"`
	// Stamps are the ages of the stamps the list keeps, oldest first.
	Stamps []time.Duration `json:"stamps_ns,omitempty"`
	// Remaining is the time left before the entry leaves the list's longest
	// window (nft sets with a timeout); 0 when the entry does not expire.
	Remaining time.Duration `json:"remaining_ns,omitempty"`
	// AgeUnknown says the list does not know when the entry was last
	// seen (LastSeen is 0): an nft list of --set alone keeps only that
	// an address is there, and one with windows does not keep an entry's
	// age once it is past the longest.
	AgeUnknown bool `json:"age_unknown,omitempty"`
	// HitsUnknown says the list does not count an entry's stamps (Stamps
	// is empty): an nft list without a ring (no --hitcount) keeps none.
	HitsUnknown bool `json:"hits_unknown,omitempty"`
}

// Hits is the number of stamps kept.
func (e Entry) Hits() int { return len(e.Stamps) }

// List describes a list.
type List struct {
	Name    string `json:"name"`
	Backend string `json:"backend"` // "proc" or "nft"
	Entries int    `json:"entries"`
}

// Backend is a place recent lists live.
type Backend interface {
	// Lists returns every list.
	Lists(ctx context.Context) ([]List, error)
	// Has reports whether the backend has the list.
	Has(ctx context.Context, name string) (bool, error)
	// Show returns a list's entries.
	Show(ctx context.Context, name string) ([]Entry, error)
	// Add records an event for each address (as "+addr" does).
	Add(ctx context.Context, name string, addrs ...netip.Addr) error
	// Del removes addresses.
	Del(ctx context.Context, name string, addrs ...netip.Addr) error
	// Flush empties the list.
	Flush(ctx context.Context, name string) error
}

// CheckName refuses list names the kernel refuses (xt_check_proc_name) and
// any that could leave the list directory.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty list name")
	case name == "." || name == "..":
		return fmt.Errorf("bad list name %s", Quote(name))
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("bad list name %s: it cannot contain \"/\"", Quote(name))
	case len(name) > 199:
		return fmt.Errorf("list name %s is longer than the kernel's 199 characters", Quote(name))
	}
	return nil
}

// ParseAddr parses an address as recentctl accepts it: IPv4 or IPv6,
// without zone or prefix.
func ParseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad address %s", Quote(s))
	}
	return a, nil
}

// quoteMax bounds what a message quotes of its input.
const quoteMax = 64

// Quote quotes text from the command line, a file or the kernel for a
// message: escaped as a Go string, and cut to its first 64 bytes (on a
// character boundary) with its length when it is longer, so that a
// megabyte of input is not a megabyte of error message.
func Quote(s string) string {
	if len(s) <= quoteMax {
		return strconv.Quote(s)
	}
	cut := quoteMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// Note is an error that does not fail the command: what was asked was done,
// and the message says something the user should know.
type Note struct{ Msg string }

func (n *Note) Error() string { return n.Msg }
