package translate

// IPv4 addresses as iptables reads them (xtables_ipparse_any): 1 to 4
// dot-separated numbers, each 0-255 as xtables_strtoui reads it (xtUint), the missing ones 0 ("10/8" is 10.0.0.0/8, "127.1" 127.1.0.0);
// else what the resolver takes without asking DNS, inet_aton's forms
// ("0x100" is 0.0.1.0); a null mask makes any name match everything
// ("0/0", "any/0"). Measured: TestPrivilegedIPv4Spellings.

import (
	"errors"
	"math"
	"net/netip"
	"strings"

	"github.com/xt2nft/xt2nft/parser"
)

var errNotIPv4 = errors.New("not an IPv4 address")

// xtIPv4Numeric is xtables' numeric form (invalid when s is not one).
func xtIPv4Numeric(s string) netip.Addr {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}
	}
	var b [4]byte
	for i, p := range parts {
		v, ok := xtUint(p, 255)
		if !ok {
			return netip.Addr{}
		}
		b[i] = byte(v)
	}
	return netip.AddrFrom4(b)
}

// xtIPv4 reads an address iptables takes: its numeric form, else
// inet_aton's (a, a.b with b 24 bits, a.b.c with c 16 bits).
func xtIPv4(s string) (netip.Addr, error) {
	if a := xtIPv4Numeric(s); a.IsValid() {
		return a, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, errNotIPv4
	}
	var v uint64
	for i, p := range parts {
		last := i == len(parts)-1
		limit := uint64(255)
		if last {
			limit = 1<<(8*(5-len(parts))) - 1
		}
		// inet_aton takes digits only: no space or sign before them.
		n, ok := xtUint(p, limit)
		if !ok || p[0] < '0' || p[0] > '9' {
			return netip.Addr{}, errNotIPv4
		}
		if last {
			v |= n
		} else {
			v |= n << (8 * (3 - i))
		}
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), nil
}

// nullMask reports whether a mask is all zeros ("0", "00", "0.0.0.0",
// "::").
func nullMask(s string, fam parser.Family) bool {
	if v, ok := xtUint(s, math.MaxUint32); ok {
		return v == 0
	}
	if fam == parser.IPv6 {
		a, err := netip.ParseAddr(s)
		return err == nil && a.IsUnspecified()
	}
	return strings.Contains(s, ".") && xtIPv4Numeric(s) == netip.IPv4Unspecified()
}
