#!/bin/bash
# yuk1c/antiddos antiddos-yuki at 1254651f88689be0d95aa3970b19004fa9551ba6 (MIT, LICENSE.txt): its iptables/ip6tables/ipset command lines, in order;
# EXTRACTED: the interactive sysctl prompts, the sysctl.conf writes, cp, clear and echo lines left out (nothing else changed).
iptables -F; # Remove all rules
iptables -X; # Delete user-defined chains
iptables -Z; # Reset counters in all chains
iptables -N UDP-DoS -t raw;           # UDP DoS Block
iptables -N SYN-DoS -t raw;           # SYN DoS Block
iptables -N Conn-limit -t raw;        # Conn Limit
iptables -N TCP-Bogus-Flags -t raw;   # TCP Bogus Flags
iptables -N Port-Block -t raw;        # Block Some ports
iptables -N Fragmented -t raw;        # Block Fragmented packets
iptables -N Spoof -t raw;             # Block Spoofs
iptables -N Broadcast -t raw;         # Block Packets from broadcast
iptables -N ICMP -t raw;              # ICMP Protection
iptables -t raw -A UDP-DoS -j DROP;
iptables -t raw -A SYN-DoS -j DROP;
iptables -t raw -A Conn-limit -j DROP;
iptables -t raw -A TCP-Bogus-Flags -j DROP;
iptables -t raw -A Port-Block -j DROP;
iptables -t raw -A Fragmented -j DROP;
iptables -t raw -A Spoof -j DROP;
iptables -t raw -A Broadcast -j DROP;
iptables -t raw -A ICMP -j DROP;
iptables -t raw -A PREROUTING -p tcp --dport ssh -m limit --limit 3/s --limit-burst 5 -j ACCEPT;
iptables -A INPUT -i lo -j ACCEPT;
iptables -A OUTPUT -o lo -j ACCEPT;
iptables -A UDP-DoS -p udp --match hashlimit --hashlimit-upto 400/second --hashlimit-mode srcip --hashlimit-name udpflood;
iptables -A SYN-DoS -p tcp --syn --match hashlimit --hashlimit-upto 200/second --hashlimit-mode srcip --hashlimit-name synflood;
iptables -t raw -A PREROUTING -p icmp --icmp-type address-mask-request -j DROP;
iptables -t raw -A PREROUTING -p icmp --icmp-type router-solicitation -j DROP;
iptables -t raw -A PREROUTING -p icmp --icmp-type timestamp-request -j DROP;
iptables -t raw -A PREROUTING -p icmp --icmp-type 8 -j DROP;
iptables -t raw -A PREROUTING -p icmp --icmp-type 8 -m limit --limit 1/s -j ACCEPT;
iptables -t raw -A PREROUTING -p icmp -m limit --limit 2/s --limit-burst 3 -j ACCEPT;
iptables -A OUTPUT -p icmp --icmp-type port-unreach -j DROP;
iptables -A OUTPUT -p icmp --icmp-type port-unreach -m limit --limit 30/m -j ACCEPT;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ALL SYN,RST,ACK,FIN,URG -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ALL SYN,FIN,PSH,URG -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ALL FIN,PSH,URG -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags FIN,RST FIN,RST -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags SYN,RST SYN,RST -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags FIN,SYN FIN,SYN -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags FIN,ACK FIN -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ACK,URG URG -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ACK,FIN FIN -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ACK,PSH PSH -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags SYN,ECN,CWR -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ALL NONE -j DROP;
iptables -t raw -A TCP-Bogus-Flags -p tcp --tcp-flags ALL ALL -j DROP;
iptables -t raw -A Port-Block -p UDP -m multiport --dports 7,19,25,135,136,137,138,139,445,1900,3389,5060 -j DROP;
iptables -t raw -A Port-Block -p TCP -m multiport --dports 7,19,25,135,136,137,138,139,445,1900,3389,5060 -j DROP;
iptables -t raw -A PREROUTING -p udp -m multiport --sports 123,53,5432,17185,7001,1900,9000 -j DROP;
iptables -t raw -A PREROUTING -p udp --sport 123 -m limit --limit 2/s --limit-burst 1 -j ACCEPT;
iptables -t raw -A PREROUTING -p udp --sport 53 -m limit --limit 4/s -j ACCEPT;
iptables -t raw -A PREROUTING -p udp --sport 5432 -m limit --limit 4/s -j ACCEPT;
iptables -t raw -A Conn-limit -p tcp -m connlimit --connlimit-above 80 -j DROP;
iptables -A INPUT -p tcp --tcp-flags RST RST -j DROP;
iptables -A INPUT -p tcp --tcp-flags RST RST -m limit --limit 2/s --limit-burst 2 -j ACCEPT;
iptables -I INPUT -p tcp --dport ssh -m state --state NEW -m recent --set;
iptables -I INPUT -p tcp --dport ssh -m state --state NEW -m recent --update --seconds 10 --hitcount 20 -j DROP;
iptables -t raw -A Fragmented -f -j DROP;
iptables -t raw -A PREROUTING -p tcp ! --syn -m conntrack --ctstate NEW -j DROP;
ipset create antiddos_yuki hash:ip hashsize 16777216 maxelem 40000000 timeout 120;
iptables -N antiddosyuki -t raw;
iptables -A PREROUTING -p udp -m set ! --match-set antiddos_yuki src -t raw -j antiddosyuki;
iptables -A antiddosyuki -t raw -j SET --add-set antiddos_yuki src;
iptables -A antiddosyuki -t raw -j DROP;
iptables -A INPUT -p esp -j DROP;
iptables -A INPUT -p gre -j DROP;
iptables -A INPUT -p ah -j DROP;
iptables -t raw -A Broadcast -m pkttype --pkt-type broadcast -j DROP;
ip6tables -t raw -A PREROUTING -p icmpv6 -j DROP;
ip6tables -t raw -A PREROUTING -p icmpv6 -m limit --limit 4/s -j ACCEPT;
ip6tables -t raw -A PREROUTING -p tcp --syn -m limit --limit 3/s --limit-burst 10 -j ACCEPT;
