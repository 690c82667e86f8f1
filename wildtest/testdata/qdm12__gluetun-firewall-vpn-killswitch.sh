#!/bin/sh
# The instructions gluetun's firewall (qdm12/gluetun internal/firewall/iptables.go)
# runs when it enables the VPN kill switch, with the format strings filled in:
# clearAllRules, setIPv4AllPolicies/IPv6 DROP, acceptInputThroughInterface(lo),
# acceptOutputThroughInterface(lo), acceptEstablishedRelatedTraffic,
# acceptOutputTrafficToVPN(eth0, 203.0.113.45 udp 1194), acceptOutputThroughInterface(tun0),
# acceptOutputFromIPToSubnet(eth0, 172.18.0.2 -> 172.18.0.0/16), acceptInputToSubnet(eth0,
# 172.18.0.0/16), acceptIpv6MulticastOutput(eth0), acceptInputToPort(tun0, 51413).
# runMixedIptablesInstruction(s) runs each instruction with iptables and ip6tables.
set -e
both() { iptables "$@"; ip6tables "$@"; }
both --flush
both --delete-chain
iptables --policy INPUT DROP
iptables --policy OUTPUT DROP
iptables --policy FORWARD DROP
ip6tables --policy INPUT DROP
ip6tables --policy OUTPUT DROP
ip6tables --policy FORWARD DROP
both --append INPUT -i lo -j ACCEPT
both --append OUTPUT -o lo -j ACCEPT
both --append OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
both --append INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables --append OUTPUT -d 203.0.113.45 -o eth0 -p udp -m udp --dport 1194 -j ACCEPT
both --append OUTPUT -o tun0 -j ACCEPT
iptables --append OUTPUT -o eth0 -s 172.18.0.2 -d 172.18.0.0/16 -j ACCEPT
iptables --append INPUT -i eth0 -d 172.18.0.0/16 -j ACCEPT
ip6tables --append OUTPUT -o eth0 -d ff02::1:ff/104 -j ACCEPT
both --append INPUT -i tun0 -p tcp --dport 51413 -j ACCEPT
both --append INPUT -i tun0 -p udp --dport 51413 -j ACCEPT
