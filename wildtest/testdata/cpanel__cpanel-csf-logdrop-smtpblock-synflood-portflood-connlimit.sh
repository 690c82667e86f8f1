#!/bin/sh
# Extract of the iptables commands csf.pl (linefilter start) runs, in source order, for the chains
# LOGDROPIN/LOGDROPOUT, SMTP_BLOCK, SYNFLOOD, PORTFLOOD, CONNLIMIT; etc/csf.conf defaults except below.
iptables -v -N SYNFLOOD
iptables -v -N PORTFLOOD
iptables -v -N CONNLIMIT
ip6tables -v -N SYNFLOOD
ip6tables -v -N PORTFLOOD
ip6tables -v -N CONNLIMIT
iptables -v -N LOGDROPIN
iptables -v -N LOGDROPOUT
iptables -v -N DENYIN
iptables -v -N DENYOUT
iptables -v -N ALLOWIN
iptables -v -N ALLOWOUT
iptables -v -N LOCALINPUT
iptables -v -N LOCALOUTPUT
ip6tables -v -N LOGDROPIN
ip6tables -v -N LOGDROPOUT
ip6tables -v -N DENYIN
ip6tables -v -N DENYOUT
ip6tables -v -N ALLOWIN
ip6tables -v -N ALLOWOUT
ip6tables -v -N LOCALINPUT
ip6tables -v -N LOCALOUTPUT
iptables -v -A LOGDROPIN -p tcp --dport 23 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 23 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 23 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 23 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 67 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 67 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 67 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 67 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 68 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 68 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 68 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 68 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 111 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 111 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 111 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 111 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 113 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 113 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 113 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 113 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 135:139 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 135:139 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 135:139 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 135:139 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 445 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 445 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 445 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 445 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 500 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 500 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 500 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 500 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 513 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 513 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 513 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 513 -j DROP
iptables -v -A LOGDROPIN -p tcp --dport 520 -j DROP
iptables -v -A LOGDROPIN -p udp --dport 520 -j DROP
ip6tables -v -A LOGDROPIN -p tcp --dport 520 -j DROP
ip6tables -v -A LOGDROPIN -p udp --dport 520 -j DROP
iptables -v -A LOGDROPIN -p tcp  -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *TCP_IN Blocked* '
iptables -v -A LOGDROPOUT -p tcp --syn -m limit --limit 30/m --limit-burst 5 -j LOG --log-uid --log-prefix 'Firewall: *TCP_OUT Blocked* '
iptables -v -A LOGDROPIN -p udp  -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *UDP_IN Blocked* '
iptables -v -A LOGDROPOUT -p udp -m limit --limit 30/m --limit-burst 5 -j LOG --log-uid --log-prefix 'Firewall: *UDP_OUT Blocked* '
iptables -v -A LOGDROPIN -p icmp -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *ICMP_IN Blocked* '
iptables -v -A LOGDROPOUT -p icmp -m limit --limit 30/m --limit-burst 5 -j LOG --log-uid --log-prefix 'Firewall: *ICMP_OUT Blocked* '
ip6tables -v -A LOGDROPIN -p tcp  -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *TCP6IN Blocked* '
ip6tables -v -A LOGDROPOUT -p tcp --syn -m limit --limit 30/m --limit-burst 5 -j LOG --log-uid --log-prefix 'Firewall: *TCP6OUT Blocked* '
ip6tables -v -A LOGDROPIN -p udp  -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *UDP6IN Blocked* '
ip6tables -v -A LOGDROPOUT -p udp -m limit --limit 30/m --limit-burst 5 -j LOG --log-uid --log-prefix 'Firewall: *UDP6OUT Blocked* '
ip6tables -v -A LOGDROPIN -p icmpv6 -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *ICMP6IN Blocked* '
ip6tables -v -A LOGDROPOUT -p icmpv6 -m limit --limit 30/m --limit-burst 5 -j LOG --log-uid --log-prefix 'Firewall: *ICMP6OUT Blocked* '
iptables -v -A PORTFLOOD -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *Port Flood* '
ip6tables -v -A PORTFLOOD -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *Port Flood* '
iptables -v -A LOGDROPIN -j DROP
iptables -v -A LOGDROPOUT -j REJECT
ip6tables -v -A LOGDROPIN -j DROP
ip6tables -v -A LOGDROPOUT -j REJECT
iptables -v -I INPUT  -i lo -j ACCEPT
iptables -v -I OUTPUT -o lo -j ACCEPT
iptables -v -A OUTPUT ! -o lo -j LOGDROPOUT
iptables -v -A INPUT ! -i lo -j LOGDROPIN
ip6tables -v -I INPUT  -i lo -j ACCEPT
ip6tables -v -I OUTPUT -o lo -j ACCEPT
ip6tables -v -A OUTPUT ! -o lo -j LOGDROPOUT
ip6tables -v -A INPUT ! -i lo -j LOGDROPIN
iptables -v -N SMTPOUTPUT
iptables -v -I OUTPUT -j SMTPOUTPUT
ip6tables -v -N SMTPOUTPUT
ip6tables -v -I OUTPUT -j SMTPOUTPUT
iptables -v -I SMTPOUTPUT -p tcp -m multiport --dports 25,465,587 -j LOGDROPOUT
iptables -v -I SMTPOUTPUT -p tcp -m multiport --dports 25,465,587 -m owner --uid-owner 0 -j ACCEPT
ip6tables -v -I SMTPOUTPUT -p tcp -m multiport --dports 25,465,587 -j LOGDROPOUT
ip6tables -v -I SMTPOUTPUT -p tcp -m multiport --dports 25,465,587 -m owner --uid-owner 0 -j ACCEPT
iptables -v -I SMTPOUTPUT -p tcp -m multiport --dports 25,465,587 -m owner --gid-owner 8 -j ACCEPT
ip6tables -v -I SMTPOUTPUT -p tcp -m multiport --dports 25,465,587 -m owner --gid-owner 8 -j ACCEPT
iptables -v -I SMTPOUTPUT -o lo -p tcp -m multiport --dports 25,465,587 -j ACCEPT
ip6tables -v -I SMTPOUTPUT -o lo -p tcp -m multiport --dports 25,465,587 -j ACCEPT
iptables -v -A SYNFLOOD -m limit --limit 100/s --limit-burst 150 -j RETURN
iptables -v -A SYNFLOOD -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *SYNFLOOD Blocked* '
iptables -v -A SYNFLOOD -j DROP
iptables -v -I INPUT ! -i lo -p tcp --syn -j SYNFLOOD
ip6tables -v -A SYNFLOOD -m limit --limit 100/s --limit-burst 150 -j RETURN
ip6tables -v -A SYNFLOOD -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *SYNFLOOD Blocked* '
ip6tables -v -A SYNFLOOD -j DROP
ip6tables -v -I INPUT ! -i lo -p tcp --syn -j SYNFLOOD
iptables -v -A INPUT ! -i lo -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name 22
iptables -v -A INPUT ! -i lo -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 300 --hitcount 5 --name 22 -j PORTFLOOD
ip6tables -v -A INPUT ! -i lo -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name 22
ip6tables -v -A INPUT ! -i lo -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 300 --hitcount 5 --name 22 -j PORTFLOOD
iptables -v -A INPUT ! -i lo -p tcp --dport 80 -m conntrack --ctstate NEW -m recent --set --name 80
iptables -v -A INPUT ! -i lo -p tcp --dport 80 -m conntrack --ctstate NEW -m recent --update --seconds 5 --hitcount 20 --name 80 -j PORTFLOOD
ip6tables -v -A INPUT ! -i lo -p tcp --dport 80 -m conntrack --ctstate NEW -m recent --set --name 80
ip6tables -v -A INPUT ! -i lo -p tcp --dport 80 -m conntrack --ctstate NEW -m recent --update --seconds 5 --hitcount 20 --name 80 -j PORTFLOOD
iptables -v -A PORTFLOOD -j DROP
ip6tables -v -A PORTFLOOD -j DROP
iptables -v -A INPUT ! -i lo -p tcp --syn --dport 22 -m connlimit --connlimit-above 5 -j CONNLIMIT
ip6tables -v -A INPUT ! -i lo -p tcp --syn --dport 22 -m connlimit --connlimit-above 5 -j CONNLIMIT
iptables -v -A INPUT ! -i lo -p tcp --syn --dport 80 -m connlimit --connlimit-above 20 -j CONNLIMIT
ip6tables -v -A INPUT ! -i lo -p tcp --syn --dport 80 -m connlimit --connlimit-above 20 -j CONNLIMIT
iptables -v -A CONNLIMIT -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *ConnLimit* '
iptables -v -A CONNLIMIT -p tcp -j REJECT --reject-with tcp-reset
ip6tables -v -A CONNLIMIT -m limit --limit 30/m --limit-burst 5 -j LOG --log-prefix 'Firewall: *ConnLimit* '
ip6tables -v -A CONNLIMIT -p tcp -j REJECT --reject-with tcp-reset
