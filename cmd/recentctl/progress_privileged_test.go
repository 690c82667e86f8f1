//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedProgress: import and export of a big list draw a progress
// line (the list and its place among the lists) on a terminal, and none on
// a pipe, where the messages are the same.
func TestPrivilegedProgress(t *testing.T) {
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -m recent --name big --set\n" +
		"-A INPUT -m recent --name big --rcheck --seconds 600 -j DROP\nCOMMIT\n"
	ns, bin, _ := nftLabWith(t, "progress", rules, translate.Options{RecentSize: 200000})
	imp := importOf("big", 60000)
	runOn := func(stderr func() (io.Writer, func() string), stdin string, args ...string) (string, string) {
		t.Helper()
		w, read := stderr()
		c := exec.Command(bin, append(args, "--netns", ns.Name)...)
		c.Env = append(os.Environ(), "XT2NFT_PROGRESS_AFTER=0s") // a fast machine ends a step within the default half second
		var out bytes.Buffer
		c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), &out, w
		if err := c.Run(); err != nil {
			t.Fatalf("recentctl %v: %v: %s", args, err, read())
		}
		return out.String(), read()
	}
	pty := func() (io.Writer, func() string) { return nstest.Terminal(t) }
	pipe := func() (io.Writer, func() string) {
		var b bytes.Buffer
		return &b, b.String
	}
	_, tty := runOn(pty, imp, "import")
	if !strings.Contains(tty, "\r\x1b[Krecentctl import: importing list \"big\" (1 of 1): 60,000 entries") {
		t.Errorf("import on a terminal shows no progress line:\n%q", tty)
	}
	exported, tty := runOn(pty, "", "export")
	if !strings.Contains(tty, "\r\x1b[Krecentctl export: ") {
		t.Errorf("export on a terminal shows no progress line:\n%q", tty)
	}
	if strings.Contains(exported, "\x1b") || strings.Count(exported, `"addr"`) != 60000 {
		t.Errorf("export's output (standard output) has %d addresses, or the progress line", strings.Count(exported, `"addr"`))
	}
	_, piped := runOn(pipe, imp, "import")
	if piped != "" {
		t.Errorf("import on a pipe wrote %q", piped)
	}
}
