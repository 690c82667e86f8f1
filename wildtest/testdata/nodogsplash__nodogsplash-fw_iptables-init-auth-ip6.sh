#!/bin/sh
# nodogsplash src/fw_iptables.c: the commands iptables_fw_init() runs with config->ip6 set (ip6tables,
# ICMP_TYPE icmp6, no nat table section), then iptables_fw_authenticate() for one client, rendered with
# resources/nodogsplash.conf rule sets and src/conf.h defaults: GatewayInterface br-lan, iprange ::/0,
# gw port 2050, marks 0x10000/0x20000/0x30000 (mask 0x30000), MAC_BLOCK with no MACs, set_mss=1 mss_value=0,
# no traffic control; both probes succeed; client 2001:db8:1::100 aa:bb:cc:dd:ee:01.
ip6tables --wait -t mangle -I PREROUTING 1 -j MARK --or-mark 0x10000
ip6tables --wait -t mangle -D PREROUTING 1
ip6tables --wait -t filter -I FORWARD 1 -m mark --mark 0x10000/0x30000 -j REJECT
ip6tables --wait -t filter -D FORWARD 1
# mangle
ip6tables --wait -t mangle -N ndsTRU
ip6tables --wait -t mangle -N ndsBLK
ip6tables --wait -t mangle -N ndsALW
ip6tables --wait -t mangle -N ndsINC
ip6tables --wait -t mangle -N ndsOUT
ip6tables --wait -t mangle -I PREROUTING 1 -i br-lan -s ::/0 -j ndsOUT
ip6tables --wait -t mangle -I PREROUTING 2 -i br-lan -s ::/0 -j ndsBLK
ip6tables --wait -t mangle -I PREROUTING 3 -i br-lan -s ::/0 -j ndsTRU
ip6tables --wait -t mangle -I POSTROUTING 1 -o br-lan -d ::/0 -j ndsINC
# filter
ip6tables --wait -t filter -N ndsNET
ip6tables --wait -t filter -N ndsRTR
ip6tables --wait -t filter -N ndsAUT
ip6tables --wait -t filter -N ndsTRU
ip6tables --wait -t filter -N ndsTRT
ip6tables --wait -t filter -I INPUT -i br-lan -s ::/0 -j ndsRTR
ip6tables --wait -t filter -A ndsRTR -m mark --mark 0x10000/0x30000 -j DROP
ip6tables --wait -t filter -A ndsRTR -m conntrack --ctstate INVALID -j DROP
ip6tables --wait -t filter -A ndsRTR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -p tcp --tcp-flags SYN SYN \! --tcp-option 2 -j DROP
ip6tables --wait -t filter -A ndsRTR -p tcp --dport 2050 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -m mark --mark 0x20000/0x30000 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -p udp --dport 53 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -p tcp --dport 53 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -p udp --dport 67 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -p tcp --dport 22 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -p tcp --dport 80 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -p tcp --dport 443 -j ACCEPT
ip6tables --wait -t filter -A ndsRTR -j REJECT --reject-with icmp6-port-unreachable
ip6tables --wait -t filter -I FORWARD -i br-lan -s ::/0 -j ndsNET
ip6tables --wait -t filter -A ndsNET -m mark --mark 0x10000/0x30000 -j DROP
ip6tables --wait -t filter -A ndsNET -m conntrack --ctstate INVALID -j DROP
ip6tables --wait -t filter -A ndsNET -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
ip6tables --wait -t filter -A ndsNET -m mark --mark 0x20000/0x30000 -j ACCEPT
ip6tables --wait -t filter -A ndsNET -m mark --mark 0x30000/0x30000 -j ndsAUT
ip6tables --wait -t filter -A ndsAUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ip6tables --wait -t filter -A ndsAUT -j ACCEPT
ip6tables --wait -t filter -A ndsAUT -j REJECT --reject-with icmp6-port-unreachable
ip6tables --wait -t filter -A ndsNET -p tcp --dport 53 -j ACCEPT
ip6tables --wait -t filter -A ndsNET -p udp --dport 53 -j ACCEPT
ip6tables --wait -t filter -A ndsNET -j REJECT --reject-with icmp6-port-unreachable
# iptables_fw_authenticate
ip6tables --wait -t mangle -A ndsOUT -s 2001:db8:1::100 -m mac --mac-source aa:bb:cc:dd:ee:01 -j MARK --or-mark 0x30000
ip6tables --wait -t mangle -A ndsINC -d 2001:db8:1::100 -j MARK --or-mark 0x30000
ip6tables --wait -t mangle -A ndsINC -d 2001:db8:1::100 -j ACCEPT
