#!/bin/bash
# bmaeser/iptables-boilerplate `firewall start` (commit 1d3f77e2fbaa8246c3b314cea78b6dce86f89456), made standalone:
# firewall.conf defaults inlined, custom-examples/ssh-new-limit.sh and all-overall-limit.sh as /etc/firewall/custom/,
# services.conf default (22/tcp, 22/udp) fed through the original loop, empty white/blacklists, each /proc/sys write replaced by ":".
ipv4_forwarding=false
drop_invalid=true
drop_broadcast=true
drop_portscan=true
secure_redirects=true
block_redirects=true
ignore_broadcast_icmp=true
ignore_bogus_errors=true
block_source_route_packages=true
block_proxy_arp=true
enable_syn_cookies=true
enable_reverse_path=true
disable_bootp_relay=true
disable_martian_loging=true
disable_srr=true
enable_sack=true
ipv6_loopback_ok=true
ipv6_drop_all=true
ipv6_forwarding=false
ipv6_disabled=false
IPTABLES=iptables
IP6TABLES=ip6tables
        ## DELETE OLD RULES
        $IPTABLES -F
        $IPTABLES -X

        #################################################################
        # DEFAULT POLICIES
        #################################################################

        $IPTABLES -P INPUT DROP
        $IPTABLES -P OUTPUT ACCEPT

        #################################################################
        # CUSTOM CHAINS
        #################################################################

        ## portscan drop
        $IPTABLES -N portscan_drop
        $IPTABLES -A portscan_drop -m limit --limit 60/m -j LOG --log-prefix "PORTSCAN DETECTED"
        $IPTABLES -A portscan_drop -j DROP

        ## invalid drop
        $IPTABLES -N invalid_drop
        $IPTABLES -A invalid_drop -m state --state INVALID -m limit --limit 60/m -j LOG --log-prefix "INVALID PACKAGE"
        $IPTABLES -A invalid_drop -m state --state INVALID -j DROP

        #################################################################
        # IPv4 FORWARDING 
        #################################################################

        if $ipv4_forwarding ; then
            $IPTABLES -P FORWARD ACCEPT
            ## enable IPv4 forwarding ( ! overwrites sysctl settings ! )
            : # (/proc/sys write removed)
        else
            ## drop IPv4 forwarding
            $IPTABLES -P FORWARD DROP
            ## disable IPv4 forwarding ( ! overwrites sysctl settings ! )
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        #################################################################
        # ALLOW DEFAULTS
        #################################################################

        ## allow anything on loopback
        $IPTABLES -A INPUT -i lo -j ACCEPT
        $IPTABLES -A OUTPUT -o lo -j ACCEPT

        ## allow ICMP
        $IPTABLES -A INPUT -p icmp -j ACCEPT

        ## allow all packets that already have a connection
        $IPTABLES -A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
        $IPTABLES -A OUTPUT -m state --state ESTABLISHED,RELATED -j ACCEPT

        ##################################################################
        # EXTERNAL CONFIGS
        ##################################################################



        # /etc/firewall/custom/ssh-new-limit.sh
        CONNECTIONS=5
        SECONDS=60
        $IPTABLES -A INPUT -p tcp --dport 22 -m state --state NEW -m recent --set
        $IPTABLES -A INPUT -p tcp --dport 22 -m state --state NEW -m recent --update --seconds $SECONDS --hitcount $CONNECTIONS -j DROP
        # /etc/firewall/custom/all-overall-limit.sh
        CONNECTIONS=30
        $IPTABLES -A INPUT -p tcp --syn -m connlimit --connlimit-above $CONNECTIONS -j REJECT

        # ALLOWED PORTS/PROTOCOLS FROM /etc/firewall/services.conf
        printf "22/tcp\n22/udp\n" | while read line; do
            [ -z "$line" ] && continue
    
            # INITIALIZE
            PORT=""
            PROTO=""
            IP="0.0.0.0/0"
            while IFS=' ' read -ra SERVICES; do
                PORT=`echo ${SERVICES[0]} | cut -d"/" -f1`
                PROTO=`echo ${SERVICES[0]} | cut -d"/" -f2`
                if [ ${#SERVICES[@]} == 2 ]; then
                    IP=${SERVICES[1]}
                fi;
                $IPTABLES -A INPUT -p $PROTO -s $IP --dport $PORT -m state --state NEW -j ACCEPT
                done <<< "$line"
        done;

        #################################################################
        # drop and log invalid packages
        #################################################################

        if $drop_invalid ; then
            $IPTABLES -A INPUT -m state --state INVALID -j invalid_drop
            $IPTABLES -A OUTPUT -m state --state INVALID -j invalid_drop
        fi

        ##################################################################
        # BROADCAST AND MULTICAST
        ##################################################################

        if $drop_broadcast ; then
            $IPTABLES -A INPUT -m pkttype --pkt-type broadcast -j DROP
            $IPTABLES -A INPUT -m pkttype --pkt-type multicast -j DROP
        fi

        ##################################################################
        # PORTSCAN DETECTION
        ##################################################################

        if $drop_portscan ; then
            ## nmap Null scans / no flags
            $IPTABLES -A INPUT -p tcp --tcp-flags ALL NONE -j portscan_drop
            ## nmap FIN stealth scan
            $IPTABLES -A INPUT -p tcp --tcp-flags ALL FIN -j portscan_drop
            ## SYN + FIN
            $IPTABLES -A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j portscan_drop
            ## SYN + RST
            $IPTABLES -A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j portscan_drop
            ## FIN + RST
            $IPTABLES -A INPUT -p tcp --tcp-flags FIN,RST FIN,RST -j portscan_drop
            ## FIN + URG + PSH
            $IPTABLES -A INPUT -p tcp --tcp-flags ALL FIN,URG,PSH -j portscan_drop
            ## XMAS
            $IPTABLES -A INPUT -p tcp --tcp-flags ALL URG,ACK,PSH,RST,SYN,FIN -j portscan_drop
            ## ALL
            $IPTABLES -A INPUT -p tcp --tcp-flags ALL ALL -j portscan_drop
            ## FIN/PSH/URG without ACK
            $IPTABLES -A INPUT -p tcp --tcp-flags ACK,FIN FIN -j portscan_drop
            $IPTABLES -A INPUT -p tcp --tcp-flags ACK,PSH PSH -j portscan_drop
            $IPTABLES -A INPUT -p tcp --tcp-flags ACK,URG URG -j portscan_drop
        fi

        ##################################################################
        # USEFULL OPTIONS ( ! overwrites sysctl settings ! )
        ##################################################################

        if $secure_redirects ; then
            ## allow only ICMP redirects from our own gateway
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $block_redirects ; then
            ## dont accept ICMP redirects
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
            ## dont sent ICMP redirects
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $ignore_broadcast_icmp ; then
            ## ignore broadcast/multicast ICMP // smurf-attack prevention
            : # (/proc/sys write removed)
        fi

        if $ignore_bogus_errors ; then
            ## ignore bogus error responses
            : # (/proc/sys write removed)
        fi

        ## dont ignore pings
        : # (/proc/sys write removed)

        if $block_source_route_packages ; then
            ## allow no source route packages
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $block_proxy_arp ; then
            ## we dont want to proxy arp
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $enable_syn_cookies ; then
            ## enable syn-cookies // syn-flood prevention
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $enable_reverse_path ; then
            ## enable reverse path filter // RFC1812 // spoofing attack prevention
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $disable_bootp_relay ; then
            ## no relaying of bootp
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $disable_martian_loging ; then
            ## do not log martian packets
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $disable_srr ; then
            ## dont allow SRR
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $enable_sack ; then
            ## enable enable_sack
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        #################################################################
        # IPv6 
        #################################################################

        if $ipv6_loopback_ok ; then
            ## allow on loopback
            $IP6TABLES -A INPUT -i lo -j ACCEPT
            $IP6TABLES -A OUTPUT -o lo -j ACCEPT
        fi

        if $ipv6_drop_all ; then
            ## drop all ip IPv6 traffic
            $IP6TABLES -P INPUT DROP
            $IP6TABLES -P OUTPUT DROP
        fi

        if $ipv6_forwarding ; then
            $IP6TABLES -P FORWARD ACCEPT
        else
            ## drop IPv6 forwarding
            $IP6TABLES -P FORWARD DROP
            ## disable IPv6 forwarding ( ! overwrites sysctl settings ! )
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        if $ipv6_disabled ; then
            ## disable IPv6 ( ! overwrites sysctl settings ! )
            : # (/proc/sys write removed)
            : # (/proc/sys write removed)
        fi

        ##################################################################
        # FINAL RULES
        ##################################################################

        ## log all other packages and reject them
        $IPTABLES -A INPUT -j LOG
        $IPTABLES -A INPUT -j REJECT
        
        echo "firewall started"
