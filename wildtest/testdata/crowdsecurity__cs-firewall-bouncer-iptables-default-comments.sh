#!/bin/sh
# The commands crowdsec-firewall-bouncer (mode: iptables) runs, in order, with
# config/crowdsec-firewall-bouncer.yaml (deny_action DROP, deny_log false,
# iptables_chains [INPUT], iptables_add_rule_comments true, ipset_type nethash)
# after ban decisions from two origins (crowdsec; lists:firehol_cruzit_web_attacks).
iptables -N CROWDSEC_CHAIN -t filter
iptables -I INPUT -j CROWDSEC_CHAIN
ip6tables -N CROWDSEC_CHAIN -t filter
ip6tables -I INPUT -j CROWDSEC_CHAIN
ipset create crowdsec-blacklists-0 nethash timeout 300 maxelem 131072 family inet
iptables -I CROWDSEC_CHAIN -m set --match-set crowdsec-blacklists-0 src -j DROP -m comment --comment "CrowdSec: crowdsec"
ipset create crowdsec-blacklists-1 nethash timeout 300 maxelem 131072 family inet
iptables -I CROWDSEC_CHAIN -m set --match-set crowdsec-blacklists-1 src -j DROP -m comment --comment "CrowdSec: lists:firehol_cruzit_web_attacks"
tmp=$(mktemp /tmp/cs-firewall-bouncer-ipset-XXXXXX)
printf 'add crowdsec-blacklists-0 192.0.2.1 timeout 14400 -exist\nadd crowdsec-blacklists-1 198.51.100.0/24 timeout 86400 -exist\nadd crowdsec-blacklists-1 203.0.113.7 timeout 86400 -exist\n' > "$tmp"
ipset restore -file "$tmp"
rm -f "$tmp"
ipset create crowdsec6-blacklists-0 nethash timeout 300 maxelem 131072 family inet6
ip6tables -I CROWDSEC_CHAIN -m set --match-set crowdsec6-blacklists-0 src -j DROP -m comment --comment "CrowdSec: crowdsec"
tmp=$(mktemp /tmp/cs-firewall-bouncer-ipset-XXXXXX)
printf 'add crowdsec6-blacklists-0 2001:db8::1 timeout 14400 -exist\nadd crowdsec6-blacklists-0 2001:db8:1::/48 timeout 14400 -exist\n' > "$tmp"
ipset restore -file "$tmp"
rm -f "$tmp"
