#!/bin/bash

# Definition of IP addresses protected by SYNPROXY
IP_POOL="100.64.1.130 100.64.1.131 100.64.1.132 100.64.1.133 100.64.1.134 100.64.1.135 100.64.1.136 100.64.1.137 100.64.1.138 100.64.1.139 100.64.1.140 100.64.1.141 100.64.1.142"

# Setup flows & rules
## Create ipset for matching
ipset create circularpool hash:ip -!
ipset flush  circularpool
for ipaddr in $IP_POOL; do
    ipset add circularpool $ipaddr
done

## Create iptable rules
iptables -t raw    -F
iptables -t raw    -A PREROUTING -i mitm0 -m set --match-set circularpool dst -p tcp -m tcp --syn -j CT --notrack
iptables -t filter -F
iptables -t filter -A FORWARD -i mitm0 -o mitm1 -m set --match-set circularpool dst -p tcp -m tcp -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
iptables -t filter -A FORWARD -p tcp -m conntrack --ctstate INVALID -j DROP
