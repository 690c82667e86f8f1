//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// The recentctl goals, each timed as a whole recentctl process on
// a list whose set holds 1,000,000 addresses:
//
//	sudo XT2NFT_PRIVILEGED=1 go test ./cmd/recentctl -run '^$' -bench 1M -benchtime 3x
func BenchmarkImport1M(b *testing.B) {
	bin, ns, imp := bench1M(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "import", "--netns", ns)
		cmd.Stdin = bytes.NewReader(imp)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("import: %v: %s", err, out)
		}
	}
}

func BenchmarkAdd1M(b *testing.B)    { benchOne(b, "add", "fromList", "192.0.2.1") }
func BenchmarkDel1M(b *testing.B)    { benchOne(b, "del", "fromList", "10.0.0.7") }
func BenchmarkLookup1M(b *testing.B) { benchOne(b, "show", "fromList", "10.0.0.9") }

func benchOne(b *testing.B, args ...string) {
	bin, ns, imp := bench1M(b)
	cmd := exec.Command(bin, "import", "--netns", ns)
	cmd.Stdin = bytes.NewReader(imp)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("import: %v: %s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(bin, append(args, "--netns", ns)...).CombinedOutput(); err != nil {
			b.Fatalf("%v: %v: %s", args, err, out)
		}
	}
}

// bench1M is benchList of 1,000,000 addresses.
func bench1M(b *testing.B) (bin, ns string, imp []byte) { return benchList(b, 1000000) }

// benchList builds recentctl, loads the translation of a windowed recent
// list (one set, room for 2,000,000) into a namespace, and returns an
// import of n addresses.
func benchList(b *testing.B, size int) (bin, ns string, imp []byte) {
	nstest.Skip(b, "nft")
	bin = filepath.Join(b.TempDir(), "recentctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v: %s", err, out)
	}
	dump := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m recent --name fromList --set\n" +
		"-A INPUT -m recent --name fromList --rcheck --seconds 3600 -j ACCEPT\nCOMMIT\n"
	out := translate.Files([]translate.Input{{Name: "rules.v4", Src: []byte(dump)}}, parser.Options{}, translate.Options{RecentSize: 2000000})
	if out.Failed {
		b.Fatal(out.Diags)
	}
	n := nstest.New(b, "rc-bench")
	if _, stderr, err := n.NFT(string(out.Script)); err != nil {
		b.Fatalf("%v: %s", err, stderr)
	}
	type entry struct {
		Addr string `json:"addr"`
	}
	es := make([]entry, size)
	for i := range es {
		es[i].Addr = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	imp, err := json.Marshal([]map[string]any{{"name": "fromList", "entries": es}})
	if err != nil {
		b.Fatal(err)
	}
	return bin, n.Name, imp
}
