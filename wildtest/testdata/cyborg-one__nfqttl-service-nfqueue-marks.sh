#!/bin/sh
iptables -t mangle -N nfqttli
iptables -t mangle -A nfqttli -m mark --mark 0x10000001 -j RETURN
iptables -t mangle -A nfqttli -m mark --mark 0x10000002 -j RETURN
iptables -t mangle -A nfqttli -j NFQUEUE --queue-num 0x1000
iptables -t mangle -N nfqttlo
iptables -t mangle -A nfqttlo -m mark --mark 0x10000001 -j RETURN
iptables -t mangle -A nfqttlo -m mark --mark 0x10000003 -j RETURN
iptables -t mangle -A nfqttlo -j NFQUEUE --queue-num 0x1000
iptables -t mangle -I PREROUTING -j nfqttli
iptables -t mangle -I POSTROUTING -j nfqttlo

ip6tables -t mangle -N nfqttli
ip6tables -t mangle -A nfqttli -m mark --mark 0x10000001 -j RETURN
ip6tables -t mangle -A nfqttli -m mark --mark 0x10000002 -j RETURN
ip6tables -t mangle -A nfqttli -j NFQUEUE --queue-num 0x1000
ip6tables -t mangle -N nfqttlo
ip6tables -t mangle -A nfqttlo -m mark --mark 0x10000001 -j RETURN
ip6tables -t mangle -A nfqttlo -m mark --mark 0x10000003 -j RETURN
ip6tables -t mangle -A nfqttlo -j NFQUEUE --queue-num 0x1000
ip6tables -t mangle -I PREROUTING -j nfqttli
ip6tables -t mangle -I POSTROUTING -j nfqttlo
exit 0