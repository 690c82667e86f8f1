// Command recentctl inspects and edits recent lists: xt_recent's
// /proc/net/xt_recent/NAME and the nft sets xt2nft makes for them.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
