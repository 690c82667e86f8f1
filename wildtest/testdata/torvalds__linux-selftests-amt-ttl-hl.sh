#!/bin/sh
# tools/testing/selftests/net/amt.sh: setup_iptables (run in the RELAY netns)
iptables -t mangle -I PREROUTING \
	-d 239.0.0.1 -j TTL --ttl-set 2
ip6tables -t mangle -I PREROUTING \
	-j HL --hl-set 2
