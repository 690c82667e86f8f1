#!/bin/sh
# Apache CloudStack VPC router: systemvm/debian/opt/cloud/bin/cs/CsAddress.py fw_vpcrouter + post_config_change, rendered (see SOURCES row)
iptables -t filter -A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
iptables -t mangle -N VPN_STATS_eth1
iptables -t mangle -A FORWARD -j VPN_STATS_eth1
iptables -t mangle -A VPN_STATS_eth1 -o eth1 -m mark --mark 0x525/0xffffffff
iptables -t mangle -A VPN_STATS_eth1 -i eth1 -m mark --mark 0x524/0xffffffff
iptables -t filter -N NETWORK_STATS_eth1
iptables -t filter -I FORWARD -j NETWORK_STATS_eth1
iptables -t filter -N NETWORK_STATS
iptables -t filter -I FORWARD -j NETWORK_STATS
iptables -t filter -I INPUT -j NETWORK_STATS
iptables -t filter -I OUTPUT -j NETWORK_STATS
iptables -t filter -A NETWORK_STATS -i eth0 -o eth2 -p tcp
iptables -t filter -A NETWORK_STATS -i eth2 -o eth0 -p tcp
iptables -t filter -A NETWORK_STATS ! -i eth0 -o eth2 -p tcp
iptables -t filter -A NETWORK_STATS -i eth2 ! -o eth0 -p tcp
iptables -t filter -A INPUT -d 224.0.0.18/32 -j ACCEPT
iptables -t filter -A INPUT -d 225.0.0.50/32 -j ACCEPT
iptables -t filter -A INPUT -p icmp -j ACCEPT
iptables -t filter -A INPUT -i lo -j ACCEPT
iptables -t filter -A INPUT -i eth0 -p tcp -m tcp --dport 3922 -m state --state NEW,ESTABLISHED -j ACCEPT
iptables -t filter -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -P INPUT DROP
iptables -t filter -P FORWARD DROP
iptables -t filter -I FORWARD 3 -s 192.0.2.0/22 ! -d 192.0.2.0/22 -j ACCEPT
iptables -t nat -A POSTROUTING -j SNAT -o eth1 --to-source 198.51.100.10
iptables -t mangle -I PREROUTING -i eth2 -m state --state RELATED,ESTABLISHED -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
iptables -t filter -N ACL_INBOUND_eth2
iptables -t filter -A FORWARD -d 192.0.2.0/24 -o eth2 -j ACL_INBOUND_eth2
iptables -t filter -I ACL_INBOUND_eth2 -d 224.0.0.18/32 -j ACCEPT
iptables -t filter -I ACL_INBOUND_eth2 -d 225.0.0.50/32 -j ACCEPT
iptables -t filter -A ACL_INBOUND_eth2 -j DROP
iptables -t mangle -N ACL_OUTBOUND_eth2
iptables -t mangle -I ACL_OUTBOUND_eth2 -d 225.0.0.50/32 -j ACCEPT
iptables -t mangle -I ACL_OUTBOUND_eth2 -d 224.0.0.18/32 -j ACCEPT
iptables -t filter -A INPUT -i eth2 -p udp -m udp --dport 67 -j ACCEPT
iptables -t mangle -I POSTROUTING -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill
iptables -t filter -A INPUT -i eth2 -p udp -m udp --dport 53 -s 192.0.2.0/24 -j ACCEPT
iptables -t filter -A INPUT -i eth2 -p tcp -m tcp --dport 53 -s 192.0.2.0/24 -j ACCEPT
iptables -t filter -A INPUT -i eth2 -p tcp -m tcp --dport 80 -s 192.0.2.0/24 -m state --state NEW -j ACCEPT
iptables -t filter -A INPUT -i eth2 -p tcp -m tcp --dport 8080 -s 192.0.2.0/24 -m state --state NEW -j ACCEPT
iptables -t mangle -A PREROUTING -m state --state NEW -i eth2 -s 192.0.2.0/24 ! -d 192.0.2.1/32 -j ACL_OUTBOUND_eth2
iptables -t filter -I NETWORK_STATS_eth1 -i eth1 -d 192.0.2.0/24
iptables -t filter -I NETWORK_STATS_eth1 -o eth1 -s 192.0.2.0/24
