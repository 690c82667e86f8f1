#!/bin/sh
# tohojo/sqm-scripts src/simple.qos ipt_setup(), as run by sqm_prepare_script with IFACE=eth0,
# QDISC=fq_codel, IPT_MASK=0xff (defaults.sh), ZERO_DSCP_INGRESS=1; each ipt call expands
# (src/functions.sh ipt()) to ${IPTABLES} $IPTABLES_ARGS "$@" then ${IP6TABLES} $IPTABLES_ARGS "$@"
# with IPTABLES_ARGS="-w 1". The negated (-D/-X) pre-runs ipt() does before each -A/-I/-N are left out
# (on a fresh start they fail and change nothing).
iptables -w 1 -t mangle -N QOS_MARK_eth0
ip6tables -w 1 -t mangle -N QOS_MARK_eth0
iptables -w 1 -t mangle -A QOS_MARK_eth0 -j MARK --set-mark 0x2/0xff
ip6tables -w 1 -t mangle -A QOS_MARK_eth0 -j MARK --set-mark 0x2/0xff
iptables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class CS1 -j MARK --set-mark 0x3/0xff
ip6tables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class CS1 -j MARK --set-mark 0x3/0xff
iptables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class CS6 -j MARK --set-mark 0x1/0xff
ip6tables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class CS6 -j MARK --set-mark 0x1/0xff
iptables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class EF -j MARK --set-mark 0x1/0xff
ip6tables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class EF -j MARK --set-mark 0x1/0xff
iptables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class AF42 -j MARK --set-mark 0x1/0xff
ip6tables -w 1 -t mangle -A QOS_MARK_eth0 -m dscp --dscp-class AF42 -j MARK --set-mark 0x1/0xff
iptables -w 1 -t mangle -A QOS_MARK_eth0 -m tos  --tos Minimize-Delay -j MARK --set-mark 0x1/0xff
ip6tables -w 1 -t mangle -A QOS_MARK_eth0 -m tos  --tos Minimize-Delay -j MARK --set-mark 0x1/0xff
iptables -w 1 -t mangle -I PREROUTING -i eth0 -m dscp ! --dscp 0 -j DSCP --set-dscp-class be
ip6tables -w 1 -t mangle -I PREROUTING -i eth0 -m dscp ! --dscp 0 -j DSCP --set-dscp-class be
iptables -w 1 -t mangle -A POSTROUTING -o eth0 -m mark --mark 0x00/0xff -g QOS_MARK_eth0
ip6tables -w 1 -t mangle -A POSTROUTING -o eth0 -m mark --mark 0x00/0xff -g QOS_MARK_eth0
iptables -w 1 -t mangle -I PREROUTING -i vtun+ -p tcp -j MARK --set-mark 0x2/0xff
ip6tables -w 1 -t mangle -I PREROUTING -i vtun+ -p tcp -j MARK --set-mark 0x2/0xff
iptables -w 1 -t mangle -A OUTPUT -p udp -m multiport --ports 123,53 -j DSCP --set-dscp-class AF42
ip6tables -w 1 -t mangle -A OUTPUT -p udp -m multiport --ports 123,53 -j DSCP --set-dscp-class AF42
