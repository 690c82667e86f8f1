#!/bin/sh
# sshuttle's tproxy method (sshuttle/methods/tproxy.py, sshuttle/linux.py at
# 8f81fc0b2e99953dbecccba0b4a0acdcd992dc48, LGPL-2.1) as the firewall process runs it
# for "sshuttle --method tproxy --dns -r host 198.51.100.0/24 2001:db8:1::/64:8000-9000
# -x 198.51.100.66:80 -x [2001:db8:1::101f]:8080" (the shape of tests/client/
# test_methods_tproxy.py with documentation addresses): IPv6 first (port 1024,
# DNS port 1026), then IPv4 (port 1025, DNS port 1027), tmark 0x01 (the default).
# ipt() and ipt_chain_exists() are linux.py's; setup/restore_firewall expanded.

ipt() {
    fam=$1 table=$2
    shift 2
    if [ "$fam" = 6 ]; then cmd=ip6tables; else cmd=iptables; fi
    "$cmd" -w -t "$table" "$@" || { echo "fatal: $cmd -t $table $* returned $?" >&2; exit 1; }
}

ipt_chain_exists() {
    if [ "$1" = 6 ]; then cmd=ip6tables; else cmd=iptables; fi
    "$cmd" -w -t "$2" -nL | grep -q "^Chain $3 "
}

restore_firewall() {
    fam=$1 port=$2
    if ipt_chain_exists "$fam" mangle "sshuttle-m-$port"; then
        ipt "$fam" mangle -D OUTPUT -j "sshuttle-m-$port"
        ipt "$fam" mangle -F "sshuttle-m-$port"
        ipt "$fam" mangle -X "sshuttle-m-$port"
    fi
    if ipt_chain_exists "$fam" mangle "sshuttle-t-$port"; then
        ipt "$fam" mangle -D PREROUTING -j "sshuttle-t-$port"
        ipt "$fam" mangle -F "sshuttle-t-$port"
        ipt "$fam" mangle -X "sshuttle-t-$port"
    fi
    if ipt_chain_exists "$fam" mangle "sshuttle-d-$port"; then
        ipt "$fam" mangle -F "sshuttle-d-$port"
        ipt "$fam" mangle -X "sshuttle-d-$port"
    fi
}

# setup_firewall's common head: cleanup, chains, hooks
setup_chains() {
    fam=$1 port=$2
    restore_firewall "$fam" "$port"
    ipt "$fam" mangle -N "sshuttle-m-$port"
    ipt "$fam" mangle -F "sshuttle-m-$port"
    ipt "$fam" mangle -N "sshuttle-d-$port"
    ipt "$fam" mangle -F "sshuttle-d-$port"
    ipt "$fam" mangle -N "sshuttle-t-$port"
    ipt "$fam" mangle -F "sshuttle-t-$port"
    ipt "$fam" mangle -I OUTPUT 1 -j "sshuttle-m-$port"
    ipt "$fam" mangle -I PREROUTING 1 -j "sshuttle-t-$port"
}

tmark=0x01

# ---- IPv6: port 1024, dnsport 1026, nslist [2001:db8::53]
setup_chains 6 1024
ipt 6 mangle -A sshuttle-m-1024 -j MARK --set-mark $tmark --dest 2001:db8::53/32 -m udp -p udp --dport 53
ipt 6 mangle -A sshuttle-t-1024 -j TPROXY --tproxy-mark $tmark --dest 2001:db8::53/32 -m udp -p udp --dport 53 --on-port 1026
ipt 6 mangle -A sshuttle-t-1024 -j RETURN -m addrtype --dst-type LOCAL
ipt 6 mangle -A sshuttle-m-1024 -j RETURN -m addrtype --dst-type LOCAL
ipt 6 mangle -A sshuttle-d-1024 -j MARK --set-mark $tmark
ipt 6 mangle -A sshuttle-d-1024 -j ACCEPT
ipt 6 mangle -A sshuttle-t-1024 -m socket -j sshuttle-d-1024 -m tcp -p tcp
ipt 6 mangle -A sshuttle-t-1024 -m socket -j sshuttle-d-1024 -m udp -p udp
# subnets, heaviest first: the excluded host:port, then the redirected net:ports
ipt 6 mangle -A sshuttle-m-1024 -j RETURN --dest 2001:db8:1::101f/128 -m tcp -p tcp --dport 8080:8080
ipt 6 mangle -A sshuttle-t-1024 -j RETURN --dest 2001:db8:1::101f/128 -m tcp -p tcp --dport 8080:8080
ipt 6 mangle -A sshuttle-m-1024 -j RETURN --dest 2001:db8:1::101f/128 -m udp -p udp --dport 8080:8080
ipt 6 mangle -A sshuttle-t-1024 -j RETURN --dest 2001:db8:1::101f/128 -m udp -p udp --dport 8080:8080
ipt 6 mangle -A sshuttle-m-1024 -j MARK --set-mark $tmark --dest 2001:db8:1::/64 -m tcp -p tcp --dport 8000:9000
ipt 6 mangle -A sshuttle-t-1024 -j TPROXY --tproxy-mark $tmark --dest 2001:db8:1::/64 -m tcp -p tcp --dport 8000:9000 --on-port 1024
ipt 6 mangle -A sshuttle-m-1024 -j MARK --set-mark $tmark --dest 2001:db8:1::/64 -m udp -p udp --dport 8000:9000
ipt 6 mangle -A sshuttle-t-1024 -j TPROXY --tproxy-mark $tmark --dest 2001:db8:1::/64 -m udp -p udp --dport 8000:9000 --on-port 1024

# ---- IPv4: port 1025, dnsport 1027, nslist [192.0.2.53]
setup_chains 4 1025
ipt 4 mangle -A sshuttle-m-1025 -j MARK --set-mark $tmark --dest 192.0.2.53/32 -m udp -p udp --dport 53
ipt 4 mangle -A sshuttle-t-1025 -j TPROXY --tproxy-mark $tmark --dest 192.0.2.53/32 -m udp -p udp --dport 53 --on-port 1027
ipt 4 mangle -A sshuttle-t-1025 -j RETURN -m addrtype --dst-type LOCAL
ipt 4 mangle -A sshuttle-m-1025 -j RETURN -m addrtype --dst-type LOCAL
ipt 4 mangle -A sshuttle-d-1025 -j MARK --set-mark $tmark
ipt 4 mangle -A sshuttle-d-1025 -j ACCEPT
ipt 4 mangle -A sshuttle-t-1025 -m socket -j sshuttle-d-1025 -m tcp -p tcp
ipt 4 mangle -A sshuttle-t-1025 -m socket -j sshuttle-d-1025 -m udp -p udp
ipt 4 mangle -A sshuttle-m-1025 -j RETURN --dest 198.51.100.66/32 -m tcp -p tcp --dport 80:80
ipt 4 mangle -A sshuttle-t-1025 -j RETURN --dest 198.51.100.66/32 -m tcp -p tcp --dport 80:80
ipt 4 mangle -A sshuttle-m-1025 -j RETURN --dest 198.51.100.66/32 -m udp -p udp --dport 80:80
ipt 4 mangle -A sshuttle-t-1025 -j RETURN --dest 198.51.100.66/32 -m udp -p udp --dport 80:80
ipt 4 mangle -A sshuttle-m-1025 -j MARK --set-mark $tmark --dest 198.51.100.0/24 -m tcp -p tcp
ipt 4 mangle -A sshuttle-t-1025 -j TPROXY --tproxy-mark $tmark --dest 198.51.100.0/24 -m tcp -p tcp --on-port 1025
ipt 4 mangle -A sshuttle-m-1025 -j MARK --set-mark $tmark --dest 198.51.100.0/24 -m udp -p udp
ipt 4 mangle -A sshuttle-t-1025 -j TPROXY --tproxy-mark $tmark --dest 198.51.100.0/24 -m udp -p udp --on-port 1025
