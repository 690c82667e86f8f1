#!/bin/sh
# Cilium agent's IPv6 mangle table (ip6tables -t mangle -S output from cilium/cilium
# pkg/datapath/iptables/iptables_test.go, TestCopyProxyRulesv6), replayed as commands.
set -e
T="ip6tables -t mangle"
$T -P PREROUTING ACCEPT
$T -P INPUT ACCEPT
$T -P FORWARD ACCEPT
$T -P OUTPUT ACCEPT
$T -P POSTROUTING ACCEPT
$T -N OLD_CILIUM_POST_mangle
$T -N OLD_CILIUM_PRE_mangle
$T -N KUBE-KUBELET-CANARY
$T -N KUBE-PROXY-CANARY
$T -A PREROUTING -m comment --comment "cilium-feeder: CILIUM_PRE_mangle" -j OLD_CILIUM_PRE_mangle
$T -A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_mangle" -j OLD_CILIUM_POST_mangle
$T -A OLD_CILIUM_PRE_mangle -m socket --transparent -m comment --comment "cilium: any->pod redirect proxied traffic to host proxy" -j MARK --set-xmark 0x200/0xffffffff
$T -A OLD_CILIUM_PRE_mangle -p tcp -m mark --mark 0xd5a90200 -m comment --comment "cilium: TPROXY to host cilium-dns-egress proxy" -j TPROXY --on-port 43477 --on-ip :: --tproxy-mark 0x200/0xffffffff
$T -A OLD_CILIUM_PRE_mangle -p tcp -m mark --mark 0xd5a90200 -m comment --comment "cilium: TPROXY to host cilium-random-proxy proxy" -j TPROXY --on-port 43499 --on-ip :: --tproxy-mark 0x200/0xffffffff
$T -A OLD_CILIUM_PRE_mangle -p udp -m mark --mark 0xd5a90200 -m comment --comment "cilium: TPROXY to host cilium-dns-egress proxy" -j TPROXY --on-port 43477 --on-ip :: --tproxy-mark 0x200/0xffffffff
