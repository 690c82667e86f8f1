package sandbox

import (
	"os"
	"path/filepath"
)

// Main runs this process as the sandbox's init or as one of its shims when
// it was started as one, and does not return then; otherwise it returns at
// once. Programs that call Run must call Main first in main (and in
// TestMain), because the sandbox starts the same executable again:
//
//	func main() {
//		sandbox.Main()
//		...
//	}
func Main() {
	name := filepath.Base(os.Args[0])
	if name == initName {
		os.Exit(initMain())
	}
	if _, ok := shims[name]; ok {
		// Only inside a sandbox: the marker exists in its private /run.
		if _, err := os.Stat(markerPath); err == nil {
			os.Exit(shimMain(name, os.Args[1:]))
		}
	}
}
