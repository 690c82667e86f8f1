#!/bin/sh
# doc/sshguard-setup.7.rst: chains and sample ruleset
iptables -N sshguard      # for IPv4
ip6tables -N sshguard     # for IPv6
iptables -A INPUT -j sshguard
ip6tables -A INPUT -m multiport -p tcp --destination-ports 21,22,110,143 -j sshguard
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -A INPUT -p udp --dport 53 -j ACCEPT
iptables -A INPUT -p tcp --dport 80 -j ACCEPT
iptables -A INPUT -p tcp --dport 443 -j ACCEPT
iptables -P INPUT DROP

# src/fw/sshg-fw-iptables.sh
run_iptables() {
    cmd=iptables
    if [ "6" = "$2" ]; then
        cmd=ip6tables
    fi

    # Check if iptables supports the '-w' flag.
    if $cmd -w -V >/dev/null 2>&1; then
        $cmd -w $1
    else
        $cmd $1
    fi
}

fw_init() {
    run_iptables "-L -n"
}

fw_block() {
    run_iptables "-I sshguard -s $1/$3 -j DROP" $2
}

fw_init
fw_block 192.0.2.1 4 32
fw_block 198.51.100.0 4 24
fw_block 2001:db8::1 6 128
fw_block 2001:db8:1:: 6 48
