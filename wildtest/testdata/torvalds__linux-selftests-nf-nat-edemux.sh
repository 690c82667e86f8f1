#!/bin/sh
# tools/testing/selftests/net/netfilter/nf_nat_edemux.sh: the rules it adds (ns2's DNAT, then ns1's REDIRECTs; here in one netns)
iptables -t nat -A OUTPUT -d 10.96.0.1/32 -p tcp --dport 443 -j DNAT --to-destination 192.168.1.1:5201 || exit 1
iptables -t nat -A PREROUTING -p tcp --dport 5202 -j REDIRECT --to-ports 5201
iptables -t nat -A PREROUTING -p tcp --dport 5203 -j REDIRECT --to-ports 5201
