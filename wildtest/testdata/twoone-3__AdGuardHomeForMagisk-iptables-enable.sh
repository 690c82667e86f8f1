#!/bin/sh
# twoone-3/AdGuardHomeForMagisk scripts/iptables.sh "enable", with scripts/config.sh defaults
# (block_ipv6_dns=true, use_blacklist=true, redir_port=5591, adg_user=root, empty ignore lists),
# the functions and loops expanded; adg_group net_raw (an Android group) written as its Android
# gid 3004; packages_list given one app whose uid is 10123.
iptables_w="iptables -w 64"
ip6tables_w="ip6tables -w 64"
# enable_iptables
${iptables_w} -t nat -N ADGUARD
${iptables_w} -t nat -A ADGUARD -m owner --uid-owner root --gid-owner 3004 -j RETURN
${iptables_w} -t nat -A ADGUARD -m owner --uid-owner 10123 -j RETURN
${iptables_w} -t nat -A ADGUARD -p udp --dport 53 -j REDIRECT --to-ports 5591
${iptables_w} -t nat -A ADGUARD -p tcp --dport 53 -j REDIRECT --to-ports 5591
${iptables_w} -t nat -I OUTPUT -j ADGUARD
# add_block_ipv6_dns
$ip6tables_w -A OUTPUT -p udp --dport 53 -j DROP
$ip6tables_w -A OUTPUT -p tcp --dport 53 -j DROP
