//go:build linux

package main

import (
	"strings"
	"testing"
)

// TestPrivilegedMaskedList: on a list with --mask, nft-side add, show and
// del key the address as the rules key packets (ADDR & mask), so what
// recentctl adds is what the rules see.
func TestPrivilegedMaskedList(t *testing.T) {
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -p udp --dport 1 -m recent --set --name net24 --mask 255.255.255.0\n" +
		"-A INPUT -p udp --dport 2 -m recent --rcheck --seconds 600 --name net24 -j ACCEPT\nCOMMIT\n"
	ns, _, run := nftLab(t, "mask", rules)
	rc := func(args ...string) string { t.Helper(); return run("", args...) }
	rc("add", "net24", "10.2.0.7")
	set, _, err := ns.NFT("", "list", "set", "ip", "xt2nft", "recent_net24_last_600")
	if err != nil || !strings.Contains(set, "10.2.0.0 ") || strings.Contains(set, "10.2.0.7") {
		t.Fatalf("add did not store the masked address: %v\n%s", err, set)
	}
	if got := rc("show", "net24", "10.2.0.99"); !strings.Contains(got, "10.2.0.0") {
		t.Fatalf("show of another address of the /24:\n%s", got)
	}
	rc("del", "net24", "10.2.0.5")
	if set, _, _ := ns.NFT("", "list", "set", "ip", "xt2nft", "recent_net24_last_600"); strings.Contains(set, "10.2.0.0") {
		t.Fatalf("del of an address of the /24 left the entry:\n%s", set)
	}
}
