package live

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The run directory is created 0700; one that another user owns, that
// others may write to, or that is a link is refused, not used or repaired.
func TestRunDirChecks(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "run")
	if _, err := openDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("created %v, %v; want a 0700 directory", fi.Mode(), err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := openDir(dir); err == nil || !strings.Contains(err.Error(), "mode 0755") {
		t.Errorf("a 0755 directory: %v", err)
	}
	link := filepath.Join(base, "link")
	target := filepath.Join(base, "target")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := openDir(link); err == nil || !strings.Contains(err.Error(), "not a link") {
		t.Errorf("a link: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("the owner check needs root (chown)")
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := openDir(dir); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("a directory owned by nobody: %v", err)
	}
}

// The socket is 0600 from the moment it exists, whatever the umask.
func TestSocketModeWithoutChmod(t *testing.T) {
	sock := confirmTestSock(t)
	ch := startWait(t, t.Context(), sock, 10_000_000_000, nil, nil)
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, %v", fi.Mode(), err)
	}
	if err := sendConfirm(sock); err != nil {
		t.Fatal(err)
	}
	result(t, ch)
}
