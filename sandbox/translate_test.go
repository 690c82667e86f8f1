package sandbox

import "testing"

// The stderr of two failed iptables-legacy 1.8.9 commands, as they print
// it: the reason on the prefix's line, or on the line after it.
func TestFailureReason(t *testing.T) {
	for _, c := range []struct{ stderr, want string }{
		{"iptables v1.8.9 (legacy): \nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n\nTry `iptables -h' or 'iptables --help' for more information.\n",
			"iptables v1.8.9 (legacy): The \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited."},
		{"iptables v1.8.9 (legacy): Couldn't load match `nosuch':No such file or directory\n\nTry `iptables -h' or 'iptables --help' for more information.\n",
			"iptables v1.8.9 (legacy): Couldn't load match `nosuch':No such file or directory"},
		{"", ""},
	} {
		if got := failureReason(c.stderr); got != c.want {
			t.Errorf("failureReason(%q) = %q, want %q", c.stderr, got, c.want)
		}
	}
}
