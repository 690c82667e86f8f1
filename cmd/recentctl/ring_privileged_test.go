//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestPrivilegedRingBigList: on a --hitcount list bigger than what is read
// whole, add finds each address's ring pointer element by element (the
// pipelined lookups), so events keep counting: three adds of an imported
// address make 1 + 3 stamps, capped by the ring at the hitcount (3).
func TestPrivilegedRingBigList(t *testing.T) {
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -m recent --name ring --update --seconds 600 --hitcount 3 -j DROP\n" +
		"-A INPUT -m recent --name ring --set\nCOMMIT\n"
	_, _, rc := nftLab(t, "ring", rules)
	type entry struct {
		Addr string `json:"addr"`
	}
	es := make([]entry, 5000)
	for i := range es {
		es[i].Addr = fmt.Sprintf("10.5.%d.%d", i/250, i%250+1)
	}
	imp, _ := json.Marshal([]map[string]any{{"name": "ring", "entries": es}})
	rc(string(imp), "import")
	if got := rc("", "show", "ring", "10.5.7.7"); !strings.Contains(got, "hits   1") {
		t.Fatalf("after import:\n%s", got)
	}
	for i := 0; i < 3; i++ {
		rc("", "add", "ring", "10.5.7.7")
	}
	if got := rc("", "show", "ring", "10.5.7.7"); !strings.Contains(got, "hits   3") {
		t.Fatalf("after three adds:\n%s", got)
	}
	if got := rc("", "show", "ring", "10.5.7.8"); !strings.Contains(got, "hits   1") {
		t.Fatalf("a neighbour changed:\n%s", got)
	}
}
