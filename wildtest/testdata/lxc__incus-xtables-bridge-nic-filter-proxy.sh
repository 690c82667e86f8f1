#!/bin/sh
# Incus xtables firewall driver (internal/server/firewall/drivers/drivers_xtables.go at
# 1924513f3c745589a98adbbc94fdd60d8e50f0f4, the parent of the commit that dropped it):
# the iptables/ip6tables commands it runs, in order, for
#  NetworkSetup("incusbr0") with SNATV4/SNATV6 (MASQUERADE, prepend), ICMPDHCPDNSAccess and ForwardingAllow on both families;
#  InstanceSetupBridgeFilter (parentManaged, IPv6 nets as test/suites/container_devices_nic_bridged_filtering.sh uses);
#  InstanceSetupRPFilter, InstanceSetupNetPrio(10), InstanceSetupProxyNAT (tcp 198.51.100.10:8080 -> 192.0.2.5:80).
N=incusbr0
C="generated for Incus network $N"
I="generated for Incus container c1 (eth0)"
H=veth1234
# networkSetupOutboundNAT
iptables -w -t nat -I POSTROUTING -s 192.0.2.0/24 ! -d 192.0.2.0/24 -j MASQUERADE -m comment --comment "$C"
ip6tables -w -t nat -I POSTROUTING -s 2001:db8:1::/64 ! -d 2001:db8:1::/64 -j MASQUERADE -m comment --comment "$C"
# networkSetupICMPDHCPDNSAccess(4)
iptables -w -t filter -I INPUT -i $N -p udp --dport 67 -j ACCEPT -m comment --comment "$C"
iptables -w -t filter -I INPUT -i $N -p udp --dport 53 -j ACCEPT -m comment --comment "$C"
iptables -w -t filter -I INPUT -i $N -p tcp --dport 53 -j ACCEPT -m comment --comment "$C"
iptables -w -t filter -I OUTPUT -o $N -p udp --sport 67 -j ACCEPT -m comment --comment "$C"
iptables -w -t filter -I OUTPUT -o $N -p udp --sport 53 -j ACCEPT -m comment --comment "$C"
iptables -w -t filter -I OUTPUT -o $N -p tcp --sport 53 -j ACCEPT -m comment --comment "$C"
for t in 3 11 12; do
  iptables -w -t filter -I INPUT -i $N -p icmp -m icmp --icmp-type $t -j ACCEPT -m comment --comment "$C"
  iptables -w -t filter -I OUTPUT -o $N -p icmp -m icmp --icmp-type $t -j ACCEPT -m comment --comment "$C"
done
# networkSetupDHCPv4Checksum
iptables -w -t mangle -I POSTROUTING -o $N -p udp --dport 68 -j CHECKSUM --checksum-fill -m comment --comment "$C"
# networkSetupForwardingPolicy(4, allow)
iptables -w -t filter -I FORWARD -i $N -j ACCEPT -m comment --comment "$C"
iptables -w -t filter -I FORWARD -o $N -j ACCEPT -m comment --comment "$C"
# networkSetupICMPDHCPDNSAccess(6)
ip6tables -w -t filter -I INPUT -i $N -p udp --dport 547 -j ACCEPT -m comment --comment "$C"
ip6tables -w -t filter -I INPUT -i $N -p udp --dport 53 -j ACCEPT -m comment --comment "$C"
ip6tables -w -t filter -I INPUT -i $N -p tcp --dport 53 -j ACCEPT -m comment --comment "$C"
ip6tables -w -t filter -I OUTPUT -o $N -p udp --sport 547 -j ACCEPT -m comment --comment "$C"
ip6tables -w -t filter -I OUTPUT -o $N -p udp --sport 53 -j ACCEPT -m comment --comment "$C"
ip6tables -w -t filter -I OUTPUT -o $N -p tcp --sport 53 -j ACCEPT -m comment --comment "$C"
for t in 1 2 3 4 133 135 136 143; do
  ip6tables -w -t filter -I INPUT -i $N -p icmpv6 -m icmp6 --icmpv6-type $t -j ACCEPT -m comment --comment "$C"
done
for t in 1 2 3 4 128 134 135 136 143; do
  ip6tables -w -t filter -I OUTPUT -o $N -p icmpv6 -m icmp6 --icmpv6-type $t -j ACCEPT -m comment --comment "$C"
done
# networkSetupForwardingPolicy(6, allow)
ip6tables -w -t filter -I FORWARD -i $N -j ACCEPT -m comment --comment "$C"
ip6tables -w -t filter -I FORWARD -o $N -j ACCEPT -m comment --comment "$C"
# networkSetupNICFilteringChain(6)
ip6tables -w -t filter -N incus_nic_$N
ip6tables -w -t filter -I INPUT -i $N -j incus_nic_$N -m comment --comment "$C"
ip6tables -w -t filter -I FORWARD -i $N -j incus_nic_$N -m comment --comment "$C"
# InstanceSetupBridgeFilter: generateFilterIptablesRules (parentManaged), prepended in the order generated
ip6tables -w -t filter -I incus_nic_$N -i $N -p ipv6-icmp -m physdev --physdev-in $H -m icmp6 --icmpv6-type 136 -j DROP -m comment --comment "$I"
ip6tables -w -t filter -I incus_nic_$N -i $N -p ipv6-icmp -m physdev --physdev-in $H -m icmp6 --icmpv6-type 136 -m string --hex-string "|20010db8000100000000000000000002|" --algo bm --from 48 --to 64 -j ACCEPT -m comment --comment "$I"
ip6tables -w -t filter -I incus_nic_$N -i $N -p ipv6-icmp -m physdev --physdev-in $H -m icmp6 --icmpv6-type 136 -m string --hex-string "|20010db800020000|" --algo bm --from 48 --to 56 -j ACCEPT -m comment --comment "$I"
ip6tables -w -t filter -I incus_nic_$N -i $N -p ipv6-icmp -m physdev --physdev-in $H -m icmp6 --icmpv6-type 136 -m string --hex-string "|20010db800030000|" --algo bm --from 48 --to 56 -j ACCEPT -m comment --comment "$I"
ip6tables -w -t filter -I incus_nic_$N -i $N -p ipv6-icmp -m physdev --physdev-in $H -m icmp6 --icmpv6-type 136 -m string ! --hex-string "|00163e123456|" --algo bm --from 66 --to 72 -j DROP -m comment --comment "$I"
# InstanceSetupRPFilter
iptables -w -t raw -I PREROUTING -m rpfilter --invert -i $H -j DROP -m comment --comment "$I rpfilter"
ip6tables -w -t raw -I PREROUTING -m rpfilter --invert -i $H -j DROP -m comment --comment "$I rpfilter"
# InstanceSetupNetPrio(10)
iptables -w -t mangle -I FORWARD -i eth0 -j CLASSIFY --set-class 0:a -m comment --comment "$I netprio"
ip6tables -w -t mangle -I FORWARD -i eth0 -j CLASSIFY --set-class 0:a -m comment --comment "$I netprio"
# InstanceSetupProxyNAT
iptables -w -t nat -I POSTROUTING -p tcp --source 192.0.2.5 --destination 192.0.2.5 --dport 80 -j MASQUERADE -m comment --comment "$I"
iptables -w -t nat -I PREROUTING -p tcp --destination 198.51.100.10 --dport 8080 -j DNAT --to-destination 192.0.2.5:80 -m comment --comment "$I"
iptables -w -t nat -I OUTPUT -p tcp --destination 198.51.100.10 --dport 8080 -j DNAT --to-destination 192.0.2.5:80 -m comment --comment "$I"
