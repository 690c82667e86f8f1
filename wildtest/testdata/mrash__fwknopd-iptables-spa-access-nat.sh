#!/bin/sh
# The iptables commands fwknopd (mrash/fwknop server/fw_util_iptables.c) runs for
# one SPA client, built from the command templates in server/fw_util_iptables.h
# (IPT_NEW_CHAIN_ARGS, IPT_ADD_JUMP_RULE_ARGS, IPT_TMP_CHK_RULE_ARGS, IPT_DEL_RULE_ARGS,
# IPT_RULE_ARGS, IPT_OUT_RULE_ARGS, IPT_FWD_RULE_ARGS, IPT_DNAT_RULE_ARGS,
# IPT_SNAT_RULE_ARGS) and the default chain definitions of fwknopd.conf
# (IPT_INPUT_ACCESS, IPT_OUTPUT_ACCESS, IPT_FORWARD_ACCESS, IPT_DNAT_ACCESS,
# IPT_SNAT_ACCESS, IPT_MASQUERADE_ACCESS), with example values filled in.
set -e
IPT=iptables
CLIENT=198.51.100.23
EXP=1700000000

# fw_initialize(): chains and jump rules
$IPT -t filter -N FWKNOP_INPUT
$IPT -t filter -N FWKNOP_OUTPUT
$IPT -t filter -N FWKNOP_FORWARD
$IPT -t nat -N FWKNOP_PREROUTING
$IPT -t nat -N FWKNOP_POSTROUTING
$IPT -t nat -N FWKNOP_MASQUERADE
$IPT -t filter -I INPUT 1 -j FWKNOP_INPUT
$IPT -t filter -I OUTPUT 1 -j FWKNOP_OUTPUT
$IPT -t filter -I FORWARD 1 -j FWKNOP_FORWARD
$IPT -t nat -I PREROUTING 1 -j FWKNOP_PREROUTING
$IPT -t nat -I POSTROUTING 1 -j FWKNOP_POSTROUTING
$IPT -t nat -I POSTROUTING 1 -j FWKNOP_MASQUERADE

# probe for -C support (IPT_TMP_CHK_RULE_ARGS / IPT_TMP_VERIFY_CHK_ARGS), then remove it
$IPT -t filter -I FWKNOP_INPUT 1 -s 127.0.0.2 -p udp -j ACCEPT
$IPT -t filter -C FWKNOP_INPUT -s 127.0.0.2 -p udp -j ACCEPT
$IPT -t filter -D FWKNOP_INPUT 1

# SPA access: local tcp/22 and udp/53 (protocol numbers, as fwknopd passes them)
$IPT -t filter -A FWKNOP_INPUT -p 6 -s $CLIENT -d 0.0.0.0/0 --dport 22 -m comment --comment _exp_$EXP -j ACCEPT
$IPT -t filter -A FWKNOP_INPUT -p 17 -s $CLIENT -d 0.0.0.0/0 --dport 53 -m comment --comment _exp_$EXP -j ACCEPT
$IPT -t filter -A FWKNOP_OUTPUT -p 6 -d $CLIENT -s 0.0.0.0/0 --sport 22 -m comment --comment _exp_$EXP -j ACCEPT

# SPA NAT access: forward tcp/40022 to 192.168.10.5:22
$IPT -t nat -A FWKNOP_PREROUTING -p 6 -s $CLIENT -d 0.0.0.0/0 --dport 40022 -m comment --comment _exp_$EXP -j DNAT --to-destination 192.168.10.5:22
$IPT -t filter -A FWKNOP_FORWARD -p 6 -s $CLIENT -d 192.168.10.5 --dport 22 -m comment --comment _exp_$EXP -j ACCEPT
$IPT -t nat -A FWKNOP_POSTROUTING -p 6 -d 192.168.10.5 --dport 22 -m comment --comment _exp_$EXP -j SNAT --to-source 203.0.113.1
$IPT -t nat -A FWKNOP_MASQUERADE -p 6 -d 192.168.10.5 --dport 22 -m comment --comment _exp_$EXP -j MASQUERADE
