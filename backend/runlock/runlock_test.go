package runlock

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPrivateDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "run")
	if err := PrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("created %v %v", fi.Mode(), err)
	}
	os.Chmod(dir, 0o755)
	if err := PrivateDir(dir); err == nil || !strings.Contains(err.Error(), "mode 0755") {
		t.Errorf("a directory others may enter: %v", err)
	}
	link := filepath.Join(base, "link")
	os.Symlink(dir, link)
	if err := PrivateDir(link); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a symbolic link: %v", err)
	}
	if _, err := Lock(dir, "../x"); err == nil {
		t.Error("a lock name with a path accepted")
	}
}

// TestLockExcludes: a second Lock of the same name waits for the first to
// be released; another name does not.
func TestLockExcludes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	unlock, err := Lock(dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	other, err := Lock(dir, "b")
	if err != nil {
		t.Fatal(err)
	}
	other()
	var mu sync.Mutex
	released := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		u, err := Lock(dir, "a")
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		if !released {
			t.Error("second lock taken while the first was held")
		}
		mu.Unlock()
		u()
	}()
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	released = true
	mu.Unlock()
	unlock()
	<-done
	link := filepath.Join(dir, "c")
	os.Symlink(filepath.Join(t.TempDir(), "target"), link)
	if _, err := Lock(dir, "c"); err == nil {
		t.Error("lock through a symbolic link accepted")
	}
}

// TestLockContended: many goroutines taking one lock (each its own open
// file, as processes have) never overlap, and the file is gone afterwards.
func TestLockContended(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	var mu sync.Mutex
	holders, most := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				u, err := Lock(dir, "x")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				holders++
				most = max(most, holders)
				mu.Unlock()
				time.Sleep(100 * time.Microsecond)
				mu.Lock()
				holders--
				mu.Unlock()
				u()
			}
		}()
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d holders at once", most)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
}
