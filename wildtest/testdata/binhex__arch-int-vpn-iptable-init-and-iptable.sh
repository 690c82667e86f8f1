#!/bin/sh
# binhex/arch-int-vpn run/root/iptable-init.sh (main) followed by run/root/iptable.sh,
# the iptables/ip6tables commands in the order they run, with the shell loops expanded for:
# APPLICATION=deluge (ext port 8112, lan port 58846), ENABLE_PRIVOXY=yes (8118), ENABLE_SOCKS=no,
# VPN_INPUT_PORTS=9000, VPN_OUTPUT_PORTS=5432, LAN_NETWORK=192.168.1.0/24,
# DOCKER_NETWORKING="eth0,...,172.17.0.0/16", VPN_REMOTE_IP_LIST=198.51.100.10, VPN_DEVICE_TYPE=tun0,
# iptable_mangle present.
# --- iptable-init.sh: drop_all_ipv4, drop_all_ipv6
iptables -P INPUT DROP
iptables -P FORWARD DROP
iptables -P OUTPUT DROP
ip6tables -P INPUT DROP
ip6tables -P FORWARD DROP
ip6tables -P OUTPUT DROP
# name_resolution '-I'
iptables -I INPUT -s 127.0.0.11/32 -j ACCEPT
iptables -I INPUT -d 127.0.0.11/32 -j ACCEPT
iptables -I OUTPUT -s 127.0.0.11/32 -j ACCEPT
iptables -I OUTPUT -d 127.0.0.11/32 -j ACCEPT
iptables -I INPUT -p tcp -m tcp --sport 53 -j ACCEPT
iptables -I INPUT -p udp -m udp --sport 53 -j ACCEPT
iptables -I OUTPUT -p tcp -m tcp --dport 53 -j ACCEPT
iptables -I OUTPUT -p udp -m udp --dport 53 -j ACCEPT
# (resolve_vpn_endpoints) then name_resolution '-D'
iptables -D INPUT -s 127.0.0.11/32 -j ACCEPT
iptables -D INPUT -d 127.0.0.11/32 -j ACCEPT
iptables -D OUTPUT -s 127.0.0.11/32 -j ACCEPT
iptables -D OUTPUT -d 127.0.0.11/32 -j ACCEPT
iptables -D INPUT -p tcp -m tcp --sport 53 -j ACCEPT
iptables -D INPUT -p udp -m udp --sport 53 -j ACCEPT
iptables -D OUTPUT -p tcp -m tcp --dport 53 -j ACCEPT
iptables -D OUTPUT -p udp -m udp --dport 53 -j ACCEPT
# accept_vpn_endpoints input / output
iptables -A INPUT -i eth0 -s 198.51.100.10 -j ACCEPT
iptables -A OUTPUT -o eth0 -d 198.51.100.10 -j ACCEPT
# --- iptable.sh
iptables -A INPUT -s 172.17.0.0/16 -d 172.17.0.0/16 -j ACCEPT
# (rule_exists: INPUT -i eth0 -s 198.51.100.10 already there, skipped)
iptables -A INPUT -i eth0 -p tcp --dport 8112 -j ACCEPT
iptables -A INPUT -i eth0 -p udp --dport 8112 -j ACCEPT
iptables -A INPUT -i eth0 -p tcp --dport 9000 -j ACCEPT
iptables -A INPUT -i eth0 -p udp --dport 9000 -j ACCEPT
iptables -A INPUT -i eth0 -s 192.168.1.0/24 -d 172.17.0.0/16 -p tcp --dport 58846 -j ACCEPT
iptables -A INPUT -i eth0 -s 192.168.1.0/24 -d 172.17.0.0/16 -p tcp --dport 8118 -j ACCEPT
iptables -A INPUT -i eth0 -s 192.168.1.0/24 -d 172.17.0.0/16 -p tcp --sport 5432 -j ACCEPT
iptables -A INPUT -p icmp --icmp-type echo-reply -j ACCEPT
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -i tun0 -j ACCEPT
iptables -A OUTPUT -s 172.17.0.0/16 -d 172.17.0.0/16 -j ACCEPT
# (rule_exists: OUTPUT -o eth0 -d 198.51.100.10 already there, skipped)
iptables -t mangle -A OUTPUT -p tcp --sport 8112 -j MARK --set-mark 1
iptables -t mangle -A OUTPUT -p tcp --sport 9000 -j MARK --set-mark 2
iptables -A OUTPUT -o eth0 -p tcp --sport 8112 -j ACCEPT
iptables -A OUTPUT -o eth0 -p udp --sport 8112 -j ACCEPT
iptables -A OUTPUT -o eth0 -p tcp --sport 9000 -j ACCEPT
iptables -A OUTPUT -o eth0 -p udp --sport 9000 -j ACCEPT
iptables -A OUTPUT -o eth0 -s 172.17.0.0/16 -d 192.168.1.0/24 -p tcp --sport 58846 -j ACCEPT
iptables -A OUTPUT -o eth0 -s 172.17.0.0/16 -d 192.168.1.0/24 -p tcp --sport 8118 -j ACCEPT
iptables -A OUTPUT -o eth0 -s 172.17.0.0/16 -d 192.168.1.0/24 -p tcp --dport 5432 -j ACCEPT
iptables -A OUTPUT -p icmp --icmp-type echo-request -j ACCEPT
iptables -A OUTPUT -o lo -j ACCEPT
iptables -A OUTPUT -o tun0 -j ACCEPT
