package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend/netns"
	"github.com/xt2nft/xt2nft/backend/nft"
)

// migrate --persist writes the nft tables as the kernel lists them once
// the switch is confirmed: what runs is what boots. The file replaces only
// those tables (each is created, deleted and declared again, so loading it
// twice is loading it once), declares the sets made from ipsets with their
// elements, and the sets that stand for recent lists and hashlimit meters
// empty (xt_recent lists start empty at boot too); counters start at
// zero. It is written to a new file next to PATH, checked with nft -c -f
// in a throwaway namespace (as the kernel at boot would see it, alone),
// synced and renamed over PATH; a PATH that is a symbolic link is refused,
// not followed or replaced.

// persistText is the file for the program's tables as live in ns.
func persistText(ns *netns.NS, prog *nft.Program) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#!/usr/sbin/nft -f\n# Written by xt2nft migrate --persist on %s from the nft tables live in %s.\n", time.Now().Format(time.RFC3339), ns)
	b.WriteString("# It replaces only these tables; the sets of recent lists and meters start empty.\n")
	for _, t := range prog.Replaces() {
		fmt.Fprintf(&b, "table %s %s\ndelete table %s %s\n", t.Family, t.Name, t.Family, t.Name)
	}
	for i, t := range prog.Replaces() {
		out, err := nftOutput(ns, "-s", "-t", "list", "table", t.Family, t.Name)
		if err != nil {
			return nil, err
		}
		b.Write(out)
		for _, sp := range prog.Tables[i].Sets {
			if !strings.HasPrefix(sp.Set.Comment, "ipset ") {
				continue
			}
			out, err := nftOutput(ns, "-s", "list", "set", t.Family, t.Name, sp.Set.Name)
			if err != nil {
				return nil, err
			}
			b.Write(out)
		}
	}
	return b.Bytes(), nil
}

func nftOutput(ns *netns.NS, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := ns.Command("nft", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nft %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// persistRuleset writes the live tables of prog to path.
func persistRuleset(ns *netns.NS, prog *nft.Program, path string) error {
	text, err := persistText(ns, prog)
	if err != nil {
		return fmt.Errorf("--persist: %w", err)
	}
	if err := writeChecked(path, text); err != nil {
		return fmt.Errorf("--persist: %w", err)
	}
	return nil
}

// writeChecked writes text to path atomically once nft -c -f accepts it.
func writeChecked(path string, text []byte) error {
	mode := uint32(0o644) // a new file; an old one keeps its mode
	if fi, err := os.Lstat(path); err == nil {
		mode = uint32(fi.Mode().Perm())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; xt2nft writes neither through it nor over it (give the path it points to)", path)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file", path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(dfd)
	tmp := fmt.Sprintf(".%s.xt2nft-%d.tmp", base, os.Getpid())
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return &fs.PathError{Op: "create", Path: filepath.Join(dir, tmp), Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, tmp))
	remove := func() { _ = unix.Unlinkat(dfd, tmp, 0) }
	werr := unix.Fchmod(fd, mode) // on the descriptor, not the path
	if werr == nil {
		_, werr = f.Write(text)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		remove()
		return werr
	}
	if err := nftCheckFile(filepath.Join(dir, tmp)); err != nil {
		remove()
		return err
	}
	if err := unix.Renameat(dfd, tmp, dfd, base); err != nil {
		remove()
		return &fs.PathError{Op: "rename", Path: path, Err: err}
	}
	return unix.Fsync(dfd)
}

// nftCheckFile has nft check a file in a throwaway namespace.
func nftCheckFile(path string) error {
	scratch, err := netns.Throwaway()
	if err != nil {
		return err
	}
	defer scratch.Close()
	out, err := scratch.Command("nft", "-c", "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("nft -c -f refuses what xt2nft would write (nothing was written): %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// bootRoot is the root of the file system bootReport looks at (tests
// give a directory of their own).
var bootRoot = "/"

// bootReport says, without changing anything, what on the host would put
// legacy rules back at boot, found by the unit files and configuration
// present under root, and whether nftables.service loads path.
func bootReport(root, path string) []string {
	at := func(p string) string { return filepath.Join(root, p) }
	exists := func(p string) bool { _, err := os.Stat(at(p)); return err == nil }
	unitDirs := []string{"etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}
	unit := func(name string) bool {
		for _, d := range unitDirs {
			if exists(filepath.Join(d, name)) {
				return true
			}
		}
		return false
	}
	enabled := func(name string) string {
		if t, err := os.Readlink(at("etc/systemd/system/" + name)); err == nil && t == "/dev/null" {
			return "masked"
		}
		if m, _ := filepath.Glob(at("etc/systemd/system/*.wants/" + name)); len(m) > 0 {
			return "enabled"
		}
		return "installed, not enabled"
	}
	var out []string
	if unit("netfilter-persistent.service") {
		var files []string
		for _, f := range []string{"etc/iptables/rules.v4", "etc/iptables/rules.v6"} {
			if exists(f) {
				files = append(files, "/"+f)
			}
		}
		s := "netfilter-persistent.service is " + enabled("netfilter-persistent.service")
		if len(files) > 0 {
			s += "; it loads " + strings.Join(files, " and ") + " with iptables-restore at boot, which would put the legacy rules back (systemctl disable netfilter-persistent, or move those files away)"
		} else {
			s += "; /etc/iptables/rules.v4 and rules.v6 are absent, so it loads nothing"
		}
		out = append(out, s)
	}
	for _, u := range []struct{ unit, file string }{{"iptables.service", "etc/sysconfig/iptables"}, {"ip6tables.service", "etc/sysconfig/ip6tables"}} {
		if !unit(u.unit) {
			continue
		}
		s := u.unit + " is " + enabled(u.unit)
		if exists(u.file) {
			s += "; it loads /" + u.file + " at boot, which would put legacy rules back (systemctl disable " + u.unit + ")"
		}
		out = append(out, s)
	}
	if unit("ufw.service") || exists("etc/ufw/ufw.conf") {
		s := "ufw is installed"
		if b, err := os.ReadFile(at("etc/ufw/ufw.conf")); err == nil && regexp.MustCompile(`(?m)^\s*ENABLED\s*=\s*yes\b`).Match(b) {
			s += " and enabled (ENABLED=yes in /etc/ufw/ufw.conf): at boot it writes its own rules with iptables, over the migrated ones (ufw disable, or replace ufw's rules by the migrated ones)"
		} else {
			s += ", not enabled"
		}
		out = append(out, s)
	}
	if unit("firewalld.service") {
		s := "firewalld.service is " + enabled("firewalld.service") + ": when it runs it owns the firewall"
		if b, err := os.ReadFile(at("etc/firewalld/firewalld.conf")); err == nil {
			if m := regexp.MustCompile(`(?m)^\s*FirewallBackend\s*=\s*(\S+)`).FindSubmatch(b); m != nil {
				s += " (FirewallBackend=" + string(m[1]) + ")"
			}
		}
		out = append(out, s)
	}
	if unit("docker.service") || exists("usr/bin/dockerd") {
		s := "docker is installed: dockerd writes its NAT and filter rules with iptables when it starts"
		if b, err := os.ReadFile(at("etc/docker/daemon.json")); err == nil && regexp.MustCompile(`"iptables"\s*:\s*false`).Match(b) {
			s = "docker is installed with \"iptables\": false in /etc/docker/daemon.json: it writes no rules"
		}
		out = append(out, s)
	}
	if t, err := filepath.EvalSymlinks(at("usr/sbin/iptables")); err == nil && strings.Contains(filepath.Base(t), "legacy") {
		out = append(out, "`iptables` is "+strings.TrimPrefix(t, strings.TrimSuffix(root, "/"))+": whatever runs iptables at boot writes legacy rules (update-alternatives --set iptables /usr/sbin/iptables-nft)")
	}
	nftConf := ""
	for _, f := range []string{"etc/nftables.conf", "etc/sysconfig/nftables.conf"} {
		if exists(f) || f == "etc/nftables.conf" && unit("nftables.service") && !exists("etc/sysconfig") {
			nftConf = "/" + f
			break
		}
	}
	if unit("nftables.service") {
		s := "nftables.service is " + enabled("nftables.service")
		if nftConf != "" && filepath.Clean(path) != filepath.Join(root, nftConf) && filepath.Clean(path) != nftConf {
			s += "; it loads " + nftConf + ", not " + path
		} else if nftConf != "" {
			s += "; it loads " + nftConf
		}
		out = append(out, s)
	} else {
		out = append(out, "no nftables.service unit: nothing loads "+path+" at boot yet")
	}
	return out
}
