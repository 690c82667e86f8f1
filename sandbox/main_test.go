package sandbox

import (
	"os"
	"testing"
)

// TestMain lets the test binary be the sandbox's init and shims, as
// xt2nft's main does.
func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}
