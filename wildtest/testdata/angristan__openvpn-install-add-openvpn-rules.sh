#!/bin/sh
iptables -t nat -I POSTROUTING 1 -s 10.8.0.0/24 -o eth0 -j MASQUERADE
iptables -I INPUT 1 -i tun+ -s 10.8.0.0/24 -j ACCEPT
iptables -I FORWARD 1 -i tun+ -s 10.8.0.0/24 -j ACCEPT
iptables -I FORWARD 1 -o tun+ -d 10.8.0.0/24 -j ACCEPT
iptables -I INPUT 1 -i eth0 -p udp --dport 1194 -j ACCEPT
ip6tables -t nat -I POSTROUTING 1 -s fd42:42:42:42::/112 -o eth0 -j MASQUERADE
ip6tables -I INPUT 1 -i tun+ -s fd42:42:42:42::/112 -j ACCEPT
ip6tables -I FORWARD 1 -i tun+ -s fd42:42:42:42::/112 -j ACCEPT
ip6tables -I FORWARD 1 -o tun+ -d fd42:42:42:42::/112 -j ACCEPT
ip6tables -I INPUT 1 -i eth0 -p udp --dport 1194 -j ACCEPT
