// Command xt2nft translates iptables-save dumps and iptables command scripts
// into an nft script.
package main

import (
	"os"

	"github.com/xt2nft/xt2nft/sandbox"
)

func main() {
	sandbox.Main() // the --exec sandbox starts this program again as its init and shims
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
