package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
)

// TestIptArgs: the shim finds the command of an iptables argv as
// iptables' getopt does, to tag exactly the rules it adds.
func TestIptArgs(t *testing.T) {
	for _, tc := range []struct {
		argv         string
		op           byte
		table, chain string
		counters     bool
	}{
		{"-A INPUT -p tcp --dport 22 -j ACCEPT", 'A', "filter", "INPUT", false},
		{"-t nat -I POSTROUTING 1 -j MASQUERADE", 'I', "nat", "POSTROUTING", false},
		{"-tmangle -AOUTPUT -j MARK --set-mark 1", 'A', "mangle", "OUTPUT", false},
		{"--table raw --append PREROUTING -j CT --notrack", 'A', "raw", "PREROUTING", false},
		{"--ins FORWARD -j DROP", 'I', "filter", "FORWARD", false},
		{"-w -R INPUT 2 -j DROP", 'R', "filter", "INPUT", false},
		{"-w 5 -W 100000 -t nat -C POSTROUTING -j MASQUERADE", 'C', "nat", "POSTROUTING", false},
		{"-A INPUT -c 5 6 -j ACCEPT", 'A', "filter", "INPUT", true},
		{"--set-counters 5,6 -A INPUT", 'A', "filter", "INPUT", true},
		{"-C INPUT -j ACCEPT", 'C', "filter", "INPUT", false},
		{"-nvL INPUT", 'L', "filter", "", false},
		{"-P FORWARD DROP", 'P', "filter", "FORWARD", false},
		{"-N web", 'N', "filter", "web", false},
	} {
		op, table, chain, counters := iptArgs(strings.Fields(tc.argv))
		if op != tc.op || table != tc.table || chain != tc.chain || counters != tc.counters {
			t.Errorf("iptArgs(%s) = %c %s %s %v; want %c %s %s %v", tc.argv, op, table, chain, counters,
				tc.op, tc.table, tc.chain, tc.counters)
		}
	}
}

// TestRestoreArgs: the shim finds iptables-restore's input file as
// iptables-restore does: -w and -W take the next argument unless it is an
// option (Kubernetes runs "iptables-restore -w 5 -W 100000 --noflush").
func TestRestoreArgs(t *testing.T) {
	for _, tc := range []struct {
		argv, opts, file string
		counters         bool
	}{
		{"-w 5 -W 100000 --noflush", "-w 5 -W 100000 --noflush", "", false},
		{"-w --noflush rules.v4", "-w --noflush", "rules.v4", false},
		{"--wait=5 -n -c rules.v4", "--wait=5 -n -c", "rules.v4", true},
		{"-w 2 -T nat -", "-w 2 -T nat", "-", false},
		{"--wait 3 --wait-interval 1000 rules", "--wait 3 --wait-interval 1000", "rules", false},
		{"--noflush -M /sbin/modprobe rules", "--noflush -M /sbin/modprobe", "rules", false},
	} {
		opts, file, counters := restoreArgs(false, strings.Fields(tc.argv))
		if strings.Join(opts, " ") != tc.opts || file != tc.file || counters != tc.counters {
			t.Errorf("restoreArgs(%s) = %q %q %v; want %q %q %v", tc.argv, opts, file, counters, tc.opts, tc.file, tc.counters)
		}
	}
}

// TestTagRestore: every rule line of a restore input gets [ID:ID+line].
func TestTagRestore(t *testing.T) {
	in := "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n[3:4] -I INPUT 1 -j DROP\n# -A comment\nCOMMIT\n"
	want := "*filter\n:INPUT ACCEPT [0:0]\n[100:103] -A INPUT -j ACCEPT\n[100:104] -I INPUT 1 -j DROP\n# -A comment\nCOMMIT\n"
	if got := string(tagRestore([]byte(in), 100)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestMatch: a command's argv is traced to the script lines that may have
// run it, through variables and prefixes; where records are attributed,
// the n-th record of commands alike on several lines takes the n-th line.
func TestMatch(t *testing.T) {
	script := `#!/bin/sh
IPT=/sbin/iptables
ipi='iptables -I INPUT'
$IPT -A INPUT -p tcp --dport $PORT -j ACCEPT
$ipi 1 -p udp --dport 53 -j ACCEPT
for s in a b; do sudo iptables -A INPUT -s "$s" -j DROP; done
iptables -A OUTPUT -j LOG
iptables -A OUTPUT -j LOG
ip rule add fwmark 3 lookup 300
`
	dir := t.TempDir()
	f := filepath.Join(dir, "s.sh")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	a := newAttribution(&Result{Script: f})
	for _, tc := range []struct {
		argv  string
		lines []int
	}{
		{"/sbin/iptables -A INPUT -p tcp --dport 22 -j ACCEPT", []int{4}},
		{"iptables -I INPUT 1 -p udp --dport 53 -j ACCEPT", []int{5}},
		{"iptables -A INPUT -s b -j DROP", []int{6}},
		{"iptables -A OUTPUT -j LOG", []int{7, 8}},
		{"ip rule add fwmark 3 lookup 300", []int{9}},
		{"iptables -A FORWARD -j DROP", nil},
	} {
		if got := a.match(strings.Fields(tc.argv)); !slices.Equal(got, tc.lines) {
			t.Errorf("match(%s) = lines %v, want %v", tc.argv, got, tc.lines)
		}
	}
	res := &Result{Script: f}
	for range 3 {
		res.Log = append(res.Log, Record{Argv: strings.Fields("iptables -A OUTPUT -j LOG")})
	}
	a = newAttribution(res)
	var got []int
	for _, i := range []int{2, 0, 1} { // asked in another order than the log's
		p, _ := a.where(&res.Log[i])
		got = append(got, p.Line)
	}
	got = []int{got[1], got[2], got[0]}
	if !slices.Equal(got, []int{7, 8, 0}) {
		t.Errorf("three records of the command on lines 7 and 8 are at lines %v, want [7 8 0] (no third line)", got)
	}
}

// TestInterpreter: the #! line decides the shell; none means /bin/sh.
func TestInterpreter(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		first string
		want  string
		bash  bool
	}{
		{"#!/bin/bash\n", "/bin/bash", true},
		{"#!/bin/sh -e\n", "/bin/sh -e", false},
		{"#!/usr/bin/env bash\n", "bash", true},
		{"iptables -A INPUT -j ACCEPT\n", "/bin/sh", false},
	} {
		f := filepath.Join(dir, "s")
		os.WriteFile(f, []byte(tc.first), 0o644)
		argv, bash, err := interpreter(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(argv, " "); !strings.HasSuffix(got, tc.want) || bash != tc.bash {
			t.Errorf("%q: %q bash=%v; want %q bash=%v", tc.first, got, bash, tc.want, tc.bash)
		}
	}
}

// TestReadSaved: tags are stripped and decoded; counters that are not the
// shims' (the script's own -c, or traffic) give no origin.
func TestReadSaved(t *testing.T) {
	res := &Result{Script: "s.sh", Log: []Record{
		{ID: 10, Tool: "iptables", Argv: []string{"iptables", "-A", "INPUT", "-j", "ACCEPT"}, File: "s.sh", Line: 3, Action: "iptables", Tagged: true},
		{ID: 20, Tool: "iptables-restore", Argv: []string{"iptables-restore"}, File: "s.sh", Line: 5, Action: "iptables", Tagged: true},
		{ID: 30, Tool: "iptables", Argv: []string{"iptables", "-P", "INPUT", "DROP"}, File: "s.sh", Line: 9, Action: "iptables", Done: true},
	}}
	a := newAttribution(res)
	text, lines := a.readSaved("*filter\n:INPUT DROP [7:9]\n[10:10] -A INPUT -j ACCEPT\n[20:23] -A INPUT -j DROP\n[11:99] -A INPUT -j LOG\nCOMMIT\n", 4)
	if want := "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -j DROP\n-A INPUT -j LOG\nCOMMIT\n"; text != want {
		t.Errorf("text:\n%s", text)
	}
	want := []parser.Pos{{}, {File: "s.sh", Line: 9}, {File: "s.sh", Line: 3}, {File: "s.sh", Line: 5}, {}}
	for i, w := range want {
		var got parser.Pos
		if o := lines[i].origin; o != nil {
			got = o.pos
		}
		if got != w {
			t.Errorf("line %d: origin %v, want %v", i+1, got, w)
		}
	}
	if o := lines[3].origin; o == nil || o.input != 3 {
		t.Errorf("restore input line: %+v", o)
	}
}
