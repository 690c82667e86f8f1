//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/backend/recent"
)

// xtTB runs xt2nft in-process: exit status and standard error.
func xtTB(tb testing.TB, args ...string) (int, string) {
	tb.Helper()
	var o, e strings.Builder
	code := run(args, strings.NewReader(""), &o, &e)
	return code, e.String()
}

// BenchmarkPrivilegedMigrate20k migrates a host of 20,000 legacy rules,
// an SSH guard whose list has 100,000 entries (three stamps each), and an
// ipset blocklist of 100,000 addresses with timeouts; then the same host
// with --confirm 1s, unconfirmed, to time the rollback. xt_recent keeps
// at most ip_list_tot entries per list (100 by default, a parameter only
// the kernel command line sets where xt_recent is built in), so the
// 100,000 entries are a list file in a directory of the test's
// (migrateProcDir) that migrate reads instead of /proc: the kernel's list
// holds its few entries, and everything else, the batch with 400,000
// recent elements included, is real. Metrics: the whole run, the time
// both firewalls were live, the time from reading the lists to the
// commit, and the rollback (from the deadline to the exit).
//
//	XT2NFT_PRIVILEGED=1 go test ./cmd/xt2nft -run '^$' -bench Migrate20k -benchtime 1x
func BenchmarkPrivilegedMigrate20k(b *testing.B) {
	nstest.Skip(b, "iptables-legacy-restore", "ipset")
	const rules, entries = 20000, 100000
	var dump strings.Builder
	dump.WriteString("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
	dump.WriteString("-A INPUT -m set --match-set blocklist src -j DROP\n")
	dump.WriteString("-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --name ssh --set\n")
	dump.WriteString("-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP\n")
	for i := 0; i < rules-3; i++ {
		fmt.Fprintf(&dump, "-A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", i/256%256, i%256, 1000+i%7)
	}
	dump.WriteString("COMMIT\n")
	var sets strings.Builder
	sets.WriteString("create blocklist hash:ip family inet hashsize 65536 maxelem 131072 timeout 600\n")
	for i := 0; i < entries; i++ {
		fmt.Fprintf(&sets, "add blocklist 172.%d.%d.%d timeout %d\n", 16+i/65536, i/256%256, i%256, 60+i%500)
	}
	setup := func() (*nstest.NS, string) {
		ns := nstest.New(b, "mgbench")
		if _, stderr, err := ns.RunInput(sets.String(), "ipset", "restore"); err != nil {
			b.Fatal(stderr)
		}
		if _, stderr, err := ns.RunInput(dump.String(), "iptables-legacy-restore"); err != nil {
			b.Fatal(stderr)
		}
		dir := b.TempDir()
		j, hz, err := recent.KernelClock()
		if err != nil {
			b.Fatal(err)
		}
		var list strings.Builder
		for i := 0; i < entries; i++ {
			last := j - uint64(i%40)*hz/4
			fmt.Fprintf(&list, "src=192.%d.%d.%d ttl: 64 last_seen: %d oldest_pkt: 3 %d, %d, %d\n", 168+i/65536, i/256%256, i%256, last, last-2*hz, last-hz, last)
		}
		if err := os.WriteFile(filepath.Join(dir, "ssh"), []byte(list.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		return ns, dir
	}
	window := regexp.MustCompile(`both firewalls live for (\S+)`)
	gap := regexp.MustCompile(`the recent lists read (\S+) before`)
	caughtUp := regexp.MustCompile(`switch times \(RFC 3339\):.* caught-up (\S+)`)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ns, dir := setup()
		migrateProcDir = dir
		b.StartTimer()
		start := time.Now()
		code, errs := xtTB(b, "migrate", "--netns", ns.Name, "--recent-size", "131072")
		total := time.Since(start)
		b.StopTimer()
		if code != 0 {
			b.Fatalf("migrate: %s", errs)
		}
		w, g := window.FindStringSubmatch(errs), gap.FindStringSubmatch(errs)
		if w == nil || g == nil {
			b.Fatalf("no times in:\n%s", errs)
		}
		wd, _ := time.ParseDuration(w[1])
		gd, _ := time.ParseDuration(g[1])
		b.ReportMetric(total.Seconds(), "s/migrate")
		b.ReportMetric(float64(wd.Milliseconds()), "ms-both-live")
		b.ReportMetric(float64(gd.Milliseconds()), "ms-read-to-commit")
		b.Logf("migrate:\n%s", errs)

		ns2, dir2 := setup()
		migrateProcDir = dir2
		code, errs = xtTB(b, "migrate", "--netns", ns2.Name, "--recent-size", "131072", "--confirm", "1s")
		end := time.Now()
		if code == 0 || !strings.Contains(errs, "previous ruleset restored") {
			b.Fatalf("unconfirmed migrate: %s", errs)
		}
		// The wait starts once the catch-up is done: from its deadline to
		// the exit is the rollback.
		cu := caughtUp.FindStringSubmatch(errs)
		if cu == nil {
			b.Fatalf("no catch-up time in:\n%s", errs)
		}
		at, err := time.Parse(time.RFC3339Nano, cu[1])
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric((end.Sub(at) - time.Second).Seconds(), "s-rollback")
		migrateProcDir = ""
		ns.Close()
		ns2.Close()
	}
}
