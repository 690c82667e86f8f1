package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMessagesBounded: a huge argument, flag or import value is quoted by
// a bounded prefix, not copied into the message (issue 9.9: a 10 MB bad
// address came back whole on stderr).
func TestMessagesBounded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "L"), nil, 0o644)
	big := strings.Repeat("x", 10<<20)
	imp, _ := json.Marshal([]map[string]any{{"name": "L", "entries": []map[string]string{{"addr": big}}}})
	for _, c := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"address", []string{"add", "L", big}, ""},
		{"list name", []string{"add", big, "10.0.0.1"}, ""},
		{"command", []string{big}, ""},
		{"flag", []string{"--" + big}, ""},
		{"backend", []string{"--backend", big, "list"}, ""},
		{"import address", []string{"import"}, string(imp)},
		{"import list name", []string{"import"}, `[{"name": "` + big + `"}]`},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"--backend", "proc", "--proc-dir", dir}, c.args...)
		if c.name == "backend" {
			args = c.args
		}
		if code := run(args, strings.NewReader(c.stdin), &stdout, &stderr); code == 0 {
			t.Errorf("%s: exit 0", c.name)
		}
		if n := stderr.Len(); n > 512 {
			t.Errorf("%s: %d bytes on stderr: %.200s", c.name, n, stderr.String())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "L")); len(b) != 0 {
		t.Errorf("written: %.40q", b)
	}
}
