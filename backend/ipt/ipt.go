// Package ipt is the iptables backend: it loads iptables-save dumps into the
// kernel through iptables-restore, one table at a time and with a snapshot to
// roll back to, and answers simple queries through go-iptables.
//
// A Backend selects the address family (iptables or ip6tables), the variant
// (iptables-legacy-* or iptables-nft-*) and optionally a named network
// namespace that every command runs in:
//
//	b := &ipt.Backend{Family: 4, Variant: ipt.Legacy}
//	if err := b.Check("rules.v4", dump); err != nil {
//		return err // "rules.v4:12: ..."
//	}
//	snap, err := b.Apply("rules.v4", dump)
//	...
//	err = snap.Restore() // roll back
//
// iptables-restore commits a dump table by table (both variants do: the nft
// one keeps the legacy behaviour), so a dump whose second table fails leaves
// the first one live. Apply undoes that from its snapshot.
package ipt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"regexp"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/xt2nft/xt2nft/backend"
	"github.com/xt2nft/xt2nft/backend/netns"
)

// Variant is the iptables flavour: the legacy x_tables kernel interface or
// the nf_tables based one.
type Variant string

const (
	// Legacy selects iptables-legacy-* (x_tables, /proc/net/ip_tables_names).
	Legacy Variant = "legacy"
	// NFT selects iptables-nft-* (nf_tables tables ip filter, ip nat ...).
	NFT Variant = "nft"
)

// Backend runs the iptables tools of one family and variant, optionally in a
// named network namespace. The zero value means IPv4, the variant that
// `iptables` is, and the current namespace.
type Backend struct {
	// Family is 4 (iptables-*) or 6 (ip6tables-*); 0 means 4.
	Family int
	// Variant is Legacy or NFT. "" detects it: the variant that `iptables`
	// (`ip6tables`) reports in `--version` ("(legacy)" or "(nf_tables)");
	// when that cannot run, legacy if iptables-legacy-restore exists, else
	// nft if iptables-nft-restore does.
	Variant Variant
	// Netns is the name of a network namespace (as in `ip netns list`) to run
	// every command in; "" is the current namespace.
	Netns string
	// NS, when set, is the namespace instead of Netns (one without a name,
	// such as a throwaway namespace, works too).
	NS *netns.NS
}

// tools is a Backend resolved to its programs.
type tools struct {
	b       Backend // with Family and Variant filled in
	prefix  string  // "iptables" or "ip6tables"
	restore string  // e.g. iptables-legacy-restore
	save    string  // e.g. iptables-legacy-save
	cmd     string  // e.g. iptables-legacy (for go-iptables)
}

// notFoundError is a missing program; it unwraps to exec.ErrNotFound.
type notFoundError struct{ prog, pkg string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("%s not found: install the %s package", e.prog, e.pkg)
}

func (e *notFoundError) Unwrap() error { return exec.ErrNotFound }

// permError is a command that cannot work for lack of privileges: the
// process lacks CAP_NET_ADMIN, which it checks before running anything
// (the tools' own messages are not parsed for it). It satisfies errors.Is
// with fs.ErrPermission and backend.ErrPermission.
type permError struct{ prog, msg string }

func (e *permError) Error() string {
	return fmt.Sprintf("%s: permission denied: run as root (CAP_NET_ADMIN is needed): %s", e.prog, e.msg)
}

func (e *permError) Is(target error) bool {
	return target == fs.ErrPermission || target == backend.ErrPermission
}

// hasNetAdmin reports whether the process may change the firewall.
func hasNetAdmin() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_NET_ADMIN/32].Effective&(1<<(unix.CAP_NET_ADMIN%32)) != 0
}

func lookPath(prog, pkg string) (string, error) {
	p, err := exec.LookPath(prog)
	if err != nil {
		return "", &notFoundError{prog, pkg}
	}
	return p, nil
}

var reVersionMode = regexp.MustCompile(`v[0-9.]+\s*\((\w+)\)`)

// resolve fills in the family and variant and checks the programs exist.
func (b *Backend) resolve() (*tools, error) {
	t := &tools{b: *b}
	switch b.Family {
	case 0, 4:
		t.b.Family, t.prefix = 4, "iptables"
	case 6:
		t.prefix = "ip6tables"
	default:
		return nil, fmt.Errorf("ipt: family %d: want 4 or 6", b.Family)
	}
	if strings.ContainsAny(b.Netns, "/\x00") || b.Netns == "." || b.Netns == ".." {
		return nil, fmt.Errorf("ipt: bad network namespace name %q", b.Netns)
	}
	switch b.Variant {
	case Legacy, NFT:
	case "":
		t.b.Variant = detect(t.prefix)
	default:
		return nil, fmt.Errorf("ipt: variant %q: want %q or %q", b.Variant, Legacy, NFT)
	}
	base := t.prefix + "-" + string(t.b.Variant)
	t.restore, t.save, t.cmd = base+"-restore", base+"-save", base
	for _, p := range []string{t.restore, t.save} {
		if _, err := lookPath(p, "iptables"); err != nil {
			return nil, err
		}
	}
	if b.Netns != "" && b.NS == nil {
		if _, err := lookPath("ip", "iproute2"); err != nil {
			return nil, err
		}
	}
	if !hasNetAdmin() {
		return nil, &permError{t.restore, "the process lacks CAP_NET_ADMIN"}
	}
	return t, nil
}

// detect returns the variant `iptables --version` (or ip6tables) reports,
// Legacy when it names none (iptables before 1.8 was legacy only). When the
// program cannot run it is Legacy if iptables-legacy-restore exists, else
// NFT if iptables-nft-restore does, else Legacy (and resolve reports the
// missing program).
func detect(prefix string) Variant {
	out, err := exec.Command(prefix, "--version").Output()
	if err == nil {
		if m := reVersionMode.FindSubmatch(out); m != nil && string(m[1]) == "nf_tables" {
			return NFT
		}
		return Legacy
	}
	if _, err := exec.LookPath(prefix + "-legacy-restore"); err != nil {
		if _, err := exec.LookPath(prefix + "-nft-restore"); err == nil {
			return NFT
		}
	}
	return Legacy
}

// run runs prog (in the namespace when one is set) with stdin and returns
// its standard output. A failure is an *exitError carrying stderr, or a
// permission error.
func (t *tools) run(stdin []byte, prog string, args ...string) ([]byte, error) {
	pkg := "iptables"
	if prog == "nft" {
		pkg = "nftables"
	}
	path, err := lookPath(prog, pkg)
	if err != nil {
		return nil, err
	}
	argv := append([]string{path}, args...)
	if t.b.Netns != "" && t.b.NS == nil {
		argv = append([]string{"ip", "netns", "exec", t.b.Netns}, argv...)
	}
	cmd := t.b.NS.Command(argv[0], argv[1:]...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return nil, fmt.Errorf("%s: %w", prog, err)
		}
		return stdout.Bytes(), &exitError{prog: prog, stderr: msg}
	}
	return stdout.Bytes(), nil
}

// exitError is a program that ran and failed.
type exitError struct{ prog, stderr string }

func (e *exitError) Error() string {
	return e.prog + ": " + strings.Join(strings.Fields(strings.ReplaceAll(e.stderr, "\n", " ")), " ")
}

// Save returns iptables-save output, with counters ([packets:bytes]), for
// the given tables in the given order, or for all tables the kernel has
// when tables is nil. A table the kernel does not have is left out: Save
// never creates one (it runs one full iptables-save and picks the tables,
// since `iptables-save -t nat` instantiates nat in legacy mode).
func (b *Backend) Save(tables []string) ([]byte, error) {
	t, err := b.resolve()
	if err != nil {
		return nil, err
	}
	return t.saveTables(tables)
}

func (t *tools) saveTables(tables []string) ([]byte, error) {
	out, err := t.run(nil, t.save, "-c")
	if err != nil {
		return nil, err
	}
	if tables == nil {
		return out, nil
	}
	secs := sections(out)
	var buf bytes.Buffer
	for _, name := range tables {
		buf.Write(secs[name])
	}
	return buf.Bytes(), nil
}

// Check runs `iptables-restore --test` on dump; nothing is loaded. An error
// is positioned in the dump as NAME:LINE (a *DumpError when iptables-restore
// names a line).
//
// In legacy mode the test asks the kernel for each table, which makes it
// instantiate a missing one with empty built-in chains; no rule changes. In
// nft mode the test never reaches the kernel, so some errors (such as a
// jump to a missing chain) only show when the dump is loaded.
func (b *Backend) Check(name string, dump []byte) error {
	t, err := b.resolve()
	if err != nil {
		return err
	}
	return t.restoreDump(name, dump, "--test")
}

// restoreDump runs iptables-restore -w ARGS with dump as its input and
// positions its error.
func (t *tools) restoreDump(name string, dump []byte, args ...string) error {
	_, err := t.run(dump, t.restore, append([]string{"-w"}, args...)...)
	var ee *exitError
	if errors.As(err, &ee) {
		return translate(name, dump, ee.prog, ee.stderr)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
