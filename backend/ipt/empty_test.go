package ipt

import (
	"strings"
	"testing"
)

func TestEmptyTable(t *testing.T) {
	got, err := EmptyTable("filter", []string{"ssh", "two words"})
	if err != nil {
		t.Fatal(err)
	}
	want := "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:xt2nft-keep-lists - [0:0]\n" +
		"-A xt2nft-keep-lists -m recent --rcheck --hitcount 1 --name ssh\n" +
		"-A xt2nft-keep-lists -m recent --rcheck --hitcount 1 --name \"two words\"\nCOMMIT\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := EmptyTable("broute", nil); err == nil {
		t.Error("an unknown table was emptied")
	}
}

// TableEmptiness tells an emptied table (with or without the chain that
// keeps the lists) from one with rules, user chains or DROP policies.
func TestTableEmptiness(t *testing.T) {
	kept, _ := EmptyTable("filter", []string{"ssh"})
	for _, c := range []struct {
		sec         string
		empty, kept bool
	}{
		{"*nat\n:PREROUTING ACCEPT [5:300]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n", true, false},
		{string(kept), true, true},
		{strings.Replace(string(kept), "-A xt2nft-keep-lists", "[3:4] -A xt2nft-keep-lists", 1), true, true},
		{"*filter\n:INPUT DROP [0:0]\nCOMMIT\n", false, false},
		{"*filter\n:INPUT ACCEPT [0:0]\n:mine - [0:0]\nCOMMIT\n", false, false},
		{"*filter\n:INPUT ACCEPT [0:0]\n[1:2] -A INPUT -j ACCEPT\nCOMMIT\n", false, false},
	} {
		if e := TableEmptiness([]byte(c.sec)); e.Empty != c.empty || e.Kept != c.kept {
			t.Errorf("%q: %+v, want empty %v kept %v", c.sec, e, c.empty, c.kept)
		}
	}
}
