ip=192.0.2.1
ip6=2001:db8::1
port=1194
protocol=udp
		iptables_path=$(command -v iptables)
		ip6tables_path=$(command -v ip6tables)
$iptables_path -w 5 -t nat -A POSTROUTING -s 10.8.0.0/24 ! -d 10.8.0.0/24 -j SNAT --to $ip
$iptables_path -w 5 -I INPUT -p $protocol --dport $port -j ACCEPT
$iptables_path -w 5 -I FORWARD -s 10.8.0.0/24 -j ACCEPT
$iptables_path -w 5 -I FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
$ip6tables_path -w 5 -t nat -A POSTROUTING -s fddd:1194:1194:1194::/64 ! -d fddd:1194:1194:1194::/64 -j SNAT --to $ip6
$ip6tables_path -w 5 -I FORWARD -s fddd:1194:1194:1194::/64 -j ACCEPT
$ip6tables_path -w 5 -I FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
