#!/bin/bash
# ffbsee/ffbsee-ansible ec5a1229876294ad047a4610fe1bfdf4dfe4a964 (MIT, LICENCE): templates/firewall/ip4tables.sh followed by
# templates/firewall/ip6tables.sh, both RENDERED (jinja2 3.1.6, trim_blocks) with host_vars/gw02.ffbsee.net.yml and group_vars/freifunk.yml:
# wan_base_interface=wan_interface=eth0 (wan_vlan_id empty), ipv4_dhcp_interface=bat0, vpn_on_port_443='false',
# wan_ipv6_ip=2a01:4f8:c012:ea63::1, wan_ipv6_network=2a01:4f8:c012:ea63::/64; /sbin/ip(6)tables kept as written.
#  
#  Diese Datei wird von Ansible erstellt
#
#  Nicht oeffentliche IP's erstmal droppen
#  Koennte sonst aerger mit Providern geben...
#
/sbin/iptables -A FORWARD -d 192.168.0.0/16  -j REJECT --reject-with icmp-net-prohibited               # RFC 1918
/sbin/iptables -A FORWARD -d 172.16.0.0/12 -o eth0 -j REJECT --reject-with icmp-net-prohibited # RFC 1918
/sbin/iptables -A FORWARD -d 10.0.0.0/8 -o eth0 -j REJECT --reject-with icmp-net-prohibited    # RFC 1918
/sbin/iptables -A FORWARD -d 169.254.0.0/16  -j REJECT --reject-with icmp-net-prohibited               # APIPA - link-local
/sbin/iptables -A FORWARD -d 100.64.0.0/10  -j REJECT --reject-with icmp-net-prohibited                # ISP - carrier-grade NAT
/sbin/iptables -A FORWARD -d 224.0.0.0/3 -j REJECT --reject-with icmp-net-prohibited                   # multicast
/sbin/iptables -A FORWARD -d 192.0.0.0/24 -j REJECT --reject-with icmp-net-prohibited                  # IANA IPv4 Special Purpose Address Registry
/sbin/iptables -A FORWARD -d 192.0.2.0/24 -j REJECT --reject-with icmp-net-prohibited                  # TEST-NET-1
/sbin/iptables -A FORWARD -d 192.88.99.0/24 -j REJECT --reject-with icmp-net-prohibited                # 6to4 anycast relays (deprecated)
/sbin/iptables -A FORWARD -d 198.18.0.0/15 -j REJECT --reject-with icmp-net-prohibited                 # testing of inter-network communications
/sbin/iptables -A FORWARD -d 198.51.100.0/24 -j REJECT --reject-with icmp-net-prohibited               # TEST-NET-2
/sbin/iptables -A FORWARD -d 203.0.113.0/24 -j REJECT --reject-with icmp-net-prohibited                # TEST-NET-3
#
# NAT vom 'WAN' Interface zum 'B.A.T.M.A.N.' Interface
# 
/sbin/iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
/sbin/iptables -A FORWARD -i eth0 -o bat0 -m state --state RELATED,ESTABLISHED -j ACCEPT
/sbin/iptables -A FORWARD -i bat0 -o eth0 -j ACCEPT

#
# Diese Datei wird von Ansible erstellt
#
# Auch beim IPv6 gibt es bischen zu tun
#

/sbin/ip6tables -A INPUT -i bat0 -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP
/sbin/ip6tables -A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
/sbin/ip6tables -A FORWARD -m state --state NEW -m connlimit --connlimit-above 200 --connlimit-mask 128 --connlimit-saddr -j DROP
/sbin/ip6tables -A FORWARD -i bat0 -o eth0 -j ACCEPT

# Block ULAs to global network
/sbin/ip6tables -A FORWARD -d fc00::/7 ! -o eth0 -j ACCEPT
/sbin/ip6tables -A FORWARD -d fec0::/10 ! -o eth0 -j ACCEPT
/sbin/ip6tables -A FORWARD -j DROP 

#
# NAT Table
#
/sbin/ip6tables -t nat -A POSTROUTING -o eth0 -j NETMAP --to 2a01:4f8:c012:ea63::/64
