package translate

import (
	"strings"
	"testing"
)

// TestHashlimitBurst reads --hashlimit-burst as iptables 1.8.9 does. The
// wants are what iptables-legacy-save printed after iptables-legacy took
// each value (in a namespace): strtoul with base 0 and an end pointer, a
// lower-case k or m multiplying, the 1000000 limit after it.
func TestHashlimitBurst(t *testing.T) {
	for _, tc := range []struct{ burst, want string }{
		{"30/minute", "burst 30 packets"}, // FireHOL and copied guides write the rate's unit
		{"2k", "burst 2048 packets"},
		{"0x10", "burst 16 packets"},
		{"010", "burst 8 packets"},
		{"5M", "burst 5 packets"},
		{"1000001", "error"},
		{"1000001x", "error"},
		{"1m", "error"}, // 1048576 packets
		{"0", "error"},
		{"x", "error"},
	} {
		res, rules := miscTranslate(t, "iptables -A INPUT -m hashlimit --hashlimit-upto 1/s --hashlimit-name t --hashlimit-burst "+tc.burst)
		got := strings.Join(rules, "\n")
		if res.Err() != nil {
			got = "error"
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("--hashlimit-burst %s: got %q (%v), want %q", tc.burst, got, res.Err(), tc.want)
		}
	}
}
