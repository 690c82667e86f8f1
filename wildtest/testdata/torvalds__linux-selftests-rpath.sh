#!/bin/sh
# tools/testing/selftests/net/netfilter/rpath.sh: the rules it adds in ns2 (iptables/ip6tables, no target: counters only)
common='-t raw -A PREROUTING -s 192.168.0.0/16'
iptables $common -m rpfilter
iptables $common -m rpfilter --invert
common='-t raw -A PREROUTING -s fec0::/16'
ip6tables $common -m rpfilter
ip6tables $common -m rpfilter --invert
