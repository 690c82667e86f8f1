#!/bin/sh
# Rendered from containernetworking/plugins plugins/meta/firewall/iptables.go (iptablesBackend.Add)
# and plugins/meta/firewall/ingresspolicy.go (setupIsolationChains), ingressPolicy "same-bridge",
# prevResult: bridge cni0, container IPs 192.0.2.2/24 and 2001:db8::2/64.
for ipt in iptables ip6tables; do
  if [ "$ipt" = iptables ]; then ip=192.0.2.2/32; else ip=2001:db8::2/128; fi
  # setupChains
  $ipt -t filter -N CNI-FORWARD
  $ipt -t filter -N CNI-ADMIN
  $ipt -t filter -I FORWARD 1 -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
  $ipt -t filter -I CNI-FORWARD 1 -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
  # getPrivChainRules, AppendUnique
  $ipt -t filter -A CNI-FORWARD -d $ip -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  $ipt -t filter -A CNI-FORWARD -s $ip -j ACCEPT
done
for ipt in iptables ip6tables; do
  # setupIsolationChains(ipt, "cni0")
  $ipt -t filter -N CNI-ISOLATION-STAGE-1
  $ipt -t filter -N CNI-ISOLATION-STAGE-2
  $ipt -t filter -I FORWARD 1 -j CNI-ISOLATION-STAGE-1 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)"
  $ipt -t filter -I CNI-ISOLATION-STAGE-1 1 -i cni0 ! -o cni0 -j CNI-ISOLATION-STAGE-2 -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)"
  $ipt -t filter -A CNI-ISOLATION-STAGE-1 -j RETURN -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)"
  $ipt -t filter -I CNI-ISOLATION-STAGE-2 1 -o cni0 -j DROP -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)"
  $ipt -t filter -A CNI-ISOLATION-STAGE-2 -j RETURN -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge)"
done
