package clidoc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ManDate is the date man pages carry: fixed, so that regenerating them
// changes nothing unless the description or a flag did.
var ManDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Files are the generated files of a page, by path relative to the
// repository root: doc/NAME.SECTION, doc/completion/NAME.bash and
// doc/completion/_NAME (zsh).
func (p *Page) Files() map[string][]byte {
	var man, bash, zsh bytes.Buffer
	p.Man(&man, ManDate)
	p.Bash(&bash)
	p.Zsh(&zsh)
	return map[string][]byte{
		filepath.Join("doc", fmt.Sprintf("%s.%d", p.Name, p.Section)): man.Bytes(),
		filepath.Join("doc", "completion", p.Name+".bash"):            bash.Bytes(),
		filepath.Join("doc", "completion", "_"+p.Name):                zsh.Bytes(),
	}
}

// Check compares a page's generated files with those under root; with
// update it rewrites them. It returns the paths that differ.
func (p *Page) Check(root string, update bool) ([]string, error) {
	var stale []string
	for rel, want := range p.Files() {
		path := filepath.Join(root, rel)
		if update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				return nil, err
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			stale = append(stale, rel)
		}
	}
	return stale, nil
}
