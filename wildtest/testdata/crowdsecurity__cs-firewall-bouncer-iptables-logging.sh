#!/bin/sh
# The commands crowdsec-firewall-bouncer (mode: iptables) runs, in order, with
# test/tests/backends/iptables/crowdsec-firewall-bouncer-logging.yaml
# (deny_action DROP, deny_log true, deny_log_prefix "blocked by crowdsec",
# iptables_chains [INPUT]) and defaults (ipset_type nethash, ipset_size 131072),
# after one ban decision (origin crowdsec, 4h) per family.
# setupChain (pkg/iptables/iptables_context.go), v4 then v6
iptables -N CROWDSEC_CHAIN -t filter
iptables -I INPUT -j CROWDSEC_CHAIN
iptables -N CROWDSEC_LOG -t filter
iptables -I CROWDSEC_LOG -j LOG --log-prefix "blocked by crowdsec"
iptables -A CROWDSEC_LOG -j DROP
ip6tables -N CROWDSEC_CHAIN -t filter
ip6tables -I INPUT -j CROWDSEC_CHAIN
ip6tables -N CROWDSEC_LOG -t filter
ip6tables -I CROWDSEC_LOG -j LOG --log-prefix "blocked by crowdsec"
ip6tables -A CROWDSEC_LOG -j DROP
# commit(): set per origin (ipsetcmd.Create), createRule, then ipset restore -file
ipset create crowdsec-blacklists-0 nethash timeout 300 maxelem 131072 family inet
iptables -I CROWDSEC_CHAIN -m set --match-set crowdsec-blacklists-0 src -j CROWDSEC_LOG
tmp=$(mktemp /tmp/cs-firewall-bouncer-ipset-XXXXXX)
printf 'add crowdsec-blacklists-0 192.0.2.1 timeout 14400 -exist\n' > "$tmp"
ipset restore -file "$tmp"
rm -f "$tmp"
ipset create crowdsec6-blacklists-0 nethash timeout 300 maxelem 131072 family inet6
ip6tables -I CROWDSEC_CHAIN -m set --match-set crowdsec6-blacklists-0 src -j CROWDSEC_LOG
tmp=$(mktemp /tmp/cs-firewall-bouncer-ipset-XXXXXX)
printf 'add crowdsec6-blacklists-0 2001:db8::1 timeout 14400 -exist\n' > "$tmp"
ipset restore -file "$tmp"
rm -f "$tmp"
