#!/bin/sh
# nodogsplash src/fw_iptables.c: the iptables commands iptables_fw_init() runs, then
# iptables_fw_authenticate() for one client and iptables_fw_deauthenticate() for another, rendered
# with: GatewayInterface eth1, GatewayAddress 192.168.1.1, iprange 192.168.1.0/24, port 2050,
# marks 0x10000/0x20000/0x30000 (conf.h defaults), the --or-mark probe failing (markop --set-mark) and the
# mark-masking probe failing (markmask ""), MACMechanism allow with AllowedMACList aa:bb:cc:dd:ee:02,
# TrustedMACList aa:bb:cc:dd:ee:03, MSS 1400 (set_mss=1, mss_value=1400), trusted-users ruleset
# { allow tcp port 22 }, preauthenticated-users { allow tcp port 53; allow udp port 53;
#   block to 10.0.0.0/8; allow to-ipset walledgarden } (the FirewallRule forms resources/nodogsplash.conf
# documents), authenticated-users { block to 192.168.0.0/16; allow all }, users-to-router as in
# resources/nodogsplash.conf; trusted-users-to-router empty (policy ACCEPT).
# Added: the ipset the to-ipset rule names (nodogsplash expects the admin to create it).
ipset create walledgarden hash:ip
# the two probes, both failing on this kernel in this rendering, are left out
# mangle
iptables --wait -t mangle -N ndsTRU
iptables --wait -t mangle -N ndsBLK
iptables --wait -t mangle -N ndsALW
iptables --wait -t mangle -N ndsINC
iptables --wait -t mangle -N ndsOUT
iptables --wait -t mangle -I PREROUTING 1 -i eth1 -s 192.168.1.0/24 -j ndsOUT
iptables --wait -t mangle -I PREROUTING 2 -i eth1 -s 192.168.1.0/24 -j ndsBLK
iptables --wait -t mangle -I PREROUTING 3 -i eth1 -s 192.168.1.0/24 -j ndsTRU
iptables --wait -t mangle -I POSTROUTING 1 -o eth1 -d 192.168.1.0/24 -j ndsINC
# iptables_trust_mac
iptables --wait -t mangle -A ndsTRU -m mac --mac-source aa:bb:cc:dd:ee:03 -j MARK --set-mark 0x20000
# MAC_ALLOW: mark everything blocked, then iptables_allow_mac inserts RETURNs
iptables --wait -t mangle -A ndsBLK -j MARK --set-mark 0x10000
iptables --wait -t mangle -I ndsBLK -m mac --mac-source aa:bb:cc:dd:ee:02 -j RETURN
# nat
iptables --wait -t nat -N ndsOUT
iptables --wait -t nat -I PREROUTING -i eth1 -s 192.168.1.0/24 -j ndsOUT
iptables --wait -t nat -A ndsOUT -m mark --mark 0x20000 -j RETURN
iptables --wait -t nat -A ndsOUT -m mark --mark 0x30000 -j RETURN
iptables --wait -t nat -A ndsOUT -p tcp --dport 53 -j ACCEPT
iptables --wait -t nat -A ndsOUT -p udp --dport 53 -j ACCEPT
iptables --wait -t nat -A ndsOUT -d 10.0.0.0/8 -j DROP
iptables --wait -t nat -A ndsOUT -m set --match-set walledgarden dst -j ACCEPT
iptables --wait -t nat -A ndsOUT -p tcp --dport 80 -j DNAT --to-destination 192.168.1.1:2050
iptables --wait -t nat -A ndsOUT -j ACCEPT
# filter
iptables --wait -t filter -N ndsNET
iptables --wait -t filter -N ndsRTR
iptables --wait -t filter -N ndsAUT
iptables --wait -t filter -N ndsTRU
iptables --wait -t filter -N ndsTRT
iptables --wait -t filter -I INPUT -i eth1 -s 192.168.1.0/24 -j ndsRTR
iptables --wait -t filter -A ndsRTR -m mark --mark 0x10000 -j DROP
iptables --wait -t filter -A ndsRTR -m conntrack --ctstate INVALID -j DROP
iptables --wait -t filter -A ndsRTR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --tcp-flags SYN SYN \! --tcp-option 2 -j DROP
iptables --wait -t filter -A ndsRTR -p tcp --dport 2050 -j ACCEPT
iptables --wait -t filter -A ndsRTR -m mark --mark 0x20000 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p udp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p udp --dport 67 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 22 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 80 -j ACCEPT
iptables --wait -t filter -A ndsRTR -p tcp --dport 443 -j ACCEPT
iptables --wait -t filter -A ndsRTR -j REJECT --reject-with icmp-port-unreachable
iptables --wait -t filter -I FORWARD -i eth1 -s 192.168.1.0/24 -j ndsNET
iptables --wait -t filter -A ndsNET -m mark --mark 0x10000 -j DROP
iptables --wait -t filter -A ndsNET -m conntrack --ctstate INVALID -j DROP
iptables --wait -t filter -A ndsNET -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400
iptables --wait -t filter -A ndsNET -m mark --mark 0x20000 -j ndsTRU
iptables --wait -t filter -A ndsTRU -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables --wait -t filter -A ndsTRU -p tcp --dport 22 -j ACCEPT
iptables --wait -t filter -A ndsTRU -j REJECT --reject-with icmp-port-unreachable
iptables --wait -t filter -A ndsNET -m mark --mark 0x30000 -j ndsAUT
iptables --wait -t filter -A ndsAUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables --wait -t filter -A ndsAUT -d 192.168.0.0/16 -j DROP
iptables --wait -t filter -A ndsAUT -j ACCEPT
iptables --wait -t filter -A ndsAUT -j REJECT --reject-with icmp-port-unreachable
iptables --wait -t filter -A ndsNET -p tcp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsNET -p udp --dport 53 -j ACCEPT
iptables --wait -t filter -A ndsNET -d 10.0.0.0/8 -j DROP
iptables --wait -t filter -A ndsNET -m set --match-set walledgarden dst -j ACCEPT
iptables --wait -t filter -A ndsNET -j REJECT --reject-with icmp-port-unreachable
# iptables_fw_authenticate 192.168.1.100 aa:bb:cc:dd:ee:01 and 192.168.1.101 aa:bb:cc:dd:ee:04
iptables --wait -t mangle -A ndsOUT -s 192.168.1.100 -m mac --mac-source aa:bb:cc:dd:ee:01 -j MARK --set-mark 0x30000
iptables --wait -t mangle -A ndsINC -d 192.168.1.100 -j MARK --set-mark 0x30000
iptables --wait -t mangle -A ndsINC -d 192.168.1.100 -j ACCEPT
iptables --wait -t mangle -A ndsOUT -s 192.168.1.101 -m mac --mac-source aa:bb:cc:dd:ee:04 -j MARK --set-mark 0x30000
iptables --wait -t mangle -A ndsINC -d 192.168.1.101 -j MARK --set-mark 0x30000
iptables --wait -t mangle -A ndsINC -d 192.168.1.101 -j ACCEPT
# iptables_fw_deauthenticate 192.168.1.101
iptables --wait -t mangle -D ndsOUT -s 192.168.1.101 -m mac --mac-source aa:bb:cc:dd:ee:04 -j MARK --set-mark 0x30000
iptables --wait -t mangle -D ndsINC -d 192.168.1.101 -j MARK --set-mark 0x30000
iptables --wait -t mangle -D ndsINC -d 192.168.1.101 -j ACCEPT
