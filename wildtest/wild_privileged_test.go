//go:build linux

package wildtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/xt2nft/xt2nft/backend/nstest"
)

// knownFailures are the cases that fail today, keyed "FILE" (the dump, or
// the translation of what a script built), "FILE#static" (xt2nft --script)
// or "FILE#exec" (xt2nft --exec), each with its cause; the reductions are in
// the lead's notes (wild-failures.md). A listed case that fails is logged,
// not reported; a listed case that passes fails the test, so that the entry
// is removed when its fix lands. Anything not listed must pass.
var knownFailures = map[string]string{
	// The kernel's own xt_string selftest, fwsnort's kind of rule.
	"torvalds__linux-selftests-xt-string.sh":      "B: -m string is refused as untranslatable (nft has no text search of the packet)",
	"torvalds__linux-selftests-xt-string.sh#exec": "B: -m string is refused as untranslatable (nft has no text search of the packet)",
	// Incus's bridge NIC filter (its network part is the other incus file).
	"lxc__incus-xtables-bridge-nic-filter-proxy.sh":      "B: -m physdev is refused as untranslatable (no bridge port in ip tables)",
	"lxc__incus-xtables-bridge-nic-filter-proxy.sh#exec": "B: -m physdev is refused as untranslatable (no bridge port in ip tables)",
	// IPFire's initscript before ceb5733c (the current one is taken too).
	"ipfire__ipfire-2.x-firewall-init-conntrack-helpers.sh":      "B: -m helper (the master connection's helper) is refused as untranslatable: nft's ct helper reads the connection's own",
	"ipfire__ipfire-2.x-firewall-init-conntrack-helpers.sh#exec": "B: -m helper (the master connection's helper) is refused as untranslatable: nft's ct helper reads the connection's own",

	"algo__rules.v4-ipsec-wireguard.rules":             "B: -m policy --proto esp is refused as untranslatable",
	"algo__rules.v4-wireguard-port53-reduce-mtu.rules": "B: -m policy --proto esp is refused as untranslatable",

	// The script itself exits 1 here (line 15 runs lsmod, which this
	// machine lacks); --exec reports a failed script as an error by design
	// (with --allow-partial it prints what the script built).
	// mwan3 creates its sticky list:set empty and adds a member set per
	// policy at run time: a list without a member of the rule's family
	// (here, none at all) has no nft form, nft having no set of sets.
	"openwrt__mwan3-2.4-two-uplinks-ifup.sh":      "B: the empty list:set mwan3_sticky_https (members added at run time) is refused: nft has no set of sets",
	"openwrt__mwan3-2.4-two-uplinks-ifup.sh#exec": "B: the empty list:set mwan3_sticky_https (members added at run time) is refused: nft has no set of sets",
	// netd's TLS/DTLS detectors walk the headers with u32's @ operator.
	"android-netd__strict-cleartext-penalty.rules":    "B: -m u32 with the @ operator (an offset read from the packet) is refused as untranslatable",
	"android-netd__strict-cleartext-penalty.v6.rules": "B: -m u32 with the @ operator (an offset read from the packet) is refused as untranslatable",
	// This kernel has xt_NFQUEUE built in and not nft's queue expression
	// (no CONFIG_NFT_QUEUE): the translation loads where the kernel has
	// it, and xt2nft check names the option.
	"cyborg-one__nfqttl-service-nfqueue-marks.sh": "K: nft -f refuses queue here: the kernel lacks CONFIG_NFT_QUEUE (xt2nft check says so)",
	// strongSwan's updown script always passes -m policy --proto.
	"strongswan__updown-iptables-roadwarrior-gateway.sh":      "B: -m policy --proto is refused as untranslatable (nft's ipsec expression cannot test the SA's protocol)",
	"strongswan__updown-iptables-roadwarrior-gateway.sh#exec": "B: -m policy --proto is refused as untranslatable (nft's ipsec expression cannot test the SA's protocol)",
	// weave-npc lets bridged pod traffic through by bridge port.
	"bossjones__weave-npc-kube-proxy-nat-filter-ipset.rules": "B: -m physdev is refused as untranslatable (no bridge port in ip tables)",
	"dperson__openvpn-client-firewall.sh#exec":               "F: the script runs lsmod, which fails on this kernel (no loadable modules: no /proc/modules), so it exits 1 here as it would outside the sandbox; --exec refuses a failed script",
}

// The causes shared by several knownFailures entries (issue 8's classes).
const ()

// wildDir returns the collection's directory: $XT2NFT_WILD_DIR, else
// testdata (SOURCES.md says where each file comes from).
func wildDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("XT2NFT_WILD_DIR")
	if dir == "" {
		dir = "testdata" // go test runs in wildtest/
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("no collection of real rulesets at %s", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

var (
	buildOnce sync.Once
	cliPath   string
	buildErr  error
)

// cli builds ./cmd/xt2nft once into a temporary directory and returns the
// binary: the test drives the command a user runs, not a package API.
func cli(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xt2nft-wild-")
		if err != nil {
			buildErr = err
			return
		}
		cliPath = filepath.Join(dir, "xt2nft")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gobin); err != nil {
			gobin = "go"
		}
		cmd := exec.Command(gobin, "build", "-o", cliPath, "./cmd/xt2nft")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/xt2nft: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return cliPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cliPath != "" {
		os.RemoveAll(filepath.Dir(cliPath))
	}
	os.Exit(code)
}

// xt runs the xt2nft binary and returns its exit status and output.
func xt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(cli(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("xt2nft %s: %v", strings.Join(args, " "), err)
	}
	return code, o.String(), e.String()
}

// result is one row of the summary table.
type result struct {
	name, kind string
	iptables   string // dumps: accepts / refuses; scripts: the script's exit status
	translates string
	loads      string
	reloads    string
	listReload string
	sameReason string // dumps iptables refuses: does xt2nft refuse for the same reason
	static     string // scripts: xt2nft --script
	execRes    string // scripts: xt2nft --exec
	status     string // pass, FAIL, known failure, FIXED (remove from knownFailures)
}

// verdict applies knownFailures to the problems found for key and records
// the outcome: unlisted problems fail the test, a listed key with no
// problem fails it too (the entry must go).
func verdict(t *testing.T, key string, problems []string) string {
	t.Helper()
	cause, known := knownFailures[key]
	switch {
	case len(problems) == 0 && known:
		t.Errorf("%s passes now: remove it from knownFailures (was: %s)", key, cause)
		return "FIXED (remove from knownFailures)"
	case len(problems) == 0:
		return "pass"
	case known:
		t.Logf("known failure %s (%s):\n  %s", key, cause, strings.Join(problems, "\n  "))
		return "known failure"
	default:
		t.Errorf("%s:\n  %s", key, strings.Join(problems, "\n  "))
		return "FAIL"
	}
}

func TestPrivilegedWild(t *testing.T) {
	dir := wildDir(t)
	nstest.Skip(t, "nft", "iptables-legacy-restore", "ip6tables-legacy-restore",
		"iptables-legacy-save", "ip6tables-legacy-save", "ipset", "unshare", "mount")
	var files []string
	for _, pat := range []string{"*.rules", "*.sh"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no *.rules or *.sh files in %s", dir)
	}
	sort.Strings(files)
	_, help, helpErr := xt(t, "--help")
	hasExec := strings.Contains(help+helpErr, "--exec")
	sb := newSandbox(t)

	var mu sync.Mutex
	var rows []*result
	add := func(r *result) {
		mu.Lock()
		rows = append(rows, r)
		mu.Unlock()
	}
	t.Cleanup(func() { t.Log(summary(rows)) })

	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if strings.HasSuffix(name, ".sh") {
				add(checkScript(t, f, sb, hasExec))
			} else {
				add(checkDumpFile(t, f))
			}
		})
	}
}

// ---- dumps

func isV6(file string) bool { return strings.HasSuffix(file, ".v6.rules") }

var matchSetRE = regexp.MustCompile(`--match-set\s+(\S+)\s+(\S+)`)

// createIPSets creates, in ns, every ipset the dump matches with -m set, so
// that iptables-restore can load it (the dump names the sets, not their
// type): hash:ip, or hash:ip,port / hash:ip,port,ip by the number of
// directions.
func createIPSets(t *testing.T, ns *nstest.NS, dump string, v6 bool) (created bool) {
	t.Helper()
	family := "inet"
	if v6 {
		family = "inet6"
	}
	types := []string{"", "hash:ip", "hash:ip,port", "hash:ip,port,ip"}
	done := map[string]bool{}
	for _, m := range matchSetRE.FindAllStringSubmatch(dump, -1) {
		name, dims := m[1], len(strings.Split(m[2], ","))
		if done[name] || dims >= len(types) {
			continue
		}
		done[name] = true
		if _, stderr, err := ns.Run("ipset", "-exist", "create", name, types[dims], "family", family); err != nil {
			t.Fatalf("ipset create %s %s: %v: %s", name, types[dims], err, stderr)
		}
		created = true
	}
	return created
}

func checkDumpFile(t *testing.T, file string) *result {
	name := filepath.Base(file)
	kind := "dump v4"
	restore := "iptables-legacy-restore"
	if isV6(file) {
		kind, restore = "dump v6", "ip6tables-legacy-restore"
	}
	r := &result{name: name, kind: kind}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ns := nstest.New(t, "wild")
	args := []string{file}
	if createIPSets(t, ns, string(src), isV6(file)) {
		// As a user on that host would: the ipsets' definitions from
		// `ipset save` (xt2nft --ipsets).
		sets, _, err := ns.Run("ipset", "save")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name+".ipsets")
		if err := os.WriteFile(p, []byte(sets), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--ipsets", p}, args...)
	}
	_, iptErr, err := ns.RunInput(string(src), restore)
	accepted := err == nil
	code, out, xtErr := xt(t, args...)

	var problems []string
	if accepted {
		r.iptables = "accepts"
		r.sameReason = "-"
		if code != 0 {
			r.translates = "no"
			problems = append(problems, fmt.Sprintf("iptables accepts it, xt2nft exits %d: %s", code, firstErrors(xtErr, 3)))
		} else {
			r.translates = "yes"
			problems = append(problems, checkLoads(t, r, out)...)
		}
	} else {
		r.iptables = "refuses"
		r.translates, r.loads, r.reloads, r.listReload = "-", "-", "-", "-"
		why := firstLine(iptErr)
		if code == 0 {
			r.sameReason = "no (exit 0)"
			problems = append(problems, fmt.Sprintf("iptables-restore refuses it (%s), xt2nft exits 0", why))
		} else if ok, miss := sameReason(file, iptErr, xtErr); ok {
			r.sameReason = "yes"
		} else {
			r.sameReason = "no"
			problems = append(problems, fmt.Sprintf("iptables-restore: %s; xt2nft (exit %d) %s: %s", why, code, miss, firstErrors(xtErr, 3)))
		}
	}
	r.status = verdict(t, name, problems)
	return r
}

// checkLoads loads an nft script into a fresh namespace, loads it again on
// top of itself, and loads what `nft list ruleset` printed into another
// fresh namespace; each load must succeed and leave the same listing.
func checkLoads(t *testing.T, r *result, script string) (problems []string) {
	t.Helper()
	r.loads, r.reloads, r.listReload = "no", "-", "-"
	ns := nstest.New(t, "wild-nft")
	defer closeNS(t, ns)
	if _, stderr, err := ns.NFT(script); err != nil {
		return []string{"nft -f refuses the translation: " + firstErrors(stderr, 4)}
	}
	r.loads = "yes"
	first := list(t, ns)
	if _, stderr, err := ns.NFT(script); err != nil {
		r.reloads = "no"
		problems = append(problems, "nft -f refuses the translation the second time: "+firstErrors(stderr, 4))
	} else if again := list(t, ns); again != first {
		r.reloads = "changes"
		problems = append(problems, "loading the translation again changes the ruleset:\n"+lineDiff(first, again))
	} else {
		r.reloads = "yes"
	}
	ns2 := nstest.New(t, "wild-list")
	defer closeNS(t, ns2)
	if _, stderr, err := ns2.NFT(first); err != nil {
		r.listReload = "no"
		problems = append(problems, "nft -f refuses what `nft list ruleset` printed of the translation: "+firstErrors(stderr, 4))
	} else if relisted := list(t, ns2); relisted != first {
		r.listReload = "changes"
		problems = append(problems, "`nft list ruleset` of the translation, loaded again, lists differently:\n"+lineDiff(first, relisted))
	} else {
		r.listReload = "yes"
	}
	return problems
}

func list(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	out, stderr, err := ns.NFT("", "list", "ruleset")
	if err != nil {
		t.Fatalf("nft list ruleset: %v: %s", err, stderr)
	}
	// The time a set element has left changes from one listing to the
	// next; what it was given (timeout) does not.
	return reExpires.ReplaceAllString(out, "")
}

func closeNS(t *testing.T, ns *nstest.NS) {
	if err := ns.Close(); err != nil {
		t.Error(err)
	}
}

var (
	iptLineRE  = regexp.MustCompile(`Error occurred at line: (\d+)|line (\d+) failed`)
	iptQuoteRE = regexp.MustCompile("`([^']+)'")
)

// sameReason reports whether xt2nft's diagnostics name what
// iptables-restore's do: the same line of the file, and every `quoted'
// word of iptables' first message (the option value, target or chain it
// could not take). The second result says what is missing.
func sameReason(file, ipt, xtErr string) (bool, string) {
	var miss []string
	if m := iptLineRE.FindStringSubmatch(ipt); m != nil {
		line := m[1] + m[2]
		if !strings.Contains(xtErr, file+":"+line+":") {
			miss = append(miss, "names no error at line "+line)
		}
	}
	for _, q := range iptQuoteRE.FindAllStringSubmatch(firstLine(ipt), -1) {
		if strings.Contains(q[1], "-restore -h") {
			continue
		}
		if !strings.Contains(xtErr, q[1]) {
			miss = append(miss, fmt.Sprintf("does not name %q", q[1]))
		}
	}
	return len(miss) == 0, strings.Join(miss, ", ")
}

// ---- scripts

// sandbox holds the wrapper files a script runs with: one shell script
// bound over xtables-nft-multi, so that every iptables-family name
// (iptables, iptables-nft, ip6tables-restore, absolute paths included)
// runs xtables-legacy-multi, and a no-op bound over the commands that would
// reach outside the network namespace.
type sandbox struct{ wrapper, noop string }

const xtablesWrapper = `#!/bin/sh
n=${0##*/}
case "$n" in
*-nft) n=${n%-nft} ;;
*-nft-save) n=${n%-nft-save}-save ;;
*-nft-restore) n=${n%-nft-restore}-restore ;;
esac
case "$n" in
iptables | ip6tables | iptables-save | ip6tables-save | iptables-restore | ip6tables-restore)
	exec /usr/sbin/xtables-legacy-multi "$n" "$@" ;;
esac
echo "wild sandbox: $n is not available" >&2
exit 1
`

// hostCommands are bound to a no-op inside the sandbox: they would change
// the host (kernel-wide sysctls, services), not just the namespace.
var hostCommands = []string{"/usr/sbin/sysctl", "/usr/bin/systemctl", "/usr/sbin/service", "/usr/sbin/modprobe", "/usr/sbin/rmmod"}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/xtables-nft-multi"); err != nil {
		t.Skip("no /usr/sbin/xtables-nft-multi to stand in for")
	}
	dir := t.TempDir()
	sb := &sandbox{wrapper: filepath.Join(dir, "xtables"), noop: filepath.Join(dir, "noop")}
	if err := os.WriteFile(sb.wrapper, []byte(xtablesWrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sb.noop, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return sb
}

// run runs the script in ns inside a private mount namespace: the wrappers
// bound in place, / read-only, fresh tmpfs on /run and /tmp. The script is
// run by the interpreter its #! line names (sh without one).
func (sb *sandbox) run(ns *nstest.NS, script string) (code int, stderr string) {
	src, _ := os.ReadFile(script)
	interp := "/bin/sh"
	if first, _, _ := strings.Cut(string(src), "\n"); strings.HasPrefix(first, "#!") {
		interp = strings.TrimSpace(strings.TrimPrefix(first, "#!"))
	}
	setup := "set -e; mount --bind " + sb.wrapper + " /usr/sbin/xtables-nft-multi\n"
	for _, c := range hostCommands {
		if _, err := os.Stat(c); err == nil {
			setup += "mount --bind " + sb.noop + " " + c + "\n"
		}
	}
	setup += "mount -o bind,remount,ro /\nmount -t tmpfs tmpfs /run\nmount -t tmpfs tmpfs /tmp\nset +e\nexec " + interp + ` "$0"`
	_, stderr, err := ns.Run("unshare", "--mount", "--propagation", "private", "sh", "-c", setup, script)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	return code, stderr
}

func checkScript(t *testing.T, file string, sb *sandbox, hasExec bool) *result {
	name := filepath.Base(file)
	r := &result{name: name, kind: "script", sameReason: "-"}

	// What the script built, dumped and translated: the reference.
	ns := nstest.New(t, "wild-sh")
	code, runErr := sb.run(ns, file)
	r.iptables = fmt.Sprintf("ran, exit %d", code)
	if code != 0 {
		t.Logf("the script exits %d: %s", code, firstErrors(runErr, 3))
	}
	tmp := t.TempDir()
	var dumps []string
	for _, d := range []struct{ save, file string }{
		{"iptables-legacy-save", name + ".built.rules"},
		{"ip6tables-legacy-save", name + ".built.v6.rules"},
	} {
		out, stderr, err := ns.Run(d.save)
		if err != nil {
			t.Fatalf("%s: %v: %s", d.save, err, stderr)
		}
		if strings.TrimSpace(out) == "" {
			continue
		}
		p := filepath.Join(tmp, d.file)
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		dumps = append(dumps, p)
	}
	// The ipsets it made too: xt2nft --exec carries them (as --ipsets).
	var setArgs []string
	if sets, _, err := ns.Run("ipset", "save"); err == nil && strings.TrimSpace(sets) != "" {
		p := filepath.Join(tmp, name+".built.ipsets")
		if err := os.WriteFile(p, []byte(sets), 0o644); err != nil {
			t.Fatal(err)
		}
		setArgs = []string{"--ipsets", p}
	}
	closeNS(t, ns)
	if len(dumps) == 0 {
		t.Fatalf("the script built no iptables table (exit %d): %s", code, firstErrors(runErr, 3))
	}
	var problems []string
	xcode, truth, xtErr := xt(t, append(setArgs, dumps...)...)
	if xcode != 0 {
		r.translates = "no"
		problems = append(problems, fmt.Sprintf("xt2nft exits %d on the dump of what the script built: %s", xcode, firstErrors(xtErr, 3)))
		truth = ""
	} else {
		r.translates = "yes"
		problems = append(problems, checkLoads(t, r, truth)...)
	}
	r.status = verdict(t, name, problems)

	// Static reading: exactly the reference, or a refusal.
	scode, static, sErr := xt(t, "--script", file)
	var sp []string
	switch {
	case scode != 0 && hasExec && !strings.Contains(sErr, "--exec"):
		r.static = "refuses, no --exec hint"
		sp = append(sp, "xt2nft --script refuses without pointing to --exec: "+firstErrors(sErr, 2))
	case scode != 0:
		r.static = "refuses"
	case truth == "":
		r.static = "exit 0, no reference"
		sp = append(sp, "xt2nft --script exits 0 where the dump of what the script built does not translate")
	case normalize(static) != normalize(truth):
		r.static = "DIFFERS"
		sp = append(sp, "xt2nft --script exits 0 with a ruleset that is not what the script built (fail-open):\n"+
			lineDiff(normalize(truth), normalize(static)))
	default:
		r.static = "= built"
	}
	st := verdict(t, name+"#static", sp)
	if st != "pass" {
		r.status += "; static: " + st
	}

	// The sandbox: xt2nft --exec must give the reference.
	r.execRes = "skipped"
	t.Run("exec", func(t *testing.T) {
		if !hasExec {
			t.Skip("xt2nft has no --exec in this build (it is being built on branch script); skipping")
		}
		ecode, got, eErr := xt(t, "--exec", file)
		var ep []string
		switch {
		case ecode != 0:
			r.execRes = fmt.Sprintf("exit %d", ecode)
			ep = append(ep, fmt.Sprintf("xt2nft --exec exits %d: %s", ecode, firstErrors(eErr, 3)))
		case truth == "":
			r.execRes = "exit 0, no reference"
			ep = append(ep, "xt2nft --exec exits 0 where the dump of what the script built does not translate")
		case normalize(got) != normalize(truth):
			r.execRes = "DIFFERS"
			ep = append(ep, "xt2nft --exec gives another ruleset than the translation of what the script built:\n"+
				lineDiff(normalize(truth), normalize(got)))
		default:
			r.execRes = "= built"
		}
		if s := verdict(t, name+"#exec", ep); s != "pass" {
			r.status += "; exec: " + s
		}
	})
	return r
}

var blockRE = regexp.MustCompile(`^(table|chain|set|map|flowtable|counter|quota|limit|ct helper|ct timeout|ct expectation) `)

// normalize reduces an nft script to what it means for the comparison of
// two translations of one ruleset: comments, blank lines and the add/delete
// table preamble go, base chains with no rule and policy accept (which do
// nothing) go, and tables, chains and sets are sorted by name; rules keep
// their order.
var reExpires = regexp.MustCompile(`\bexpires [0-9dhms]+`)

func normalize(script string) string {
	type block struct {
		head  string
		lines []string
		sub   map[string]*block
	}
	root := &block{sub: map[string]*block{}}
	stack := []*block{root}
	var elems []string // a set's elements, until their closing brace
	for _, raw := range strings.Split(script, "\n") {
		l := strings.TrimSpace(raw)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "add table ") || strings.HasPrefix(l, "delete table ") {
			continue
		}
		// A set's elements in any order: ipset save lists a hash set in
		// the order of its buckets, which differ from one set to the next.
		if strings.HasPrefix(l, "elements = {") || elems != nil {
			elems = append(elems, l)
			if !strings.HasSuffix(l, "}") {
				continue
			}
			all := strings.TrimSuffix(strings.TrimPrefix(strings.Join(elems, " "), "elements = {"), "}")
			items := strings.Split(all, ",")
			for i := range items {
				// The time an element has left (expires 3h59m58s972ms)
				// changes from one listing to the next.
				items[i] = reExpires.ReplaceAllString(items[i], "")
				items[i] = strings.Join(strings.Fields(items[i]), " ")
			}
			sort.Strings(items)
			l, elems = "elements = { "+strings.Join(items, ", ")+" }", nil
		}
		cur := stack[len(stack)-1]
		switch {
		case l == "}" && len(stack) > 1:
			stack = stack[:len(stack)-1]
		case strings.HasSuffix(l, "{") && len(stack) < 3 && blockRE.MatchString(l):
			b := &block{head: l, sub: map[string]*block{}}
			cur.sub[l] = b
			stack = append(stack, b)
		default:
			cur.lines = append(cur.lines, l)
		}
	}
	var out strings.Builder
	var emit func(b *block, depth int)
	emit = func(b *block, depth int) {
		keys := make([]string, 0, len(b.sub))
		for k, s := range b.sub {
			if strings.HasPrefix(k, "chain ") && len(s.lines) == 1 && strings.Contains(s.lines[0], "policy accept;") {
				continue // an empty base chain that accepts: no effect
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := b.sub[k]
			fmt.Fprintf(&out, "%s%s\n", strings.Repeat("\t", depth), k)
			for _, l := range s.lines {
				fmt.Fprintf(&out, "%s\t%s\n", strings.Repeat("\t", depth), l)
			}
			emit(s, depth+1)
		}
	}
	emit(root, 0)
	return out.String()
}

// lineDiff shows the lines only in a (-) and only in b (+), in order, at
// most 20 of them.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := func(set []string) map[string]int {
		m := map[string]int{}
		for _, l := range set {
			m[l]++
		}
		return m
	}
	am, bm := in(al), in(bl)
	var d []string
	for _, l := range al {
		if bm[l] == 0 {
			d = append(d, "- "+l)
		} else {
			bm[l]--
		}
	}
	for _, l := range bl {
		if am[l] == 0 {
			d = append(d, "+ "+l)
		} else {
			am[l]--
		}
	}
	if len(d) == 0 {
		return "  (same lines, in another order)"
	}
	if len(d) > 20 {
		d = append(d[:20], fmt.Sprintf("... %d more", len(d)-20))
	}
	return "  " + strings.Join(d, "\n  ")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// firstErrors returns the first n non-warning lines of a diagnostic output
// (or its first lines when all are warnings), joined with " | ".
func firstErrors(s string, n int) string {
	var errs, all []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		all = append(all, l)
		if !strings.Contains(l, "warning:") {
			errs = append(errs, l)
		}
	}
	if len(errs) == 0 {
		errs = all
	}
	if len(errs) > n {
		errs = append(errs[:n], fmt.Sprintf("(+%d more)", len(errs)-n))
	}
	return strings.Join(errs, " | ")
}

// summary renders the results as a table with totals.
func summary(rows []*result) string {
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-72s %-7s %-12s %-6s %-5s %-7s %-7s %-11s %-24s %-8s %s\n",
		"ruleset", "kind", "iptables", "xt2nft", "loads", "reloads", "list-rl", "same-reason", "--script", "--exec", "status")
	var dumps, accepted, translated, loaded, reloaded, listed, refused, same, scripts, staticRefuse, staticSame, staticDiff, fails int
	for _, r := range rows {
		fmt.Fprintf(&b, "%-72s %-7s %-12s %-6s %-5s %-7s %-7s %-11s %-24s %-8s %s\n",
			r.name, r.kind, r.iptables, r.translates, r.loads, r.reloads, r.listReload, r.sameReason, dash(r.static), dash(r.execRes), r.status)
		if r.status != "pass" {
			fails++
		}
		if r.kind == "script" {
			scripts++
			switch r.static {
			case "refuses", "refuses, no --exec hint":
				staticRefuse++
			case "= built":
				staticSame++
			default:
				staticDiff++
			}
			continue
		}
		dumps++
		if r.iptables == "accepts" {
			accepted++
			if r.translates == "yes" {
				translated++
			}
			if r.loads == "yes" {
				loaded++
			}
			if r.reloads == "yes" {
				reloaded++
			}
			if r.listReload == "yes" {
				listed++
			}
		} else {
			refused++
			if r.sameReason == "yes" {
				same++
			}
		}
	}
	fmt.Fprintf(&b, "dumps: %d tried, iptables accepts %d (xt2nft translates %d, loads %d, reloads %d, list-reloads %d), refuses %d (xt2nft refuses for the same reason %d)\n",
		dumps, accepted, translated, loaded, reloaded, listed, refused, same)
	fmt.Fprintf(&b, "scripts: %d tried; --script refuses %d (they need --exec), gives exactly what the script built %d, gives something else %d\n",
		scripts, staticRefuse, staticSame, staticDiff)
	fmt.Fprintf(&b, "rulesets with a failure (listed or not): %d of %d", fails, len(rows))
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
