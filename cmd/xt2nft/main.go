// Command xt2nft translates iptables-save dumps and iptables command scripts
// into an nft script.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
