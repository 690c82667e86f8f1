// Package version says which xt2nft a binary is: the version stamped in
// at build time (-ldflags "-X github.com/xt2nft/xt2nft/internal/version.Version=1.2.3",
// as the Debian package does), else the module version and VCS revision Go
// records in the binary, and the netfilter versions the tests ran against.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at build time; empty means "from the build info".
var Version = ""

// Tested are the versions of the kernel and tools the test suite proves
// the output against.
const Tested = "nftables 1.0.6, iptables 1.8.9 (legacy), Linux 6.18"

// String is the --version line of program name.
func String(name string) string {
	v := Version
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
				if len(rev) > 12 {
					rev = rev[:12]
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && dirty {
			rev += "+dirty"
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	if rev != "" {
		v += " (" + rev + ")"
	}
	return fmt.Sprintf("%s %s, %s; tested with %s", name, v, runtime.Version(), Tested)
}
