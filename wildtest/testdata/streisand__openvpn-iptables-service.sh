#!/bin/sh
/sbin/iptables --wait 120 -A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
/sbin/iptables --wait 120 -A FORWARD -s 10.8.0.0/24 -j ACCEPT
/sbin/iptables --wait 120 -A FORWARD -s 10.9.0.0/24 -j ACCEPT
/sbin/iptables --wait 120 -t nat -A POSTROUTING -s 10.8.0.0/24 -o eth0 -j MASQUERADE
/sbin/iptables --wait 120 -t nat -A POSTROUTING -s 10.9.0.0/24 -o eth0 -j MASQUERADE
