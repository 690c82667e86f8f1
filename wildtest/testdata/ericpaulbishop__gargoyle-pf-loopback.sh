#!/bin/sh
# Gargoyle package/gargoyle-firewall-util/files/gargoyle_firewall_util.sh, insert_pf_loopback_rules()
# rendered for one redirect section (src wan, dest lan, proto tcp, src_dport 8000-8010,
# dest_ip 192.168.1.10, dest_port 8000-8010); network.wan.ipaddr=198.51.100.1, network.lan.netmask=255.255.255.0.
# The OpenWrt firewall chains it hooks into are created first (normally made by /etc/init.d/firewall).
iptables -t nat -N zone_lan_prerouting
iptables -t filter -N zone_lan_forward
iptables -t nat -N postrouting_rule

wan_ip=198.51.100.1
lan_mask=255.255.255.0

iptables -t nat    -N "pf_loopback_A"
iptables -t filter -N "pf_loopback_B"
iptables -t nat    -N "pf_loopback_C"

iptables -t nat    -I zone_lan_prerouting -d $wan_ip -j pf_loopback_A
iptables -t filter -I zone_lan_forward               -j pf_loopback_B
iptables -t nat    -I postrouting_rule -o br-lan     -j pf_loopback_C

proto=tcp
dest_ip=192.168.1.10
sdp_dash=8000-8010
sdp_colon=$(echo $sdp_dash | sed 's/\-/:/g')
dp_dash=8000-8010
dp_colon=$(echo $dp_dash | sed 's/\-/:/g')

iptables -t nat    -A pf_loopback_A -p $proto --dport $sdp_colon -j DNAT --to-destination $dest_ip:$dp_dash
iptables -t filter -A pf_loopback_B -p $proto --dport $dp_colon -d $dest_ip -j ACCEPT
iptables -t nat    -A pf_loopback_C -p $proto --dport $dp_colon -d $dest_ip -s $dest_ip/$lan_mask -j MASQUERADE
