//go:build linux

package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xt2nft/xt2nft/lab"
)

// TestPrivilegedFullList checks that a legacy lab's recent list is seen
// full at ip_list_tot entries, and not one entry before.
func TestPrivilegedFullList(t *testing.T) {
	lab.Skip(t, "iptables-legacy-restore")
	l := lab.New(t, lab.Topology{})
	if err := l.IPTablesRestore(false, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m recent --set --name cap\nCOMMIT\n"); err != nil {
		t.Fatal(err)
	}
	tot := listTot()
	if tot == 0 || tot > 10000 {
		t.Skipf("xt_recent's ip_list_tot is %d", tot)
	}
	add := func(from, to int) {
		err := l.FW.Do(func() error {
			for i := from; i < to; i++ {
				if err := os.WriteFile(filepath.Join("/proc/thread-self/net/xt_recent", "cap"), []byte(fmt.Sprintf("+10.%d.%d.1\n", i/256, i%256)), 0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(0, tot-1)
	if got, _ := fullList(l.FW); got != "" {
		t.Fatalf("%d of %d entries: list %q seen full", tot-1, tot, got)
	}
	add(tot-1, tot)
	if got, _ := fullList(l.FW); got != "cap" {
		t.Fatalf("%d entries: got %q, want cap", tot, got)
	}
}
