//go:build linux

package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// nftLab builds recentctl, loads the translation of an iptables-save dump
// into a fresh namespace, and returns the namespace, the binary, and a
// function running it there (stdin, arguments) that fails the test on error.
func nftLab(t *testing.T, name, rules string) (*nstest.NS, string, func(stdin string, args ...string) string) {
	t.Helper()
	return nftLabWith(t, name, rules, translate.Options{})
}

// nftLabWith is nftLab with translation options.
func nftLabWith(t *testing.T, name, rules string, topt translate.Options) (*nstest.NS, string, func(stdin string, args ...string) string) {
	t.Helper()
	nstest.Skip(t, "nft", "go")
	bin := filepath.Join(t.TempDir(), "recentctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out := translate.Files([]translate.Input{{Name: "r", Src: []byte(rules)}}, parser.Options{}, topt)
	if out.Failed {
		t.Fatal(out.Diags)
	}
	ns := nstest.New(t, name)
	if _, stderr, err := ns.NFT(string(out.Script)); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	return ns, bin, func(stdin string, args ...string) string {
		t.Helper()
		c := exec.Command(bin, append(args, "--netns", ns.Name)...)
		c.Stdin = strings.NewReader(stdin)
		o, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("recentctl %v: %v: %s", args, err, o)
		}
		return string(o)
	}
}
