#!/bin/sh
# libreswan programs/_updown.xfrm/_updown.xfrm.in: firewall_cmd, addnflog and addcat
# (lines 923-935, 996-1008, 1155-1166), @@USE_IPTABLES@@=true, @@USE_NFTABLES@@=false.
# A roadwarrior with client address translation (cat=yes) and nflog-group=50.
PLUTO_CONNECTION=rw-cat PLUTO_ME=10.0.0.5 PLUTO_MY_CLIENT=192.0.2.100/32 PLUTO_MY_CLIENT_NET=192.0.2.100
PLUTO_PEER=198.51.100.1 PLUTO_PEER_CLIENT=0.0.0.0/0 NFLOG=50 CAT=YES

firewall_cmd() {
    USE_IPTABLES=true
    USE_NFTABLES=false

    if [ "${USE_NFTABLES}" = true ]; then
	FIREWALL=nftables
    elif [ "${USE_IPTABLES}" = true ]; then
	FIREWALL=iptables
    else
	FIREWALL=
    fi
}


addnflog() {
    firewall_cmd
    if [ "${FIREWALL}" = "nftables" -a -n "${NFLOG}" ]; then
        add_nflog_nftables_conn
    elif [ "${FIREWALL}" = iptables -a -n "${NFLOG}" ]; then
        iptables -I OUTPUT -m policy --dir out --pol ipsec \
            -s ${PLUTO_MY_CLIENT} -d ${PLUTO_PEER_CLIENT} \
            -j NFLOG --nflog-group ${NFLOG} --nflog-prefix ${PLUTO_CONNECTION}
        iptables -I INPUT  -m policy --dir in --pol ipsec \
            -s ${PLUTO_PEER_CLIENT} -d ${PLUTO_MY_CLIENT} \
            -j NFLOG --nflog-group ${NFLOG} --nflog-prefix ${PLUTO_CONNECTION}
    fi
}

addcat() {
    firewall_cmd
    if [ "${FIREWALL}" = "nftables" -a -n "${CAT}" ]; then
        add_nftables_cat
    elif [ "${FIREWALL}" = "iptables" -a -n "${CAT}" -a "${PLUTO_MY_CLIENT_NET}" != "0.0.0.0" ] ; then
	iptables -t nat -I POSTROUTING -m policy --dir out --pol ipsec \
	    -d ${PLUTO_PEER_CLIENT} -j SNAT --to-source ${PLUTO_MY_CLIENT_NET}
	iptables -t nat -I PREROUTING -m policy --dir in --pol ipsec \
	    -d ${PLUTO_MY_CLIENT_NET} -s ${PLUTO_PEER_CLIENT} \
	    -j DNAT --to-destination ${PLUTO_ME}
    fi
}

# route-client, then up-client (the functions of "the big choice" that touch iptables)
addnflog
addcat

# a second connection: site-to-site 10.1.0.0/16 <-> 10.2.0.0/16, nflog only (no CAT)
PLUTO_CONNECTION=site2site PLUTO_ME=203.0.113.1 PLUTO_MY_CLIENT=10.1.0.0/16 PLUTO_MY_CLIENT_NET=10.1.0.0
PLUTO_PEER=203.0.113.2 PLUTO_PEER_CLIENT=10.2.0.0/16 NFLOG=51 CAT=
addnflog
addcat
