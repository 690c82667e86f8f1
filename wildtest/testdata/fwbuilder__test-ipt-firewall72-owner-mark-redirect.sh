#!/bin/sh 
#
#  This is automatically generated file. DO NOT MODIFY !
#
#  Firewall Builder  fwb_ipt v5.0.2.3596
#
#  Generated Sun Mar 18 21:17:07 2012 PDT by vadim
#
# files: * firewall72-1.4.3.fw /etc/fw/firewall72-1.4.3.fw
#
# Compiled for iptables 1.4.3
#
# this firewall is used to test a rule in the global policy of object "firewall"

# firewall72-1.4.3:Policy:10: error: Rule '10 (eth1)' shadows rule '13 (eth1)'  below it
# firewall72-1.4.3:Policy:10: error: Rule '10 (eth1)' shadows rule '14 (eth1)'  below it
# firewall72-1.4.3:Policy:15: warning: Iptables does not support module 'owner' in a chain other than OUTPUT

# firewall72-1.4.3::: warning: Can not add virtual address for object address
# firewall72-1.4.3::: warning: Can not add virtual address for object address


IPTABLES="/sbin/iptables"
IP6TABLES="/sbin/ip6tables"

  $IPTABLES -P OUTPUT  DROP
  $IPTABLES -P INPUT   DROP
  $IPTABLES -P FORWARD DROP

script_body() {


    # ================ IPv4


    # ================ Table 'filter', automatic rules
    # accept established sessions
    $IPTABLES -A INPUT   -m state --state ESTABLISHED,RELATED -j ACCEPT 
    $IPTABLES -A OUTPUT  -m state --state ESTABLISHED,RELATED -j ACCEPT 
    $IPTABLES -A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT


    # ================ Table 'nat',  rule set NAT
    # 
    # Rule 0 (NAT)
    # 
    echo "Rule 0 (NAT)"
    # 
    $IPTABLES -t nat -A POSTROUTING -o eth+  !  -s 192.168.1.0/24  -d 200.200.200.200  -j SNAT --to-source 22.22.22.23
    # 
    # Rule 1 (NAT)
    # 
    echo "Rule 1 (NAT)"
    # 
    $IPTABLES -t nat -A POSTROUTING -o eth+  -p tcp -m tcp !  -s 192.168.1.0/24   -d 200.200.200.200  --dport 80 -j SNAT --to-source 22.22.22.23
    # 
    # Rule 2 (NAT)
    # 
    echo "Rule 2 (NAT)"
    # 
    $IPTABLES -t nat -A POSTROUTING -o eth0   -s 192.168.1.0/24 !  -d 192.168.2.0/24  -j SNAT --to-source 33.33.33.33
    $IPTABLES -t nat -A POSTROUTING -o eth1   -s 192.168.1.0/24 !  -d 192.168.2.0/24  -j SNAT --to-source 172.16.1.1
    # 
    # Rule 3 (NAT)
    # 
    echo "Rule 3 (NAT)"
    # 
    $IPTABLES -t nat -A POSTROUTING -o eth0  -p tcp -m tcp  -s 192.168.1.0/24  !  -d 192.168.2.0/24  --dport 80 -j SNAT --to-source 33.33.33.33
    $IPTABLES -t nat -A POSTROUTING -o eth1  -p tcp -m tcp  -s 192.168.1.0/24  !  -d 192.168.2.0/24  --dport 80 -j SNAT --to-source 172.16.1.1
    # 
    # Rule 4 (NAT)
    # 
    echo "Rule 4 (NAT)"
    # 
    $IPTABLES -t nat -N Cid213031X8629.0
    $IPTABLES -t nat -A POSTROUTING -o eth0   -s 192.168.1.0/24  -j Cid213031X8629.0
    $IPTABLES -t nat -A POSTROUTING -o eth1   -s 192.168.1.0/24  -j Cid213031X8629.0
    $IPTABLES -t nat -A Cid213031X8629.0  -d 192.168.1.0/24  -j RETURN
    $IPTABLES -t nat -A Cid213031X8629.0  -d 192.168.2.0/24  -j RETURN
    $IPTABLES -t nat -A Cid213031X8629.0  -j SNAT --to-source 172.16.1.1
    # 
    # Rule 5 (NAT)
    # 
    echo "Rule 5 (NAT)"
    # 
    $IPTABLES -t nat -A PREROUTING -p tcp -m tcp  -s 192.168.1.0/24  !  -d 192.168.1.1  --dport 80 -j REDIRECT --to-ports 3128



    # ================ Table 'filter', rule set Policy
    # 
    # Rule 0 (lo)
    # 
    echo "Rule 0 (lo)"
    # 
    $IPTABLES -A INPUT ! -i lo   -s 127.0.0.1   -j DROP
    $IPTABLES -A FORWARD ! -i lo   -s 127.0.0.1   -j DROP
    $IPTABLES -A OUTPUT ! -o lo   -s 127.0.0.1   -j DROP
    # 
    # Rule 1 (eth1)
    # 
    echo "Rule 1 (eth1)"
    # 
    $IPTABLES -N Cid170430X8629.0
    $IPTABLES -A OUTPUT -o eth1  !  -s 192.168.1.0/24   -j Cid170430X8629.0
    $IPTABLES -A Cid170430X8629.0  -d 33.33.33.33   -j DROP
    $IPTABLES -A Cid170430X8629.0  -d 172.16.1.1   -j DROP
    $IPTABLES -N Cid170430X8629.1
    $IPTABLES -A FORWARD -o eth1  !  -s 192.168.1.0/24   -j Cid170430X8629.1
    $IPTABLES -A Cid170430X8629.1  -d 33.33.33.33   -j DROP
    $IPTABLES -A Cid170430X8629.1  -d 172.16.1.1   -j DROP
    # 
    # Rule 2 (eth1)
    # 
    echo "Rule 2 (eth1)"
    # 
    $IPTABLES -N Cid170442X8629.0
    $IPTABLES -A INPUT -i eth1  !  -d 192.168.1.0/24   -j Cid170442X8629.0
    $IPTABLES -A Cid170442X8629.0  -s 33.33.33.33   -j DROP
    $IPTABLES -A Cid170442X8629.0  -s 172.16.1.1   -j DROP
    $IPTABLES -N Cid170442X8629.1
    $IPTABLES -A FORWARD -i eth1  !  -d 192.168.1.0/24   -j Cid170442X8629.1
    $IPTABLES -A Cid170442X8629.1  -s 33.33.33.33   -j DROP
    $IPTABLES -A Cid170442X8629.1  -s 172.16.1.1   -j DROP
    # 
    # Rule 3 (global)
    # 
    echo "Rule 3 (global)"
    # 
    $IPTABLES -N Cid170454X8629.0
    $IPTABLES -A INPUT  -d 172.16.1.1   -j Cid170454X8629.0
    $IPTABLES -A Cid170454X8629.0 -p tcp -m tcp  --dport 80  -j RETURN
    $IPTABLES -A Cid170454X8629.0  -j DROP
    # 
    # Rule 4 (global)
    # 
    echo "Rule 4 (global)"
    # 
    $IPTABLES -N Cid170466X8629.0
    $IPTABLES -A INPUT  -d 172.16.1.1   -j Cid170466X8629.0
    $IPTABLES -A Cid170466X8629.0 -p tcp -m tcp   --tcp-flags SYN,RST,ACK SYN   -j RETURN
    $IPTABLES -A Cid170466X8629.0  -j DROP
    # 
    # Rule 5 (global)
    # 
    echo "Rule 5 (global)"
    # 
    $IPTABLES -N Cid170478X8629.0
    $IPTABLES -A INPUT  -d 172.16.1.1   -j Cid170478X8629.0
    $IPTABLES -A Cid170478X8629.0 -p icmp  -m icmp  --icmp-type 3/1   -j RETURN
    $IPTABLES -A Cid170478X8629.0  -j DROP
    # 
    # Rule 6 (global)
    # 
    echo "Rule 6 (global)"
    # 
    $IPTABLES -N Cid170490X8629.0
    $IPTABLES -A INPUT  -d 172.16.1.1   -j Cid170490X8629.0
    $IPTABLES -A Cid170490X8629.0 -p icmp  -m icmp  --icmp-type 3/1   -j RETURN
    $IPTABLES -A Cid170490X8629.0  -j DROP
    # 
    # Rule 7 (global)
    # 
    echo "Rule 7 (global)"
    # 
    $IPTABLES -N Cid170502X8629.0
    $IPTABLES -A INPUT  -d 172.16.1.1   -j Cid170502X8629.0
    $IPTABLES -A Cid170502X8629.0 -p 47  -j RETURN
    $IPTABLES -A Cid170502X8629.0  -j DROP
    # 
    # Rule 8 (global)
    # 
    echo "Rule 8 (global)"
    # 
    $IPTABLES -N Cid170514X8629.0
    $IPTABLES -A INPUT  -d 172.16.1.1   -j Cid170514X8629.0
    $IPTABLES -A Cid170514X8629.0 -p tcp -m tcp   --tcp-flags ALL NONE  -j RETURN
    $IPTABLES -A Cid170514X8629.0  -j DROP
    # 
    # Rule 9 (global)
    # 
    echo "Rule 9 (global)"
    # 
    $IPTABLES -A OUTPUT  -d 172.16.1.1  -m mark ! --mark 16  -j DROP
    $IPTABLES -A INPUT  -d 172.16.1.1  -m mark ! --mark 16  -j DROP
    # 
    # Rule 10 (eth1)
    # 
    echo "Rule 10 (eth1)"
    # 
    # Should use ! -i eth1 eventually
    # firewall72-1.4.3:Policy:10: error: Rule '10 (eth1)' shadows rule '13 (eth1)'  below it
    # firewall72-1.4.3:Policy:10: error: Rule '10 (eth1)' shadows rule '14 (eth1)'  below it

    $IPTABLES -A FORWARD ! -i eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    # 
    # Rule 11 (eth1)
    # 
    echo "Rule 11 (eth1)"
    # 
    # Should use ! -i eth1 eventually
    $IPTABLES -N Cid170550X8629.0
    $IPTABLES -A FORWARD ! -i eth1   -d 192.168.1.0/24   -j Cid170550X8629.0
    $IPTABLES -A Cid170550X8629.0 -p tcp -m tcp   --tcp-flags ALL NONE  -j RETURN
    $IPTABLES -A Cid170550X8629.0  -j DROP
    # 
    # Rule 12 (eth1)
    # 
    echo "Rule 12 (eth1)"
    # 
    # Should use ! -i eth1 eventually
    $IPTABLES -A OUTPUT ! -o eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    $IPTABLES -A FORWARD ! -o eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    # 
    # Rule 13 (eth1)
    # 
    echo "Rule 13 (eth1)"
    # 
    # Should use ! -i eth1 eventually
    $IPTABLES -A FORWARD ! -i eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    $IPTABLES -A OUTPUT ! -o eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    $IPTABLES -A FORWARD ! -o eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    # 
    # Rule 14 (eth1)
    # 
    echo "Rule 14 (eth1)"
    # 
    # Should use ! -i eth1 eventually
    $IPTABLES -A FORWARD ! -i eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    $IPTABLES -A OUTPUT ! -o eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    $IPTABLES -A FORWARD ! -o eth1  -p tcp -m tcp  -d 192.168.1.0/24    --tcp-flags ALL NONE  -j DROP
    # 
    # Rule 15 (global)
    # 
    echo "Rule 15 (global)"
    # 
    # firewall72-1.4.3:Policy:15: warning: Iptables does not support module 'owner' in a chain other than OUTPUT

    $IPTABLES -A OUTPUT  -d 172.16.1.1  -m owner ! --uid-owner 500  -j DROP
}

script_body
