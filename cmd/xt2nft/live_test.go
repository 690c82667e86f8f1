package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend"
)

// The commands against backend.Fake: no root, no kernel. What the live
// sequence does is tested in backend/live; here, that the commands wire
// it up and report it (exit statuses, messages).

const fakeDump = `*filter
:INPUT DROP [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
`

func withFake(t *testing.T) *backend.Fake {
	t.Helper()
	f := backend.NewFake()
	dir, err := os.MkdirTemp("/tmp", "xc")
	if err != nil {
		t.Fatal(err)
	}
	fake, runDir = f, filepath.Join(dir, "run")
	t.Cleanup(func() {
		fake, runDir = nil, "/run/xt2nft"
		os.RemoveAll(dir)
	})
	return f
}

func runXT(args ...string) (int, string, string) {
	var o, e bytes.Buffer
	code := run(args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestLiveCommandsWithFake(t *testing.T) {
	f := withFake(t)
	f.Set(backend.Table{Family: "inet", Name: "bystander"}, "someone", "untouched")
	dir := t.TempDir()
	first := filepath.Join(dir, "first.v4")
	second := filepath.Join(dir, "second.v4")
	os.WriteFile(first, []byte(fakeDump), 0o644)
	os.WriteFile(second, []byte(strings.Replace(fakeDump, "22", "2222", 1)), 0o644)

	code, out, errs := runXT("plan", first)
	if code != planChanges || !strings.Contains(out, "+table ip xt2nft (xt2nft)") || !strings.Contains(out, "+\tfilter_INPUT: tcp dport 22 counter accept") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runXT("apply", first); code != exitOK || !strings.Contains(errs, "1 table, 1 line live") {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	before := f.Dump()
	if code, out, errs := runXT("plan", first); code != planNoChanges || out != "" || !strings.Contains(errs, "no changes") {
		t.Errorf("plan after apply: exit %d\n%s\n%s", code, out, errs)
	}

	// Unconfirmed: restored, exit 1, said after the fact.
	code, _, errs = runXT("apply", "--confirm", "200ms", second)
	if code != exitError || !strings.Contains(errs, "no confirmation within 200ms; previous ruleset restored") {
		t.Errorf("unconfirmed apply: exit %d: %s", code, errs)
	}
	if f.Dump() != before {
		t.Errorf("not restored:\n%s", f.Dump())
	}

	// xt2nft confirm keeps it; xt2nft rollback restores at once.
	for _, answer := range []string{"confirm", "rollback"} {
		done := make(chan string, 1)
		go func() {
			for i := 0; i < 100; i++ {
				time.Sleep(20 * time.Millisecond)
				if code, _, errs := runXT(answer); code == 0 {
					done <- ""
					return
				} else if i == 99 {
					done <- errs
				}
			}
		}()
		code, _, errs := runXT("apply", "--confirm", "20s", second)
		if msg := <-done; msg != "" {
			t.Fatalf("%s: %s", answer, msg)
		}
		if answer == "confirm" && (code != exitOK || !strings.Contains(f.Dump(), "dport 2222")) {
			t.Errorf("confirmed apply: exit %d: %s\n%s", code, errs, f.Dump())
		}
		if answer == "rollback" && (code != exitError || !strings.Contains(errs, "xt2nft rollback")) {
			t.Errorf("rolled back apply: exit %d: %s", code, errs)
		}
		runXT("apply", first)
	}

	// SIGHUP during the wait is a "no" (the signal goes to this process,
	// whose apply listens for it).
	go func() {
		time.Sleep(300 * time.Millisecond)
		syscall.Kill(os.Getpid(), syscall.SIGHUP)
	}()
	code, _, errs = runXT("apply", "--confirm", "20s", second)
	if code != exitError || !strings.Contains(errs, "not confirmed (interrupted by hangup); previous ruleset restored") {
		t.Errorf("SIGHUP: exit %d: %s", code, errs)
	}
	if f.Dump() != before {
		t.Errorf("not restored after SIGHUP:\n%s", f.Dump())
	}

	// Another tool's table of the same name.
	f.Set(backend.Table{Family: "ip", Name: "xt2nft"}, "iptables-nft", "theirs")
	if code, _, errs := runXT("apply", first); code != exitError || !strings.Contains(errs, "not created by xt2nft apply") {
		t.Errorf("apply over a foreign table: exit %d: %s", code, errs)
	}
	if code, _, errs := runXT("apply", "--replace-foreign", first); code != exitOK {
		t.Errorf("apply --replace-foreign: exit %d: %s", code, errs)
	}
	if !strings.Contains(f.Dump(), "table inet bystander (someone)\n\tuntouched\n") {
		t.Errorf("the bystander table changed:\n%s", f.Dump())
	}
}
