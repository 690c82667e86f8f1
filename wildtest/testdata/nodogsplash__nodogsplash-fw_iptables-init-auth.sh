#!/bin/sh
# nodogsplash src/fw_iptables.c: the iptables commands iptables_fw_init() runs (through
# execute("iptables --wait %s")), then iptables_fw_authenticate() for one client, rendered
# with resources/nodogsplash.conf's rule sets and src/conf.h defaults:
# GatewayInterface br-lan, iprange 0.0.0.0/0, gw 192.168.1.1:2050, marks 0x10000/0x20000/0x30000
# (mask 0x30000), MAC_BLOCK with no blocked/trusted MACs, set_mss=1 mss_value=0, no traffic control,
# IPv4. Both probes (--or-mark and mark masking) succeed; client 192.168.1.100 aa:bb:cc:dd:ee:01.
# _iptables_check_mark_masking
iptables --wait -t mangle -I PREROUTING 1 -j MARK --or-mark 0x10000
iptables --wait -t mangle -D PREROUTING 1
iptables --wait -t filter -I FORWARD 1 -m mark --mark 0x10000/0x30000 -j REJECT
iptables --wait -t filter -D FORWARD 1
# mangle
iptables --wait -t mangle -N ndsTRU
iptables --wait -t mangle -N ndsBLK
iptables --wait -t mangle -N ndsALW
iptables --wait -t mangle -N ndsINC
iptables --wait -t mangle -N ndsOUT
iptables --wait -t mangle -I PREROUTING 1 -i br-lan -s 0.0.0.0/0 -j ndsOUT
iptables --wait -t mangle -I PREROUTING 2 -i br-lan -s 0.0.0.0/0 -j ndsBLK
iptables --wait -t mangle -I PREROUTING 3 -i br-lan -s 0.0.0.0/0 -j ndsTRU
iptables --wait -t mangle -I POSTROUTING 1 -o br-lan -d 0.0.0.0/0 -j ndsINC
# nat
iptables --wait -t nat -N ndsOUT
iptables --wait -t nat -I PREROUTING -i br-lan -s 0.0.0.0/0 -j ndsOUT
iptables --wait -t nat -A ndsOUT -m mark --mark 0x20000/0x30000 -j RETURN
iptables --wait -t nat -A ndsOUT -m mark --mark 0x30000/0x30000 -j RETURN
iptables --wait -t nat -A ndsOUT -p tcp --dport 53 -j ACCEPT
iptables --wait -t nat -A ndsOUT -p udp --dport 53 -j ACCEPT
iptables --wait -t nat -A ndsOUT -p tcp --dport 80 -j DNAT --to-destination 192.168.1.1:2050
iptables --wait -t nat -A ndsOUT -j ACCEPT
# filter
iptables --wait -t filter -N ndsNET
iptables --wait -t filter -N ndsRTR
iptables --wait -t filter -N ndsAUT
iptables --wait -t filter -N ndsTRU
iptables --wait -t filter -N ndsTRT
iptables --wait -t filter -I INPUT -i br-lan -s 0.0.0.0/0 -j ndsRTR
iptables --wait -t filter -A ndsRTR -m mark --mark 0x10000/0x30000 -j DROP
iptables --wait -t filter -A ndsRTR -m conntrack --ctstate INVALID -j DROP
iptables --wait -t filter -A ndsRTR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --tcp-flags SYN SYN \! --tcp-option 2 -j DROP
iptables --wait -t filter -A ndsRTR -p tcp --dport 2050 -j ACCEPT
iptables --wait -t filter -A ndsRTR -m mark --mark 0x20000/0x30000 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p udp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p udp --dport 67 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 22 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 80 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 443 -j ACCEPT
iptables --wait -t filter -A ndsRTR -j REJECT --reject-with icmp-port-unreachable
iptables --wait -t filter -I FORWARD -i br-lan -s 0.0.0.0/0 -j ndsNET
iptables --wait -t filter -A ndsNET -m mark --mark 0x10000/0x30000 -j DROP
iptables --wait -t filter -A ndsNET -m conntrack --ctstate INVALID -j DROP
iptables --wait -t filter -A ndsNET -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
iptables --wait -t filter -A ndsNET -m mark --mark 0x20000/0x30000 -j ACCEPT
iptables --wait -t filter -A ndsNET -m mark --mark 0x30000/0x30000 -j ndsAUT
iptables --wait -t filter -A ndsAUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables --wait -t filter -A ndsAUT -j ACCEPT
iptables --wait -t filter -A ndsAUT -j REJECT --reject-with icmp-port-unreachable
iptables --wait -t filter -A ndsNET -p tcp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsNET -p udp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsNET -j REJECT --reject-with icmp-port-unreachable
# iptables_fw_authenticate
iptables --wait -t mangle -A ndsOUT -s 192.168.1.100 -m mac --mac-source aa:bb:cc:dd:ee:01 -j MARK --or-mark 0x30000
iptables --wait -t mangle -A ndsINC -d 192.168.1.100 -j MARK --or-mark 0x30000
iptables --wait -t mangle -A ndsINC -d 192.168.1.100 -j ACCEPT
