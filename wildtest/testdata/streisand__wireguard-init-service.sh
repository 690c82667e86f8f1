#!/bin/sh
### BEGIN INIT INFO
# Provides:          streisand-wireguard
# Required-Start:    $network $remote_fs $local_fs
# Required-Stop:     $network $remote_fs $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Persist WireGuard firewall rules for Streisand
### END INIT INFO

iptables --wait 120 -A FORWARD -s 10.192.122.0/24 -j ACCEPT
iptables --wait 120 -t nat -A POSTROUTING -s 10.192.122.0/24 -o eth0 -j MASQUERADE

exit 0
