//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// writeChecked replaces the file only with what nft -c -f accepts; a
// refusal leaves the old file and no temporary one.
func TestPrivilegedPersistWriteChecked(t *testing.T) {
	nstest.Skip(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nftables.conf")
	os.WriteFile(path, []byte("# old\n"), 0o600)
	err := writeChecked(path, []byte("table ip t {\n\tchain c {\n\t\tip saddr 300.0.0.1 drop\n\t}\n}\n"))
	if err == nil || !strings.Contains(err.Error(), "nft -c -f refuses") {
		t.Fatalf("a ruleset nft refuses was written: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "# old\n" {
		t.Errorf("the old file changed: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}
	good := "table ip t\ndelete table ip t\ntable ip t {\n\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n"
	if err := writeChecked(path, []byte(good)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != good {
		t.Errorf("written: %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode changed to %v", fi.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}
}
