//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// TestPrivilegedProgress: plan of a large ruleset draws a progress line
// (the step it is in, redrawn in place) when stderr is a terminal, and
// writes no progress at all when stderr is a pipe; its messages are the
// same either way.
func TestPrivilegedProgress(t *testing.T) {
	nstest.Skip(t, "nft")
	t.Setenv("XT2NFT_PROGRESS_AFTER", "0s")
	ns := nstest.New(t, "progress")
	var rules strings.Builder
	rules.WriteString("*filter\n:INPUT DROP [0:0]\n")
	for i := range 20000 {
		fmt.Fprintf(&rules, "-A INPUT -s 10.%d.%d.1 -p tcp --dport %d -j ACCEPT\n", i/256%256, i%256, 1+i%60000)
	}
	rules.WriteString("COMMIT\n")
	file := writeFile(t, "big.v4", rules.String())

	slave, shown := nstest.Terminal(t)
	var out bytes.Buffer
	code := run([]string{"plan", "--netns", ns.Name, file}, strings.NewReader(""), &out, slave)
	tty := shown()
	if code != planChanges {
		t.Fatalf("plan on a terminal: exit %d: %s", code, tty)
	}
	for _, want := range []string{"\r\x1b[Kxt2nft plan: ", "the kernel checks 1 table, 20,000 rules"} {
		if !strings.Contains(tty, want) {
			t.Errorf("the terminal shows no %q:\n%q", want, tty)
		}
	}
	if !strings.Contains(tty, "\x1b[Kxt2nft plan: the kernel accepts the new ruleset") {
		t.Errorf("a message is not on a line of its own after the progress line:\n%q", tty)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var piped bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); io.Copy(&piped, r) }()
	out.Reset()
	code = run([]string{"plan", "--netns", ns.Name, file}, strings.NewReader(""), &out, w)
	w.Close()
	wg.Wait()
	if code != planChanges {
		t.Fatalf("plan on a pipe: exit %d: %s", code, piped.String())
	}
	if strings.Contains(piped.String(), "\x1b") || strings.Contains(piped.String(), "\r") {
		t.Errorf("progress on a pipe:\n%q", piped.String())
	}
	if !strings.Contains(piped.String(), "xt2nft plan: the kernel accepts the new ruleset") {
		t.Errorf("the messages are missing on a pipe:\n%s", piped.String())
	}
}

// TestPrivilegedVerifyProgress: verify shows its steps and the probes sent
// on a terminal.
func TestPrivilegedVerifyProgress(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "nft")
	t.Setenv("XT2NFT_PROGRESS_AFTER", "0s")
	var rules strings.Builder
	rules.WriteString("*filter\n:INPUT DROP [0:0]\n")
	for i := range 20 {
		fmt.Fprintf(&rules, "-A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", i/200, i%200, 1000+i)
	}
	rules.WriteString("COMMIT\n")
	file := writeFile(t, "small.v4", rules.String())
	slave, shown := nstest.Terminal(t)
	var out bytes.Buffer
	code := run([]string{"verify", file}, strings.NewReader(""), &out, slave)
	tty := shown()
	if code != 0 {
		t.Fatalf("verify: exit %d: %s%s", code, out.String(), tty)
	}
	if !strings.Contains(tty, "\r\x1b[Kxt2nft verify: ") || !strings.Contains(tty, "probes") {
		t.Errorf("verify on a terminal shows no progress line:\n%q", tty)
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("the report has the progress line in it:\n%q", out.String())
	}
}
