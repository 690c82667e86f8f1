#!/bin/sh
# Rules that tailscale's util/linuxfw iptables runner installs, as asserted by
# util/linuxfw/iptables_runner_test.go (TestAddAndDeleteChains, ...Hooks, ...Base,
# TestAddAndDelLoopbackRule, TestAddAndDelSNATRule, TestEnsureSNATForDst_ipt), with
# tunname=tun0, TailscaleSubnetRouteMark=0x40000, TailscaleFwmarkMask=0xff0000,
# CGNATRange=100.64.0.0/10, ChromeOSVMRange=100.115.92.0/23 filled in.
set -e
for ipt in iptables ip6tables; do
  # AddChains
  $ipt -t filter -N ts-input
  $ipt -t filter -N ts-forward
  $ipt -t nat -N ts-postrouting
  # AddHooks (inserted at the top)
  $ipt -t filter -I INPUT 1 -j ts-input
  $ipt -t filter -I FORWARD 1 -j ts-forward
  $ipt -t nat -I POSTROUTING 1 -j ts-postrouting
done
# AddBase(tun0): IPv4-only rules
iptables -t filter -A ts-input ! -i tun0 -s 100.115.92.0/23 -j RETURN
iptables -t filter -A ts-input ! -i tun0 -s 100.64.0.0/10 -j DROP
for ipt in iptables ip6tables; do
  $ipt -t filter -A ts-input -i tun0 -j ACCEPT
  $ipt -t filter -A ts-forward -i tun0 -j MARK --set-mark 0x40000/0xff0000
  $ipt -t filter -A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT
done
iptables -t filter -A ts-forward -o tun0 -s 100.64.0.0/10 -j DROP
for ipt in iptables ip6tables; do
  $ipt -t filter -A ts-forward -o tun0 -j ACCEPT
done
# AddLoopbackRule (inserted at the top of ts-input)
iptables -t filter -I ts-input 1 -i lo -s 192.168.0.2 -j ACCEPT
ip6tables -t filter -I ts-input 1 -i lo -s 2001:db8::2 -j ACCEPT
# AddSNATRule
for ipt in iptables ip6tables; do
  $ipt -t nat -A ts-postrouting -m mark --mark 0x40000/0xff0000 -j MASQUERADE
done
# EnsureSNATForDst(100.77.77.77, 100.88.88.88) and (100.77.77.77, 100.99.99.99), plus the test's own rule
iptables -t nat -I POSTROUTING 1 -d 100.88.88.88/32 -j SNAT --to-source 100.77.77.77
iptables -t nat -I POSTROUTING 1 -d 100.99.99.99/32 -j SNAT --to-source 100.77.77.77
iptables -t nat -I POSTROUTING 1 --destination 100.99.99.99 -j SNAT --to-source 10.0.0.1
