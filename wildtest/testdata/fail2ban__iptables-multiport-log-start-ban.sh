iptables -w -N f2b-sshd
iptables -w -A f2b-sshd -j RETURN
iptables -w -I INPUT 1 -p tcp -m multiport --dports ssh -j f2b-sshd
iptables -w -N f2b-sshd-log
iptables -w -I f2b-sshd-log -j LOG --log-prefix "$(expr f2b-sshd : '\(.\{1,23\}\)'):DROP " --log-level warning -m limit --limit 6/m --limit-burst 2
iptables -w -A f2b-sshd-log -j REJECT --reject-with icmp-port-unreachable
iptables -w -n -L f2b-sshd-log >/dev/null
iptables -w -I f2b-sshd 1 -s 192.0.2.1 -j f2b-sshd-log
ip6tables -w -N f2b-sshd
ip6tables -w -A f2b-sshd -j RETURN
ip6tables -w -I INPUT 1 -p tcp -m multiport --dports ssh -j f2b-sshd
ip6tables -w -N f2b-sshd-log
ip6tables -w -I f2b-sshd-log -j LOG --log-prefix "$(expr f2b-sshd : '\(.\{1,23\}\)'):DROP " --log-level warning -m limit --limit 6/m --limit-burst 2
ip6tables -w -A f2b-sshd-log -j REJECT --reject-with icmp6-port-unreachable
ip6tables -w -n -L f2b-sshd-log >/dev/null
ip6tables -w -I f2b-sshd 1 -s 2001:db8:: -j f2b-sshd-log
