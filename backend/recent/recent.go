package recent

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
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
		return fmt.Errorf("bad list name %q", name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("bad list name %q: it cannot contain \"/\"", name)
	case len(name) > 199:
		return fmt.Errorf("list name %q is longer than the kernel's 199 characters", name[:20]+"...")
	}
	return nil
}

// ParseAddr parses an address as recentctl accepts it: IPv4 or IPv6,
// without zone or prefix.
func ParseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad address %q", s)
	}
	return a, nil
}
