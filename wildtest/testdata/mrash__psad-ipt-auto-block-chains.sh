#!/bin/sh
# psad ipt_block() (psad) through IPTables::ChainMgr (deps/IPTables-ChainMgr/lib/IPTables/ChainMgr.pm),
# psad.conf defaults IPT_AUTO_CHAIN1..3, auto-blocking 192.0.2.1 then 203.0.113.9 on a host with empty chains.
iptables -t filter -v -n -L PSAD_BLOCK_INPUT >/dev/null 2>&1 || iptables -t filter -N PSAD_BLOCK_INPUT
iptables -t filter -C INPUT -j PSAD_BLOCK_INPUT >/dev/null 2>&1 || iptables -t filter -I INPUT 1 -j PSAD_BLOCK_INPUT
iptables -t filter -I PSAD_BLOCK_INPUT 1 -s 192.0.2.1 -d 0.0.0.0/0 -j DROP
iptables -t filter -v -n -L PSAD_BLOCK_OUTPUT >/dev/null 2>&1 || iptables -t filter -N PSAD_BLOCK_OUTPUT
iptables -t filter -C OUTPUT -j PSAD_BLOCK_OUTPUT >/dev/null 2>&1 || iptables -t filter -I OUTPUT 1 -j PSAD_BLOCK_OUTPUT
iptables -t filter -I PSAD_BLOCK_OUTPUT 1 -s 0.0.0.0/0 -d 192.0.2.1 -j DROP
iptables -t filter -v -n -L PSAD_BLOCK_FORWARD >/dev/null 2>&1 || iptables -t filter -N PSAD_BLOCK_FORWARD
iptables -t filter -C FORWARD -j PSAD_BLOCK_FORWARD >/dev/null 2>&1 || iptables -t filter -I FORWARD 1 -j PSAD_BLOCK_FORWARD
iptables -t filter -I PSAD_BLOCK_FORWARD 1 -s 192.0.2.1 -d 0.0.0.0/0 -j DROP
iptables -t filter -I PSAD_BLOCK_FORWARD 1 -s 0.0.0.0/0 -d 192.0.2.1 -j DROP
iptables -t filter -v -n -L PSAD_BLOCK_INPUT >/dev/null 2>&1 || iptables -t filter -N PSAD_BLOCK_INPUT
iptables -t filter -C INPUT -j PSAD_BLOCK_INPUT >/dev/null 2>&1 || iptables -t filter -I INPUT 1 -j PSAD_BLOCK_INPUT
iptables -t filter -I PSAD_BLOCK_INPUT 1 -s 203.0.113.9 -d 0.0.0.0/0 -j DROP
iptables -t filter -v -n -L PSAD_BLOCK_OUTPUT >/dev/null 2>&1 || iptables -t filter -N PSAD_BLOCK_OUTPUT
iptables -t filter -C OUTPUT -j PSAD_BLOCK_OUTPUT >/dev/null 2>&1 || iptables -t filter -I OUTPUT 1 -j PSAD_BLOCK_OUTPUT
iptables -t filter -I PSAD_BLOCK_OUTPUT 1 -s 0.0.0.0/0 -d 203.0.113.9 -j DROP
iptables -t filter -v -n -L PSAD_BLOCK_FORWARD >/dev/null 2>&1 || iptables -t filter -N PSAD_BLOCK_FORWARD
iptables -t filter -C FORWARD -j PSAD_BLOCK_FORWARD >/dev/null 2>&1 || iptables -t filter -I FORWARD 1 -j PSAD_BLOCK_FORWARD
iptables -t filter -I PSAD_BLOCK_FORWARD 1 -s 203.0.113.9 -d 0.0.0.0/0 -j DROP
iptables -t filter -I PSAD_BLOCK_FORWARD 1 -s 0.0.0.0/0 -d 203.0.113.9 -j DROP
