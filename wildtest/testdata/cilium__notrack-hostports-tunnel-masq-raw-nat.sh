#!/bin/sh
# Commands cilium-agent runs (pkg/datapath/iptables), as expected by the mock in
# cilium/cilium pkg/datapath/iptables/iptables_test.go: TestNoTrackHostPorts
# ("test adding notrack host port", then the update to 443,999), the VXLAN tunnel
# rules (testTunnelRulesTunnelingEnabled, port 8472), TestNodeIpsetNATCmds (ipset
# named "1.1.1.1", masquerade interface eth+) and TestAllEgressMasqueradeCmds
# (--random-fully). The feeder chains they hang off are created as cilium does.
set -e
ipset create 1.1.1.1 hash:ip family inet
ipset add 1.1.1.1 192.0.2.10
for ipt in iptables ip6tables; do
  $ipt -t raw -N CILIUM_PRE_raw
  $ipt -t raw -N CILIUM_OUTPUT_raw
  $ipt -t raw -A PREROUTING -m comment --comment "cilium-feeder: CILIUM_PRE_raw" -j CILIUM_PRE_raw
  $ipt -t raw -A OUTPUT -m comment --comment "cilium-feeder: CILIUM_OUTPUT_raw" -j CILIUM_OUTPUT_raw
  $ipt -t filter -N CILIUM_OUTPUT
  $ipt -t filter -A OUTPUT -m comment --comment "cilium-feeder: CILIUM_OUTPUT" -j CILIUM_OUTPUT
  # testTunnelRulesTunnelingEnabled(8472)
  $ipt -t filter -A CILIUM_OUTPUT -p udp --dport 8472 -m comment --comment "cilium: ACCEPT for tunnel traffic" -j ACCEPT
  $ipt -t raw -A CILIUM_PRE_raw -p udp --dport 8472 -m comment --comment "cilium: NOTRACK for tunnel traffic" -j CT --notrack
  $ipt -t raw -A CILIUM_OUTPUT_raw -p udp --dport 8472 -m comment --comment "cilium: NOTRACK for tunnel traffic" -j CT --notrack
  # TestNoTrackHostPorts
  $ipt -t raw -A CILIUM_PRE_raw -p tcp --match multiport --dports 443 -m comment --comment "cilium no-track-host-ports" -j CT --notrack
  $ipt -t raw -A CILIUM_OUTPUT_raw -p tcp --match multiport --sports 443 -m comment --comment "cilium no-track-host-ports return traffic" -j CT --notrack
  $ipt -t raw -A CILIUM_PRE_raw -p tcp --match multiport --dports 443,999 -m comment --comment "cilium no-track-host-ports" -j CT --notrack
  $ipt -t raw -A CILIUM_OUTPUT_raw -p tcp --match multiport --sports 443,999 -m comment --comment "cilium no-track-host-ports return traffic" -j CT --notrack
  $ipt -t raw -D CILIUM_PRE_raw -p tcp --match multiport --dports 443 -m comment --comment "cilium no-track-host-ports" -j CT --notrack
  $ipt -t raw -D CILIUM_OUTPUT_raw -p tcp --match multiport --sports 443 -m comment --comment "cilium no-track-host-ports return traffic" -j CT --notrack
done
iptables -t nat -N CILIUM_POST_nat
iptables -t nat -A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_nat" -j CILIUM_POST_nat
# TestNodeIpsetNATCmds (masqueradeInterfaces eth+)
iptables -t nat -A CILIUM_POST_nat -o eth+ -m set --match-set 1.1.1.1 dst -m comment --comment "exclude traffic to cluster nodes from masquerade" -j ACCEPT
# TestAllEgressMasqueradeCmds (no interfaces, random-fully)
iptables -t nat -A CILIUM_POST_nat ! -d 192.168.0.0/16 -s 10.0.0.0/16 ! -o cilium_+ -m comment --comment "cilium masquerade non-cluster" -j MASQUERADE --random-fully
