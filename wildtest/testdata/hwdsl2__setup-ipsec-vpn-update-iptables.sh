NET_IFACE=eth0
L2TP_NET=${VPN_L2TP_NET:-'192.168.42.0/24'}
XAUTH_NET=${VPN_XAUTH_NET:-'192.168.43.0/24'}
ip6=2001:db8::10
ipi='iptables -I INPUT'
ipf='iptables -I FORWARD'
ipp='iptables -t nat -I POSTROUTING'
res='RELATED,ESTABLISHED'
  $ipi 1 -p udp --dport 1701 -m policy --dir in --pol none -j DROP
  $ipi 2 -m conntrack --ctstate INVALID -j DROP
  $ipi 3 -m conntrack --ctstate "$res" -j ACCEPT
  $ipi 4 -p udp -m multiport --dports 500,4500 -j ACCEPT
  $ipi 5 -p udp --dport 1701 -m policy --dir in --pol ipsec -j ACCEPT
  $ipi 6 -p udp --dport 1701 -j DROP
  $ipf 1 -m conntrack --ctstate INVALID -j DROP
  $ipf 2 -i "$NET_IFACE" -o ppp+ -m conntrack --ctstate "$res" -j ACCEPT
  $ipf 3 -i ppp+ -o "$NET_IFACE" -j ACCEPT
  $ipf 4 -i ppp+ -o ppp+ -j ACCEPT
  $ipf 5 -i "$NET_IFACE" -d "$XAUTH_NET" -m conntrack --ctstate "$res" -j ACCEPT
  $ipf 6 -s "$XAUTH_NET" -o "$NET_IFACE" -j ACCEPT
  $ipf 7 -s "$XAUTH_NET" -o ppp+ -j ACCEPT
  iptables -A FORWARD -j DROP
  $ipp -s "$XAUTH_NET" -o "$NET_IFACE" -m policy --dir out --pol none -j MASQUERADE
  $ipp -s "$L2TP_NET" -o "$NET_IFACE" -j MASQUERADE
  if [ -n "$ip6" ]; then
    IP6_NET=${VPN_IP6_NET:-'fddd:500:500:500::/64'}
    ip6ti='ip6tables -I INPUT'
    ip6tf='ip6tables -I FORWARD'
    ip6tp='ip6tables -t nat -I POSTROUTING'
    $ip6ti 1 -m conntrack --ctstate INVALID -j DROP
    $ip6ti 2 -m conntrack --ctstate "$res" -j ACCEPT
    $ip6ti 3 -p udp -m multiport --dports 500,4500 -j ACCEPT
    $ip6tf 1 -m conntrack --ctstate INVALID -j DROP
    $ip6tf 2 -i "$NET_IFACE" -d "$IP6_NET" -m conntrack --ctstate "$res" -j ACCEPT
    $ip6tf 3 -s "$IP6_NET" -o "$NET_IFACE" -j ACCEPT
    $ip6tp -s "$IP6_NET" -o "$NET_IFACE" -m policy --dir out --pol none -j MASQUERADE
  fi
