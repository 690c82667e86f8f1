#!/bin/sh
iptables \
-w \
--table filter \
--list-rules
iptables \
-w \
--table nat \
--list-rules
iptables \
-w \
--table mangle \
--list-rules
iptables \
-w \
--table filter \
--new-chain LIBVIRT_INP
iptables \
-w \
--table filter \
--insert INPUT \
--jump LIBVIRT_INP
iptables \
-w \
--table filter \
--new-chain LIBVIRT_OUT
iptables \
-w \
--table filter \
--insert OUTPUT \
--jump LIBVIRT_OUT
iptables \
-w \
--table filter \
--new-chain LIBVIRT_FWO
iptables \
-w \
--table filter \
--insert FORWARD \
--jump LIBVIRT_FWO
iptables \
-w \
--table filter \
--new-chain LIBVIRT_FWI
iptables \
-w \
--table filter \
--insert FORWARD \
--jump LIBVIRT_FWI
iptables \
-w \
--table filter \
--new-chain LIBVIRT_FWX
iptables \
-w \
--table filter \
--insert FORWARD \
--jump LIBVIRT_FWX
iptables \
-w \
--table nat \
--new-chain LIBVIRT_PRT
iptables \
-w \
--table nat \
--insert POSTROUTING \
--jump LIBVIRT_PRT
iptables \
-w \
--table mangle \
--new-chain LIBVIRT_PRT
iptables \
-w \
--table mangle \
--insert POSTROUTING \
--jump LIBVIRT_PRT
ip6tables \
-w \
--table filter \
--list-rules
ip6tables \
-w \
--table nat \
--list-rules
ip6tables \
-w \
--table mangle \
--list-rules
ip6tables \
-w \
--table filter \
--new-chain LIBVIRT_INP
ip6tables \
-w \
--table filter \
--insert INPUT \
--jump LIBVIRT_INP
ip6tables \
-w \
--table filter \
--new-chain LIBVIRT_OUT
ip6tables \
-w \
--table filter \
--insert OUTPUT \
--jump LIBVIRT_OUT
ip6tables \
-w \
--table filter \
--new-chain LIBVIRT_FWO
ip6tables \
-w \
--table filter \
--insert FORWARD \
--jump LIBVIRT_FWO
ip6tables \
-w \
--table filter \
--new-chain LIBVIRT_FWI
ip6tables \
-w \
--table filter \
--insert FORWARD \
--jump LIBVIRT_FWI
ip6tables \
-w \
--table filter \
--new-chain LIBVIRT_FWX
ip6tables \
-w \
--table filter \
--insert FORWARD \
--jump LIBVIRT_FWX
ip6tables \
-w \
--table nat \
--new-chain LIBVIRT_PRT
ip6tables \
-w \
--table nat \
--insert POSTROUTING \
--jump LIBVIRT_PRT
ip6tables \
-w \
--table mangle \
--new-chain LIBVIRT_PRT
ip6tables \
-w \
--table mangle \
--insert POSTROUTING \
--jump LIBVIRT_PRT
iptables \
-w \
--table filter \
--insert LIBVIRT_INP \
--in-interface virbr0 \
--protocol tcp \
--destination-port 67 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_INP \
--in-interface virbr0 \
--protocol udp \
--destination-port 67 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_OUT \
--out-interface virbr0 \
--protocol tcp \
--destination-port 68 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_OUT \
--out-interface virbr0 \
--protocol udp \
--destination-port 68 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_INP \
--in-interface virbr0 \
--protocol tcp \
--destination-port 53 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_INP \
--in-interface virbr0 \
--protocol udp \
--destination-port 53 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_OUT \
--out-interface virbr0 \
--protocol tcp \
--destination-port 53 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_OUT \
--out-interface virbr0 \
--protocol udp \
--destination-port 53 \
--jump ACCEPT
iptables \
-w \
--table filter \
--insert LIBVIRT_FWO \
--in-interface virbr0 \
--jump REJECT
iptables \
-w \
--table filter \
--insert LIBVIRT_FWI \
--out-interface virbr0 \
--jump REJECT
iptables \
-w \
--table filter \
--insert LIBVIRT_FWX \
--in-interface virbr0 \
--out-interface virbr0 \
--jump ACCEPT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_FWO \
--in-interface virbr0 \
--jump REJECT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_FWI \
--out-interface virbr0 \
--jump REJECT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_FWX \
--in-interface virbr0 \
--out-interface virbr0 \
--jump ACCEPT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_INP \
--in-interface virbr0 \
--protocol tcp \
--destination-port 53 \
--jump ACCEPT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_INP \
--in-interface virbr0 \
--protocol udp \
--destination-port 53 \
--jump ACCEPT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_OUT \
--out-interface virbr0 \
--protocol tcp \
--destination-port 53 \
--jump ACCEPT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_OUT \
--out-interface virbr0 \
--protocol udp \
--destination-port 53 \
--jump ACCEPT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_INP \
--in-interface virbr0 \
--protocol udp \
--destination-port 547 \
--jump ACCEPT
ip6tables \
-w \
--table filter \
--insert LIBVIRT_OUT \
--out-interface virbr0 \
--protocol udp \
--destination-port 546 \
--jump ACCEPT
iptables \
-w \
--table mangle \
--insert LIBVIRT_PRT \
--out-interface virbr0 \
--protocol udp \
--destination-port 68 \
--jump CHECKSUM \
--checksum-fill
