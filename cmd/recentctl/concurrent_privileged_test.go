//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/backend/recent"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// TestPrivilegedConcurrentAdd runs eight recentctl add processes at once on
// one list, in /proc (xt_recent) and in the nft sets, and checks that no
// address is lost. 80 addresses stay under xt_recent's ip_list_tot (100).
func TestPrivilegedConcurrentAdd(t *testing.T) {
	nstest.Skip(t, "iptables-legacy-restore", "go")
	bin := filepath.Join(t.TempDir(), "recentctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -p udp --dport 1 -m recent --set --name conc\n" +
		"-A INPUT -p udp --dport 2 -m recent --rcheck --seconds 600 --name conc -j ACCEPT\nCOMMIT\n"
	for _, backend := range []string{"proc", "nft"} {
		t.Run(backend, func(t *testing.T) {
			ns := nstest.New(t, "conc-"+backend).Name
			load := exec.Command("ip", "netns", "exec", ns, "iptables-legacy-restore")
			if backend == "nft" {
				out := translate.Files([]translate.Input{{Name: "r", Src: []byte(rules)}}, parser.Options{}, translate.Options{})
				load = exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
				load.Stdin = strings.NewReader(string(out.Script))
			} else {
				load.Stdin = strings.NewReader(rules)
			}
			if out, err := load.CombinedOutput(); err != nil {
				t.Fatalf("load: %v %s", err, out)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for p := 0; p < 8; p++ {
				args := []string{"netns", "exec", ns, bin, "--backend", backend, "add", "conc"}
				for i := 0; i < 10; i++ {
					args = append(args, fmt.Sprintf("10.9.%d.%d", p, i+1))
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
						errs <- fmt.Errorf("%v: %s", err, out)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			out, err := exec.Command("ip", "netns", "exec", ns, bin, "--backend", backend, "show", "conc", "--json").CombinedOutput()
			if err != nil {
				t.Fatalf("show: %v %s", err, out)
			}
			var es []recent.Entry
			if err := json.Unmarshal(out, &es); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if len(es) != 80 {
				t.Errorf("%d addresses in the list after 8 concurrent adders of 10 each, want 80", len(es))
			}
		})
	}
}

// TestPrivilegedConcurrentRing runs four recentctl add processes at once,
// each adding the same 100 addresses to a --hitcount 4 list: every address
// must end with exactly four stamps (issue 9.8: without the per-list lock
// two processes read the same ring pointer, so events were lost, 3 hits,
// or one process failed deleting a pointer the other had moved).
func TestPrivilegedConcurrentRing(t *testing.T) {
	const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
		"-A INPUT -m recent --name ring --update --seconds 600 --hitcount 4 -j DROP\n" +
		"-A INPUT -m recent --name ring --set\nCOMMIT\n"
	ns, bin, _ := nftLab(t, "ring4", rules)
	args := []string{"netns", "exec", ns.Name, bin, "add", "ring"}
	for i := 1; i <= 100; i++ {
		args = append(args, fmt.Sprintf("10.3.0.%d", i))
	}
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				t.Errorf("%v: %s", err, out)
			}
		}()
	}
	wg.Wait()
	out, err := exec.Command("ip", "netns", "exec", ns.Name, bin, "show", "ring", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("show: %v %s", err, out)
	}
	var es []recent.Entry
	if err := json.Unmarshal(out, &es); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	hits := map[int]int{}
	for _, e := range es {
		hits[e.Hits()]++
	}
	if len(es) != 100 || hits[4] != 100 {
		t.Errorf("%d addresses, by hit count %v; want 100 with 4 hits", len(es), hits)
	}
}
