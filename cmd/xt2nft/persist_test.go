package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xt2nft/xt2nft/parser"
)

// bootReport names what would restore legacy rules at boot, from the unit
// files and configuration present, and changes nothing.
func TestBootReport(t *testing.T) {
	root := t.TempDir()
	mk := func(p, content string) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := bootReport(root, "/etc/nftables.conf"); len(got) != 1 || !strings.Contains(got[0], "no nftables.service") {
		t.Errorf("an empty root: %q", got)
	}
	mk("lib/systemd/system/netfilter-persistent.service", "")
	link("/lib/systemd/system/netfilter-persistent.service", "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service")
	mk("etc/iptables/rules.v4", "*filter\nCOMMIT\n")
	mk("usr/lib/systemd/system/iptables.service", "")
	mk("etc/sysconfig/iptables", "")
	mk("lib/systemd/system/ufw.service", "")
	mk("etc/ufw/ufw.conf", "# comment\nENABLED=yes\n")
	mk("usr/lib/systemd/system/firewalld.service", "")
	link("/dev/null", "etc/systemd/system/firewalld.service")
	mk("etc/firewalld/firewalld.conf", "FirewallBackend=iptables\n")
	mk("lib/systemd/system/docker.service", "")
	mk("usr/sbin/xtables-legacy-multi", "")
	link("xtables-legacy-multi", "usr/sbin/iptables")
	mk("lib/systemd/system/nftables.service", "")
	mk("etc/nftables.conf", "")
	before := snapshotTree(t, root)
	got := strings.Join(bootReport(root, "/etc/other.nft"), "\n")
	for _, want := range []string{
		"netfilter-persistent.service is enabled; it loads /etc/iptables/rules.v4 with iptables-restore at boot",
		"iptables.service is installed, not enabled; it loads /etc/sysconfig/iptables",
		"ufw is installed and enabled (ENABLED=yes",
		"firewalld.service is masked", "FirewallBackend=iptables",
		"docker is installed: dockerd writes its NAT and filter rules",
		"`iptables` is /usr/sbin/xtables-legacy-multi",
		"nftables.service is installed, not enabled; it loads /etc/nftables.conf, not /etc/other.nft",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, got)
		}
	}
	if after := snapshotTree(t, root); after != before {
		t.Error("bootReport changed the files it looked at")
	}
}

func snapshotTree(t *testing.T, root string) string {
	var b strings.Builder
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().String() + "\n")
		}
		return nil
	})
	return b.String()
}

// --persist refuses a path that is a symbolic link, before writing
// anything.
func TestPersistRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep me\n"), 0o644)
	link := filepath.Join(dir, "nftables.conf")
	os.Symlink(target, link)
	err := writeChecked(link, []byte("table ip t\n"))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("writing through a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
		t.Errorf("the link's target changed: %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files left: %v", ents)
	}
}

// migrate takes no files and none of the flags that choose input.
func TestMigrateRefusesInputFlags(t *testing.T) {
	for _, args := range [][]string{{"migrate", "--script"}, {"migrate", "--ipsets", "x"}, {"migrate", "--counters"}, {"migrate", "rules.v4"}} {
		code, _, errs := xtNoRoot(t, args...)
		if code != exitError || !strings.Contains(errs, "migrate reads the live") {
			t.Errorf("%v: exit %d: %s", args, code, errs)
		}
	}
}

func xtNoRoot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e strings.Builder
	code := run(args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

// twice names the targets that a packet meeting them twice (both
// firewalls live) does not get once, and no others.
func TestTwice(t *testing.T) {
	for rule, want := range map[string]string{
		"-j MARK --set-xmark 0x10/0x0":                                    "flips bits outside its mask",
		"-j MARK --set-xmark 0x10/0xffffffff":                             "",
		"-j MARK --set-xmark 0x0/0xffffffef":                              "",
		"-j CONNMARK --set-xmark 0x10/0x0":                                "flips bits",
		"-j CONNMARK --save-mark --nfmask 0xf0 --ctmask 0xf":              "saves bits outside its ctmask",
		"-j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff":           "restores bits outside its nfmask",
		"-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff": "",
		"-j TTL --ttl-dec 1":                                              "steps the TTL",
		"-j TTL --ttl-set 64":                                             "",
		"-j TOS --set-tos 0x10/0x00":                                      "flips bits",
		"-j TOS --set-tos 0x10/0x3f":                                      "",
		"-j ACCEPT":                                                       "",
	} {
		d, _, err := parser.Parse("t", []byte("*mangle\n-A PREROUTING "+rule+"\nCOMMIT\n"), parser.Options{})
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		got := twice(d.Tables[0].Chain("PREROUTING").Rules[0])
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", rule, got, want)
		}
	}
}
