#!/bin/sh
# Android netd (GrapheneOS/platform_system_netd server/ControllersTest.cpp and
# server/TetherControllerTest.cpp): the iptables-restore inputs netd sends, in order,
# to its long-running 'iptables-restore --noflush' / 'ip6tables-restore --noflush'
# when it boots (the tethering-related child chains), sets up the tethering hooks,
# and enables NAT from wlan0 to rmnet0 (with counters and an IPv6 upstream).

# Controllers::initIptablesRules (ControllersTest TestInitIptablesRules), tethering parts
for r in iptables-restore ip6tables-restore; do
printf '%s' "*filter
:FORWARD -
-F FORWARD
:oem_fwd -
-A FORWARD -j oem_fwd
:fw_FORWARD -
-A FORWARD -j fw_FORWARD
:bw_FORWARD -
-A FORWARD -j bw_FORWARD
:tetherctrl_FORWARD -
-A FORWARD -j tetherctrl_FORWARD
COMMIT
" | $r --noflush -w
printf '%s' "*raw
:PREROUTING -
-F PREROUTING
:clat_raw_PREROUTING -
-A PREROUTING -j clat_raw_PREROUTING
:bw_raw_PREROUTING -
-A PREROUTING -j bw_raw_PREROUTING
:idletimer_raw_PREROUTING -
-A PREROUTING -j idletimer_raw_PREROUTING
:tetherctrl_raw_PREROUTING -
-A PREROUTING -j tetherctrl_raw_PREROUTING
COMMIT
" | $r --noflush -w
printf '%s' "*mangle
:FORWARD -
-F FORWARD
:tetherctrl_mangle_FORWARD -
-A FORWARD -j tetherctrl_mangle_FORWARD
COMMIT
" | $r --noflush -w
done
printf '%s' "*nat
:POSTROUTING -
-F POSTROUTING
:tetherctrl_nat_POSTROUTING -
-A POSTROUTING -j tetherctrl_nat_POSTROUTING
COMMIT
" | iptables-restore --noflush -w

# TetherController::setupIptablesHooks (SETUP_COMMANDS)
printf '%s' "*filter
:tetherctrl_FORWARD -
-A tetherctrl_FORWARD -j DROP
COMMIT
*nat
:tetherctrl_nat_POSTROUTING -
COMMIT
" | iptables-restore --noflush -w
printf '%s' "*filter
:tetherctrl_FORWARD -
COMMIT
*raw
:tetherctrl_raw_PREROUTING -
COMMIT
" | ip6tables-restore --noflush -w
printf '%s' "*mangle
-A tetherctrl_mangle_FORWARD -p tcp --tcp-flags SYN SYN -j TCPMSS --clamp-mss-to-pmtu
COMMIT
" | iptables-restore --noflush -w
for r in iptables-restore ip6tables-restore; do
printf '%s' "*filter
:tetherctrl_counters -
COMMIT
" | $r --noflush -w
done

# allNewNatCommands("wlan0", "rmnet0", WITH_COUNTERS, WITH_IPV6, ...)
# (firstIPv4UpstreamCommands, firstIPv6UpstreamCommands, startNatCommands)
printf '%s' "*nat
-A tetherctrl_nat_POSTROUTING -o rmnet0 -j MASQUERADE
COMMIT
" | iptables-restore --noflush -w
printf '%s' "*filter
-A tetherctrl_FORWARD -g tetherctrl_counters
COMMIT
" | ip6tables-restore --noflush -w
printf '%s' "*raw
-A tetherctrl_raw_PREROUTING -i wlan0 -m rpfilter --invert ! -s fe80::/64 -j DROP
COMMIT
" | ip6tables-restore --noflush -w
printf '%s' "*raw
-A tetherctrl_raw_PREROUTING -p tcp --dport 21 -i wlan0 -j CT --helper ftp
-A tetherctrl_raw_PREROUTING -p tcp --dport 1723 -i wlan0 -j CT --helper pptp
COMMIT
*filter
-A tetherctrl_FORWARD -i rmnet0 -o wlan0 -m state --state ESTABLISHED,RELATED -g tetherctrl_counters
-A tetherctrl_FORWARD -i wlan0 -o rmnet0 -m state --state INVALID -j DROP
-A tetherctrl_FORWARD -i wlan0 -o rmnet0 -g tetherctrl_counters
-A tetherctrl_counters -i wlan0 -o rmnet0 -j RETURN
-A tetherctrl_counters -i rmnet0 -o wlan0 -j RETURN
-D tetherctrl_FORWARD -j DROP
-A tetherctrl_FORWARD -j DROP
COMMIT
" | iptables-restore --noflush -w
printf '%s' "*filter
-A tetherctrl_counters -i wlan0 -o rmnet0 -j RETURN
-A tetherctrl_counters -i rmnet0 -o wlan0 -j RETURN
COMMIT
" | ip6tables-restore --noflush -w
