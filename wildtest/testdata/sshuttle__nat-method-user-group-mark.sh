#!/bin/sh
# sshuttle's nat method (sshuttle/methods/nat.py, sshuttle/linux.py at
# 8f81fc0b2e99953dbecccba0b4a0acdcd992dc48, LGPL-2.1) as the firewall process runs it
# for "sshuttle --method nat --dns --user 1000 --group 1000 -r host 0/0
# -x 192.0.2.10 -x 198.51.100.0/24:22 ::/0 -x 2001:db8::/64" (nameservers 192.0.2.53,
# 2001:db8::53): IPv6 (port 12300, DNS 12299) then IPv4 (port 12300, DNS 12299);
# run twice, the second start finding the first run's chains (restore_firewall's
# cleanup path with nonfatal -D). ipt(), nonfatal and ipt_chain_exists are linux.py's.

ipt() {
    fam=$1 table=$2
    shift 2
    if [ "$fam" = 6 ]; then cmd=ip6tables; else cmd=iptables; fi
    "$cmd" -w -t "$table" "$@" || { rv=$?; echo "fatal: $cmd -t $table $* returned $rv" >&2; exit 1; }
}

# nonfatal: log and go on
nonfatal() {
    ( ipt "$@" ) || echo "error: ipt $* failed" >&2
}

ipt_chain_exists() {
    if [ "$1" = 6 ]; then cmd=ip6tables; else cmd=iptables; fi
    "$cmd" -w -t "$2" -nL | grep -q "^Chain $3 "
}

user=1000 group=1000

restore_firewall() {
    fam=$1 port=$2 chain=sshuttle-$2
    if ipt_chain_exists "$fam" nat "$chain"; then
        nonfatal "$fam" mangle -D OUTPUT -m owner --uid-owner $user --gid-owner $group -j MARK --set-mark "$port"
        nonfatal "$fam" nat -D OUTPUT -m mark --mark "$port" -j "$chain"
        nonfatal "$fam" nat -D PREROUTING -m mark --mark "$port" -j "$chain"
        nonfatal "$fam" nat -F "$chain"
        ipt "$fam" nat -X "$chain"
    fi
}

setup_firewall() {
    fam=$1 port=$2 dnsport=$3 ns=$4 chain=sshuttle-$2
    restore_firewall "$fam" "$port"
    ipt "$fam" nat -N "$chain"
    ipt "$fam" nat -F "$chain"
    nonfatal "$fam" mangle -I OUTPUT 1 -m owner --uid-owner $user --gid-owner $group -j MARK --set-mark "$port"
    ipt "$fam" nat -I OUTPUT 1 -m mark --mark "$port" -j "$chain"
    ipt "$fam" nat -I PREROUTING 1 -m mark --mark "$port" -j "$chain"
    ipt "$fam" nat -A "$chain" -j REDIRECT --dest "$ns" -p udp --dport 53 --to-ports "$dnsport"
}

for run in 1 2; do
    # IPv6: subnets sorted heaviest first (the /64 exclusion, then ::/0)
    setup_firewall 6 12300 12299 2001:db8::53
    ipt 6 nat -A sshuttle-12300 -j RETURN --dest 2001:db8::/64 -p tcp
    ipt 6 nat -A sshuttle-12300 -j REDIRECT --dest ::/0 -p tcp --to-ports 12300
    ipt 6 nat -A sshuttle-12300 -j RETURN -m addrtype --dst-type LOCAL

    # IPv4: the port-restricted exclusion first, then the host, then 0/0
    setup_firewall 4 12300 12299 192.0.2.53
    ipt 4 nat -A sshuttle-12300 -j RETURN --dest 198.51.100.0/24 -p tcp --dport 22:22
    ipt 4 nat -A sshuttle-12300 -j RETURN --dest 192.0.2.10/32 -p tcp
    ipt 4 nat -A sshuttle-12300 -j REDIRECT --dest 0.0.0.0/0 -p tcp --to-ports 12300
    ipt 4 nat -A sshuttle-12300 -j RETURN -m addrtype --dst-type LOCAL
done
