package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/xt2nft/xt2nft/sandbox"
)

var updateScripts = flag.Bool("update", false, "rewrite testscript files on cmp failure")

func TestMain(m *testing.M) {
	sandbox.Main()
	testscript.Main(m, map[string]func(){
		"xt2nft": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript checks the command-line contract: exit codes, stdin versus
// files, flags, and that diagnostics go to stderr and nft text to stdout.
func TestScript(t *testing.T) {
	golden, err := filepath.Abs("../../golden")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("XT2NFT_UPDATE") != "" || *updateScripts,
		Condition: func(cond string) (bool, error) {
			if cond == "privileged" {
				// As backend/nstest decides: XT2NFT_PRIVILEGED=1 and root.
				return os.Getenv("XT2NFT_PRIVILEGED") == "1" && os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("GOLDEN", golden)
			return nil
		},
	})
}
