package sandbox

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/xt2nft/xt2nft/backend/nstest"
	"github.com/xt2nft/xt2nft/ipset"
	"github.com/xt2nft/xt2nft/parser"
	"github.com/xt2nft/xt2nft/translate"
)

// execCases are scripts that cannot be read statically. Each must
// translate under --exec exactly as the dump of what it builds when it
// runs for real translates.
var execCases = []struct {
	name, script string
	env          []string
}{
	{"variables", `#!/bin/sh
IPT=/sbin/iptables
IP6T=/sbin/ip6tables
LAN=192.168.7.0/24
$IPT -P INPUT DROP
$IPT -A INPUT -i lo -j ACCEPT
$IPT -A INPUT -s $LAN -p tcp --dport 22 -j ACCEPT
"$IP6T" -A INPUT -p ipv6-icmp -j ACCEPT
`, nil},
	{"environment-variable", `#!/bin/bash
$IPTABLES -t nat -A POSTROUTING -o eth0 -j MASQUERADE
$IPTABLES -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
`, []string{"IPTABLES=/usr/sbin/iptables"}},
	{"variable-with-words", `#!/bin/sh
ipi='iptables -I INPUT'
ipf='iptables -I FORWARD'
$ipi 1 -p udp --dport 1194 -j ACCEPT
$ipf 1 -s 10.8.0.0/24 -j ACCEPT
$ipi 1 -p tcp --dport 443 -j ACCEPT
`, nil},
	{"functions-and-loops", `#!/bin/bash
allow() {
    local proto=$1; shift
    for port in "$@"; do
        iptables -A INPUT -p "$proto" --dport "$port" -j ACCEPT
    done
}
allow tcp 22 80 443
allow udp 53 123
i=0
while [ $i -lt 3 ]; do
    iptables -A OUTPUT -m mark --mark $i -j RETURN
    i=$((i + 1))
done
`, nil},
	{"check-or-append", `#!/bin/sh
add() { iptables -C "$@" 2>/dev/null || iptables -A "$@"; }
add INPUT -p tcp --dport 22 -j ACCEPT
add INPUT -p tcp --dport 22 -j ACCEPT
add INPUT -p tcp --dport 80 -j ACCEPT
iptables -N LOGDROP 2>/dev/null || true
iptables -N LOGDROP 2>/dev/null || true
iptables -A LOGDROP -j LOG --log-prefix "drop: "
iptables -A LOGDROP -j DROP
`, nil},
	{"if-and-case", `#!/bin/sh
MODE=router
if [ "$MODE" = router ]; then
    iptables -P FORWARD DROP
    iptables -A FORWARD -i br0 -o eth0 -j ACCEPT
else
    iptables -P FORWARD ACCEPT
fi
case "$MODE" in
    router|gateway) iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE ;;
    *) iptables -A INPUT -j DROP ;;
esac
[ -e /nonexistent ] && iptables -A INPUT -j REJECT
exit 0
`, nil},
	{"continuation-and-paths", `#!/bin/sh
/usr/sbin/iptables -A INPUT -p tcp \
    -m multiport --dports 25,587 \
    -m comment --comment "mail" \
    -j ACCEPT
/sbin/ip6tables -A INPUT \
  -p tcp --dport 22 -j ACCEPT
sudo iptables -A OUTPUT -o lo -j ACCEPT
env iptables-legacy -A OUTPUT -p icmp -j ACCEPT
command iptables -A OUTPUT -p udp --dport 53 -j ACCEPT
`, nil},
	{"restore-heredoc", `#!/bin/bash
iptables -N web
iptables-restore --noflush <<EOF
*filter
-A web -p tcp --dport 80 -j ACCEPT
-A web -p tcp --dport 443 -j ACCEPT
-I INPUT 1 -j web
COMMIT
*nat
-A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80
COMMIT
EOF
ip6tables-restore <<EOF
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
EOF
`, nil},
	// As Kubernetes' iptables library runs it (-w 5 -W 100000: the wait
	// options' values are separate arguments, not input files).
	{"restore-wait", `#!/bin/sh
iptables -w 5 -W 100000 -t nat -N MASQ-AGENT
iptables-restore -w 5 -W 100000 --noflush <<EOF
*nat
-A MASQ-AGENT -d 10.0.0.0/8 -j RETURN
-A MASQ-AGENT -j MASQUERADE --random-fully
COMMIT
EOF
ip6tables-restore -w --noflush <<EOF
*filter
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
EOF
`, nil},
	// In the style of an OpenVPN road-warrior installer.
	{"openvpn-installer", `#!/bin/bash
port=1194
protocol=udp
ip=203.0.113.10
iptables_path=$(command -v iptables)
ip6tables_path=$(command -v ip6tables)
# The firewall part of the installer's systemd unit, run as its ExecStart lines
ExecStart() { "$@"; }
ExecStart $iptables_path -t nat -A POSTROUTING -s 10.8.0.0/24 ! -d 10.8.0.0/24 -j SNAT --to $ip
ExecStart $iptables_path -I INPUT -p $protocol --dport $port -j ACCEPT
ExecStart $iptables_path -I FORWARD -s 10.8.0.0/24 -j ACCEPT
ExecStart $iptables_path -I FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
ExecStart $ip6tables_path -t nat -A POSTROUTING -s fddd:1194:1194:1194::/64 ! -d fddd:1194:1194:1194::/64 -j SNAT --to 2001:db8::10
ExecStart $ip6tables_path -I FORWARD -s fddd:1194:1194:1194::/64 -j ACCEPT
ExecStart $ip6tables_path -I FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
echo 1 > /proc/sys/net/ipv4/ip_forward
`, nil},
	{"ipsets", `#!/bin/sh
ipset create blocklist hash:net timeout 0
for n in 192.0.2.0/24 198.51.100.7; do ipset add blocklist $n; done
ipset create admin hash:ip,port
ipset add admin 203.0.113.5,tcp:22
iptables -A INPUT -m set --match-set blocklist src -j DROP
iptables -A INPUT -m set --match-set admin src,dst -j ACCEPT
`, nil},
	// In the style of a multi-WAN (two uplinks) policy-routing script.
	{"multi-wan", `#!/bin/sh
set -e
IPT="/sbin/iptables -w"
WAN1=eth1; WAN2=eth2
MARK1=0x1; MARK2=0x2
$IPT -t mangle -N MARK_WAN
$IPT -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff
$IPT -t mangle -A PREROUTING -m mark ! --mark 0 -j RETURN
$IPT -t mangle -A PREROUTING -m conntrack --ctstate NEW -j MARK_WAN
for n in 1 2; do
    eval wan=\$WAN$n
    eval mark=\$MARK$n
    $IPT -t mangle -A MARK_WAN -i $wan -j MARK --set-mark $mark/0xff
    $IPT -t nat -A POSTROUTING -o $wan -j MASQUERADE
    ip rule add fwmark $mark/0xff table $((100 + n)) 2>/dev/null || true
done
$IPT -t mangle -A MARK_WAN -m statistic --mode nth --every 2 --packet 0 -j MARK --set-mark $MARK1/0xff
$IPT -t mangle -A MARK_WAN -m mark --mark 0/0xff -j MARK --set-mark $MARK2/0xff
$IPT -t mangle -A MARK_WAN -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff
`, nil},
}

// TestPrivilegedExecEqualsDump: for every case, xt2nft --exec's result
// equals the translation of the dump that the same script builds when it
// really runs with iptables-legacy in a test namespace (a private mount
// namespace binds the legacy multi-call binary over the nft one, so the
// script's iptables, by any path, is legacy there), saved with
// iptables-legacy-save.
func TestPrivilegedExecEqualsDump(t *testing.T) {
	nstest.Skip(t, "iptables-legacy", "unshare", "bash")
	legacy, nftMulti := multiBinaries(t)
	for _, tc := range execCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			script := filepath.Join(dir, "setup.sh")
			if err := os.WriteFile(script, []byte(tc.script), 0o755); err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), script, Options{Timeout: 30 * time.Second, Env: tc.env})
			if err != nil {
				t.Fatal(err)
			}
			if res.Exit != 0 {
				t.Fatalf("script exited %d in the sandbox: %s", res.Exit, res.Stderr)
			}
			got := Translate(res, parser.Options{}, translate.Options{})
			if got.Failed {
				t.Fatalf("--exec failed: %s", strings.Join(got.Diags, "\n"))
			}
			gotNft := render(t, got)

			// The reference: the script run for real in a test namespace.
			ns := nstest.New(t, "exec-ref")
			shell := "sh"
			if strings.HasPrefix(tc.script, "#!/bin/bash") {
				shell = "bash"
			}
			cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
				`mount --bind "$1" "$2" && exec ip netns exec "$3" "$4" "$5"`, "ref", legacy, nftMulti, ns.Name, shell, script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), tc.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("reference run: %v: %s", err, out)
			}
			var inputs []translate.Input
			for _, save := range []string{"iptables-legacy-save", "ip6tables-legacy-save"} {
				out, stderr, err := ns.Run(save)
				if err != nil {
					t.Fatalf("%s: %v: %s", save, err, stderr)
				}
				if strings.Contains(out, "*") {
					inputs = append(inputs, translate.Input{Name: save, Src: []byte(out)})
				}
			}
			var topt translate.Options
			if sets, _, err := ns.Run("ipset", "save"); err == nil && strings.TrimSpace(sets) != "" {
				if topt.IPSets, err = ipset.Parse("ipset save", []byte(sets)); err != nil {
					t.Fatal(err)
				}
			}
			want := translate.Files(inputs, parser.Options{}, topt)
			if want.Failed {
				t.Fatalf("reference translation failed: %s", strings.Join(want.Diags, "\n"))
			}
			// ipset save lists a hash set in its hash order, which differs
			// between namespaces: compare set elements as sets.
			if sortElements(string(want.Script)) != sortElements(gotNft) {
				t.Errorf("--exec differs from the translated dump (-dump +exec):\n%s", diff.Diff("dump", want.Script, "exec", []byte(gotNft)))
			}
			if !strings.Contains(gotNft, "chain") {
				t.Errorf("empty translation:\n%s", gotNft)
			}
			if tc.name == "ipsets" && !strings.Contains(gotNft, "elements = { 203.0.113.5 . tcp . 22 }") {
				t.Errorf("the script's ipsets are not in the translation:\n%s", gotNft)
			}
		})
	}
}

// sortElements sorts the items of every "elements = { ... }" line.
func sortElements(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		head, rest, ok := strings.Cut(l, "elements = { ")
		if !ok || !strings.HasSuffix(rest, " }") {
			continue
		}
		items := strings.Split(strings.TrimSuffix(rest, " }"), ", ")
		sort.Strings(items)
		lines[i] = head + "elements = { " + strings.Join(items, ", ") + " }"
	}
	return strings.Join(lines, "\n")
}

// multiBinaries finds the legacy and nft multi-call binaries.
func multiBinaries(t *testing.T) (legacy, nft string) {
	t.Helper()
	for _, p := range []struct {
		name string
		dst  *string
	}{{"iptables-legacy", &legacy}, {"iptables-nft", &nft}} {
		path, err := exec.LookPath(p.name)
		if err != nil {
			t.Skipf("%s not found", p.name)
		}
		if *p.dst, err = filepath.EvalSymlinks(path); err != nil {
			t.Fatal(err)
		}
	}
	return legacy, nft
}

func render(t *testing.T, out *translate.Output) string {
	t.Helper()
	var b bytes.Buffer
	if err := translate.Render(&b, out.Ruleset); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
