#!/bin/sh
# NodeLocal DNSCache (kubernetes/dns cmd/node-cache/app/cache_app.go at
# 00846fa65eeac85ec328832926c70293d0afc333, Apache-2.0): the iptables rules
# initIptables() lists, put in place by setupNetworking() with k8s.io/kubernetes
# pkg/util/iptables EnsureRule(Prepend, ...) = "iptables -w 5 -W 100000 -C CHAIN -t TABLE
# ARGS" and, when that fails, "... -I CHAIN -t TABLE ARGS". node-cache started as the
# addon manifest starts it: -localip 169.254.20.10,198.51.100.10 (the link-local
# listen address and the kube-dns service IP, here a documentation address),
# port 53, health port 8080. setupNetworking() runs again every -syncinterval; the
# second pass finds every rule and adds nothing.

ensure_rule() {
    table=$1 chain=$2
    shift 2
    iptables -w 5 -W 100000 -C "$chain" -t "$table" "$@" 2>/dev/null && return 0
    iptables -w 5 -W 100000 -I "$chain" -t "$table" "$@"
}

setup_networking() {
    for localIP in 169.254.20.10 198.51.100.10; do
        ensure_rule raw PREROUTING -p tcp -d $localIP --dport 53 -j NOTRACK
        ensure_rule raw PREROUTING -p udp -d $localIP --dport 53 -j NOTRACK
        ensure_rule filter INPUT -p tcp -d $localIP --dport 53 -j ACCEPT
        ensure_rule filter INPUT -p udp -d $localIP --dport 53 -j ACCEPT
        ensure_rule raw OUTPUT -p tcp -s $localIP --sport 53 -j NOTRACK
        ensure_rule raw OUTPUT -p udp -s $localIP --sport 53 -j NOTRACK
        ensure_rule filter OUTPUT -p tcp -s $localIP --sport 53 -j ACCEPT
        ensure_rule filter OUTPUT -p udp -s $localIP --sport 53 -j ACCEPT
        ensure_rule raw OUTPUT -p tcp -d $localIP --dport 53 -j NOTRACK
        ensure_rule raw OUTPUT -p udp -d $localIP --dport 53 -j NOTRACK
        ensure_rule raw OUTPUT -p tcp -d $localIP --dport 8080 -j NOTRACK
        ensure_rule raw OUTPUT -p tcp -s $localIP --sport 8080 -j NOTRACK
    done
}

setup_networking
setup_networking
