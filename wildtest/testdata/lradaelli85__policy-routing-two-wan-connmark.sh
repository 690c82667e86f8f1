#!/bin/bash

set -- start
# --- the machine the README describes (stand-ins, in the sandbox only): routing tables wan1/wan2 in rt_tables,
# --- WAN interfaces eth0 and eth2, LAN interface eth1 (veth interfaces with the conf's gateways' subnets)
printf '252\twan2\n251\twan1\n' >> /etc/iproute2/rt_tables
ip link add eth0 type veth peer name eth0p; ip link set eth0p up; ip addr add 192.168.123.10/24 dev eth0; ip link set eth0 up
ip link add eth1 type veth peer name eth1p; ip link set eth1p up; ip addr add 192.168.122.1/24 dev eth1; ip link set eth1 up
ip link add eth2 type veth peer name eth2p; ip link set eth2p up; ip addr add 192.168.124.10/24 dev eth2; ip link set eth2 up
# --- policy-routing.conf ---
############# CHANGE PARAMETERS BELOW ##################

#Set custom routing table
wan1_routing_table="wan1"
wan2_routing_table="wan2"

#set it to 0 to remove the redirection of locally generated traffic
local_routing=1

#set it to 0 to disable automatic outgoing NAT rules
nat_enabled=1

#set it to 0 to disable forwarding
forwarding_enabled=1

#enable loadbalance
loadbalance=1

#set gateway interfaces
wan1_interface="eth0"
wan2_interface="eth2"

#Set the weight of a connection (higher weight,higher traffic)
wan1_weight=1
wan2_weight=5

#set gateway nexthop IPs
wan1_gateway="192.168.123.1"
wan2_gateway="192.168.124.1"

#set LAN interface
lan_interface="eth1"

################# USUALLY NO NEED TO CHANGE BELOW #######################

wan1_ip_address=`ip address show $wan1_interface | grep "inet\b" |awk '{print $2}' |cut -d'/' -f1`
wan1_network_address=`ip route |grep -vE "default|nexthop" |grep $wan1_interface |awk '{print $1}'`
wan2_ip_address=`ip address show $wan2_interface | grep "inet\b" |awk '{print $2}' |cut -d'/' -f1`
wan2_network_address=`ip route |grep -vE "default|nexthop" |grep $wan2_interface |awk '{print $1}'`
lan_subnet=`ip route show dev $lan_interface |awk '{print $1}'`

#iptables mark
wan1_mark="1"
wan2_mark="2"
# --- end of policy-routing.conf ---

flush_routing_tables(){
#wan1
ip route flush table $wan1_routing_table
ip rule del from $wan1_ip_address table $wan1_routing_table
ip rule del fwmark $wan1_mark table $wan1_routing_table

#wan2
ip rule del from $wan2_ip_address table $wan2_routing_table
ip route flush table $wan2_routing_table
ip rule del fwmark $wan2_mark table $wan2_routing_table

#lookup in main table when destination is local
#ip rule del to $lan_subnet lookup main

if [ $loadbalance -eq 0 ]
  then
    ip route replace default scope global nexthop via $wan1_gateway dev $wan1_interface
fi
}

add_routing_rules(){
#wan1
ip route add $wan1_network_address dev $wan1_interface src $wan1_ip_address table $wan1_routing_table
ip route add default via $wan1_gateway table $wan1_routing_table
ip rule add from $wan1_ip_address table $wan1_routing_table prio 199

#wan2
ip route add $wan2_network_address dev $wan2_interface src $wan2_ip_address table $wan2_routing_table
ip route add default via $wan2_gateway table $wan2_routing_table
ip rule add from $wan2_ip_address table $wan2_routing_table prio 200

#route through wan1 traffic marked with 1
ip rule add fwmark $wan1_mark table $wan1_routing_table prio 199

#route through wan2 traffic marked with 2
ip rule add fwmark $wan2_mark table $wan2_routing_table prio 200

#lookup in main table when destination is local
#ip rule add to $lan_subnet lookup main prio 10

if [ $loadbalance -eq 1 ]
 then
# ./load-balance.sh (without its first lines, #!/bin/bash and . policy-routing.conf):

if [ $loadbalance -eq 1 ]
then
if [ $wan1_weight -gt $wan2_weight ]
then
ip route replace default scope global nexthop via $wan1_gateway dev $wan1_interface weight $wan1_weight \
nexthop via $wan2_gateway dev $wan2_interface weight $wan2_weight
else
ip route replace default scope global nexthop via $wan2_gateway dev $wan2_interface weight $wan2_weight \
nexthop via $wan1_gateway dev $wan1_interface weight $wan1_weight
fi
fi
fi
  
}

disable_kernel_parameters(){

#disable forwarding
if [ $forwarding_enabled -eq 1 ]
  then
    sysctl -w net.ipv4.ip_forward=0
fi

#enable reverse path filter
echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter
}

enable_kernel_parameters(){

#enable forwarding
if [ $forwarding_enabled -eq 1 ]
  then
    sysctl -w net.ipv4.ip_forward=1
fi
#disable reverse path filter
echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter
}


add_local_iptables_rules(){
if [ $local_routing -eq 1 ]
  then
    iptables -t mangle -N LOCAL_ROUTING
    user_rules LOCAL_ROUTING
    iptables -t mangle -A OUTPUT -j LOCAL_ROUTING
fi
}

del_local_iptables_rules(){
if [ $local_routing -eq 1 ]
  then
    iptables -t mangle -D OUTPUT -j LOCAL_ROUTING
    iptables -t mangle -F LOCAL_ROUTING
    iptables -t mangle -X LOCAL_ROUTING
fi
}

add_nat(){
if [ $nat_enabled -eq  1 ]
  then
    iptables -t nat -A POSTROUTING -o $wan1_interface -j MASQUERADE
    iptables -t nat -A POSTROUTING -o $wan2_interface -j MASQUERADE
fi
}

add_iptables_rules(){
iptables -t mangle -N ROUTING
#iptables -t mangle -A ROUTING  -m mark ! --mark 0 -j RETURN
iptables -t mangle -A PREROUTING -m conntrack ! --ctstate NEW -m connmark ! --mark 0  -j CONNMARK --restore-mark
iptables -t mangle -A PREROUTING -j ROUTING
user_rules ROUTING
iptables -t mangle -A POSTROUTING -m conntrack --ctstate NEW -m mark --mark 0 -o $wan1_interface -j CONNMARK --set-mark $wan1_mark
iptables -t mangle -A POSTROUTING -m conntrack --ctstate NEW -m mark --mark 0 -o $wan2_interface -j CONNMARK --set-mark $wan2_mark
iptables -t mangle -A POSTROUTING -m conntrack --ctstate NEW -m mark ! --mark 0 -o $wan1_interface -j CONNMARK --save-mark
iptables -t mangle -A POSTROUTING -m conntrack --ctstate NEW -m mark ! --mark 0 -o $wan2_interface -j CONNMARK --save-mark
}

del_iptables_rules(){
if [ $nat_enabled -eq  1 ]
  then
    iptables -t nat -D POSTROUTING -o $wan1_interface -j MASQUERADE
    iptables -t nat -D POSTROUTING -o $wan2_interface -j MASQUERADE
fi
iptables -t mangle -D PREROUTING -m conntrack ! --ctstate NEW -m connmark ! --mark 0  -j CONNMARK --restore-mark
iptables -t mangle -D PREROUTING -j ROUTING
iptables -t mangle -F ROUTING
iptables -t mangle -X ROUTING
iptables -t mangle -D POSTROUTING -m conntrack --ctstate NEW -m mark --mark 0 -o $wan1_interface -j CONNMARK --set-mark $wan1_mark
iptables -t mangle -D POSTROUTING -m conntrack --ctstate NEW -m mark --mark 0 -o $wan2_interface -j CONNMARK --set-mark $wan2_mark
iptables -t mangle -D POSTROUTING -m conntrack --ctstate NEW -m mark ! --mark 0 -o $wan1_interface -j CONNMARK --save-mark
iptables -t mangle -D POSTROUTING -m conntrack --ctstate NEW -m mark ! --mark 0 -o $wan2_interface -j CONNMARK --save-mark

}

user_rules(){
# ./routing_rule.py $1, rendered: the commands it runs for routing_rules.cfg
case $1 in
LOCAL_ROUTING)
iptables -t mangle -A LOCAL_ROUTING  -p tcp --dport 80 -m mark --mark 0 -j MARK --set-mark 2
iptables -t mangle -A LOCAL_ROUTING  -p tcp --dport 80 -m mark ! --mark 0 -j RETURN
;;
ROUTING)
iptables -t mangle -A ROUTING  -s 192.168.122.0/24 -m mark --mark 0 -j MARK --set-mark 2
iptables -t mangle -A ROUTING  -s 192.168.122.0/24 -m mark ! --mark 0 -j RETURN
;;
esac
}

stop(){
del_local_iptables_rules
flush_routing_tables
del_iptables_rules
disable_kernel_parameters
}

start(){
add_local_iptables_rules
add_nat
enable_kernel_parameters
add_iptables_rules
add_routing_rules
}

Who_Am_I(){
if [ `id -u` -ne 0 ]
  then
    echo "need root privileges"
    exit 1;
fi
}

status(){
clear
echo " "
echo "routing table $wan1_routing_table:"
echo "==================================="
ip r s t $wan1_routing_table
echo " "
echo " "
echo "routing table $wan2_routing_table:"
echo "==================================="
ip r s t $wan2_routing_table
echo " "
echo " "
echo "ip rule rules"
echo "==================================="
ip rule ls
echo " "
echo " "
echo "iptables mark rules"
echo "==================================="
iptables -t mangle -vL ROUTING
if [ $local_routing -eq 1 ]
  then
    echo " "
    iptables -t mangle -nvL LOCAL_ROUTING
fi
echo " "
echo " "
echo "main routing table"
echo "===================================="
ip route ls
}

case $1 in
start)   Who_Am_I
         start
         ;;

restart) Who_Am_I
         stop
         start
         ;;
stop)    Who_Am_I
         stop
         ;;
status)  Who_Am_I
         status
         ;;

*)       echo "usage $0 [stop|start|restart|status]"
         ;;
esac
