#!/bin/sh
# src/fw/sshg-fw-ipset.sh
fw_init() {
    ipset -quiet create -exist sshguard4 hash:net family inet
    ipset -quiet create -exist sshguard6 hash:net family inet6
}

fw_block() {
    ipset -quiet add -exist sshguard$2 $1/$3
}

fw_init
fw_block 192.0.2.1 4 32
fw_block 198.51.100.0 4 24
fw_block 2001:db8::1 6 128
# doc/sshguard-setup.7.rst, ipset section
iptables  -I INPUT -m set --match-set sshguard4 src -j DROP
ip6tables -I INPUT -m set --match-set sshguard6 src -j DROP
