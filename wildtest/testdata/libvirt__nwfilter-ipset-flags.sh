#!/bin/sh
ipset create tck_test hash:ip
iptables -w -N FJ-vnet0
iptables -w -N FP-vnet0
iptables -w -N HJ-vnet0
iptables \
-w \
-A FJ-vnet0 \
-p all \
-m conntrack \
--ctstate NEW,ESTABLISHED \
-m set \
--match-set tck_test src,dst \
-j RETURN
iptables \
-w \
-A FP-vnet0 \
-p all \
-m conntrack \
--ctstate ESTABLISHED \
-m set \
--match-set tck_test dst,src \
-j ACCEPT
iptables \
-w \
-A HJ-vnet0 \
-p all \
-m conntrack \
--ctstate NEW,ESTABLISHED \
-m set \
--match-set tck_test src,dst \
-j RETURN
iptables \
-w \
-A FP-vnet0 \
-p all \
-m set \
--match-set tck_test src,dst \
-m comment \
--comment in+NONE \
-j ACCEPT
iptables \
-w \
-A FJ-vnet0 \
-p all \
-m set \
--match-set tck_test src,dst \
-m comment \
--comment out+NONE \
-j RETURN
iptables \
-w \
-A HJ-vnet0 \
-p all \
-m set \
--match-set tck_test src,dst \
-m comment \
--comment out+NONE \
-j RETURN
iptables \
-w \
-A FJ-vnet0 \
-p all \
-m conntrack \
--ctstate ESTABLISHED \
-m set \
--match-set tck_test dst,src,dst \
-j RETURN
iptables \
-w \
-A FP-vnet0 \
-p all \
-m conntrack \
--ctstate NEW,ESTABLISHED \
-m set \
--match-set tck_test src,dst,src \
-j ACCEPT
iptables \
-w \
-A HJ-vnet0 \
-p all \
-m conntrack \
--ctstate ESTABLISHED \
-m set \
--match-set tck_test dst,src,dst \
-j RETURN
iptables \
-w \
-A FJ-vnet0 \
-p all \
-m conntrack \
--ctstate ESTABLISHED \
-m set \
--match-set tck_test dst,src,dst \
-j RETURN
iptables \
-w \
-A FP-vnet0 \
-p all \
-m conntrack \
--ctstate NEW,ESTABLISHED \
-m set \
--match-set tck_test src,dst,src \
-j ACCEPT
iptables \
-w \
-A HJ-vnet0 \
-p all \
-m conntrack \
--ctstate ESTABLISHED \
-m set \
--match-set tck_test dst,src,dst \
-j RETURN
iptables \
-w \
-A FJ-vnet0 \
-p all \
-m conntrack \
--ctstate ESTABLISHED \
-m set \
--match-set tck_test dst,src \
-j RETURN
iptables \
-w \
-A FP-vnet0 \
-p all \
-m conntrack \
--ctstate NEW,ESTABLISHED \
-m set \
--match-set tck_test src,dst \
-j ACCEPT
iptables \
-w \
-A HJ-vnet0 \
-p all \
-m conntrack \
--ctstate ESTABLISHED \
-m set \
--match-set tck_test dst,src \
-j RETURN
iptables \
-w \
-A FJ-vnet0 \
-p all \
-m set \
--match-set tck_test dst,src \
-m comment \
--comment inout \
-j RETURN
iptables \
-w \
-A FP-vnet0 \
-p all \
-m set \
--match-set tck_test src,dst \
-m comment \
--comment inout \
-j ACCEPT
iptables \
-w \
-A HJ-vnet0 \
-p all \
-m set \
--match-set tck_test dst,src \
-m comment \
--comment inout \
-j RETURN
