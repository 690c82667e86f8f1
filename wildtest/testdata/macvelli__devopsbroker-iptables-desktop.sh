#!/bin/bash

#
# iptables-desktop.sh - DevOpsBroker IPv4 iptables firewall script
#
# Copyright (C) 2018-2019 Edward Smith <edwardsmith@devopsbroker.org>
#
# This program is free software: you can redistribute it and/or modify it under
# the terms of the GNU General Public License as published by the Free Software
# Foundation, either version 3 of the License, or (at your option) any later
# version.
#
# This program is distributed in the hope that it will be useful, but WITHOUT
# ANY WARRANTY; without even the implied warranty of MERCHANTABILITY or FITNESS
# FOR A PARTICULAR PURPOSE.  See the GNU General Public License for more
# details.
#
# You should have received a copy of the GNU General Public License along with
# this program.  If not, see <http://www.gnu.org/licenses/>.
#
# EXTRACTED for xt2nft's wild test from macvelli/DevOpsBroker (a0bed8f27088fb255c7b7b26d23d6348fe55cf00)
# Ubuntu/18.04/Desktop/Configurator/etc/network/iptables-desktop.sh: the rule-building part
# (from "Set default policies" up to "IPTABLES-SAVE"), with the preamble replaced by the values it derives:
# NIC=enp3s0 (its $1), derivesubnet's IPv4_SUBNET=192.168.1.0/24, printInfo/printBanner stubbed to no-ops,
# IPTABLES=iptables instead of /sbin/iptables; the iptables-save to /etc/network/iptables.rules at the end dropped.
set -o errexit
set -o nounset
set -o pipefail
printInfo() { :; }
printBanner() { :; }
IPTABLES=iptables
NIC=enp3s0
IPv4_SUBNET=192.168.1.0/24
IPv4_BROADCAST='255.255.255.255'
IGMP_SUBNET='224.0.0.0/3'

# Set default policies / Flush rules / Delete user-defined chains
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯
printInfo 'Initializing RAW Table'
$IPTABLES -t raw -P OUTPUT ACCEPT
$IPTABLES -t raw -F
$IPTABLES -t raw -X

printInfo 'Initializing MANGLE Table'
$IPTABLES -t mangle -P INPUT ACCEPT
$IPTABLES -t mangle -P FORWARD ACCEPT
$IPTABLES -t mangle -P OUTPUT ACCEPT
$IPTABLES -t mangle -F
$IPTABLES -t mangle -X

printInfo 'Initializing NAT Table'
$IPTABLES -t nat -P OUTPUT ACCEPT
$IPTABLES -t nat -F
$IPTABLES -t nat -X

printInfo 'Initializing FILTER Table'
$IPTABLES -t filter -P INPUT ACCEPT
$IPTABLES -t filter -P FORWARD ACCEPT
$IPTABLES -t filter -P OUTPUT ACCEPT
$IPTABLES -t filter -F
$IPTABLES -t filter -X

echo

################################## RAW Table ##################################

printBanner 'Configuring RAW Table'

#
# ═══════════════════════ Custom RAW Table Jump Targets ═══════════════════════
#

# Rate limit Fragment logging
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯
$IPTABLES -t raw -N ipv4_fragment_drop
$IPTABLES -t raw -A ipv4_fragment_drop -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv4 FRAG BLOCK] ' --log-level 7
$IPTABLES -t raw -A ipv4_fragment_drop -j DROP

# Rate limit IGMP logging
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯
$IPTABLES -t raw -N igmp_drop
$IPTABLES -t raw -A igmp_drop -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv4 IGMP BLOCK] ' --log-level 7
$IPTABLES -t raw -A igmp_drop -j DROP

# Perform NOTRACK and ACCEPT
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯
$IPTABLES -t raw -N do_not_track
$IPTABLES -t raw -A do_not_track -j NOTRACK
$IPTABLES -t raw -A do_not_track -j ACCEPT

#
# ══════════════════════ Configure RAW PREROUTING Chain ═══════════════════════
#

printInfo 'DROP incoming fragmented packets'
$IPTABLES -t raw -A PREROUTING -f -j ipv4_fragment_drop

# Create PREROUTING filter chains for each network interface
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

## NIC
printInfo "Process incoming $NIC interface traffic"
$IPTABLES -t raw -N raw-${NIC}-pre
$IPTABLES -t raw -A PREROUTING -i ${NIC} -j raw-${NIC}-pre

## lo
printInfo 'Allow incoming lo interface traffic'
$IPTABLES -t raw -A PREROUTING -i lo -j do_not_track

printInfo 'Allow all other incoming interface traffic'
$IPTABLES -t raw -A PREROUTING -j ACCEPT

echo

# Create PREROUTING filter chains for each protocol
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

printInfo 'Allow incoming IPv4 Subnet packets'
$IPTABLES -t raw -A raw-${NIC}-pre -s $IPv4_SUBNET -j do_not_track
$IPTABLES -t raw -A raw-${NIC}-pre -s $IGMP_SUBNET -j do_not_track

## TCP
printInfo 'Process incoming TCP traffic'
$IPTABLES -t raw -N raw-${NIC}-tcp-pre
$IPTABLES -t raw -A raw-${NIC}-pre -p tcp -j raw-${NIC}-tcp-pre

## UDP
printInfo 'Process incoming UDP traffic'
$IPTABLES -t raw -N raw-${NIC}-udp-pre
$IPTABLES -t raw -A raw-${NIC}-pre -p udp -j raw-${NIC}-udp-pre

## ICMP
printInfo 'Process incoming ICMP traffic'
$IPTABLES -t raw -N raw-${NIC}-icmp-pre
$IPTABLES -t raw -A raw-${NIC}-pre -p icmp -j raw-${NIC}-icmp-pre

## IGMP
printInfo "DROP all incoming IGMP traffic not on $IGMP_SUBNET"
$IPTABLES -t raw -A raw-${NIC}-pre -p igmp -j igmp_drop

## ALL OTHERS
printInfo 'Further process all other incoming protocol traffic'
$IPTABLES -t raw -A raw-${NIC}-pre -j ACCEPT

echo

#
# *****************************
# * raw-${NIC}-icmp-pre Rules *
# *****************************
#

printInfo 'Allow ICMP destination-unreachable packets'
$IPTABLES -t raw -A raw-${NIC}-icmp-pre -p icmp -m icmp --icmp-type destination-unreachable -j do_not_track

printInfo 'Allow ICMP parameter-problem packets'
$IPTABLES -t raw -A raw-${NIC}-icmp-pre -p icmp -m icmp --icmp-type parameter-problem -j do_not_track

printInfo 'Allow ICMP echo-request packets'
$IPTABLES -t raw -A raw-${NIC}-icmp-pre -p icmp -m icmp --icmp-type echo-request -m limit --limit 2/s --limit-burst 1 -j do_not_track

printInfo 'Allow ICMP echo-reply packets'
$IPTABLES -t raw -A raw-${NIC}-icmp-pre -p icmp -m icmp --icmp-type echo-reply -j do_not_track

printInfo 'Allow ICMP time-exceeded packets'
$IPTABLES -t raw -A raw-${NIC}-icmp-pre -p icmp -m icmp --icmp-type time-exceeded -j do_not_track

printInfo 'DROP all other incoming ICMP traffic'
$IPTABLES -t raw -A raw-${NIC}-icmp-pre -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv4 ICMP BLOCK] ' --log-level 7
$IPTABLES -t raw -A raw-${NIC}-icmp-pre -j DROP

echo

#
# ****************************
# * raw-${NIC}-tcp-pre Rules *
# ****************************
#

printInfo 'Do not track incoming HTTP/HTTPS TCP response packets'
$IPTABLES -t raw -A raw-${NIC}-tcp-pre -p tcp -m tcp --sport 443 -j do_not_track
$IPTABLES -t raw -A raw-${NIC}-tcp-pre -p tcp -m tcp --sport 80 -j do_not_track

printInfo 'Further process all other incoming TCP traffic'
$IPTABLES -t raw -A raw-${NIC}-tcp-pre -j ACCEPT

echo

#
# ****************************
# * raw-${NIC}-udp-pre Rules *
# ****************************
#

printInfo 'DROP all incoming DHCP request packets'
$IPTABLES -t raw -A raw-${NIC}-udp-pre -p udp -m udp -s 0.0.0.0 -d 255.255.255.255 --sport 68 --dport 67 -j DROP

printInfo 'Do not track all other incoming UDP traffic'
$IPTABLES -t raw -A raw-${NIC}-udp-pre -j do_not_track

echo

#
# ════════════════════════ Configure RAW OUTPUT Chain ═════════════════════════
#

printInfo 'DROP outgoing fragmented packets'
$IPTABLES -t raw -A OUTPUT -f -j ipv4_fragment_drop

# Create OUTPUT filter chains for each network interface
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

## NIC
printInfo "Process outgoing $NIC interface traffic"
$IPTABLES -t raw -N raw-${NIC}-out
$IPTABLES -t raw -A OUTPUT -o ${NIC} -j raw-${NIC}-out

## lo
printInfo 'Allow outgoing lo interface traffic'
$IPTABLES -t raw -A OUTPUT -o lo -j do_not_track

printInfo 'ACCEPT all other outgoing interface traffic'
$IPTABLES -t raw -A OUTPUT -j ACCEPT

echo

# Create OUTPUT filter chains for each protocol
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

printInfo 'Allow outgoing IPv4 Subnet packets'
$IPTABLES -t raw -A raw-${NIC}-out -d $IPv4_SUBNET -j do_not_track
$IPTABLES -t raw -A raw-${NIC}-out -d $IGMP_SUBNET -j do_not_track

## TCP
printInfo 'Process outgoing TCP traffic'
$IPTABLES -t raw -N raw-${NIC}-tcp-out
$IPTABLES -t raw -A raw-${NIC}-out -p tcp -j raw-${NIC}-tcp-out

## UDP
printInfo 'Process outgoing UDP traffic'
$IPTABLES -t raw -N raw-${NIC}-udp-out
$IPTABLES -t raw -A raw-${NIC}-out -p udp -j raw-${NIC}-udp-out

## ICMP
printInfo 'Allow outgoing ICMP traffic'
$IPTABLES -t raw -A raw-${NIC}-out -p icmp -j do_not_track

## IGMP
printInfo "DROP all outgoing IGMP traffic not on $IGMP_SUBNET"
$IPTABLES -t raw -A raw-${NIC}-out -p igmp -j igmp_drop

## ALL OTHERS
printInfo 'DROP all other outgoing protocol traffic'
$IPTABLES -t raw -A raw-${NIC}-out -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv4 OUTPUT BLOCK] ' --log-level 7
$IPTABLES -t raw -A raw-${NIC}-out -j DROP

echo

#
# ****************************
# * raw-${NIC}-tcp-out Rules *
# ****************************
#

printInfo 'Do not track outgoing HTTP/HTTPS TCP request packets'
$IPTABLES -t raw -A raw-${NIC}-tcp-out -p tcp -m tcp --dport 443 -j do_not_track
$IPTABLES -t raw -A raw-${NIC}-tcp-out -p tcp -m tcp --dport 80 -j do_not_track

printInfo 'Further process all other outgoing TCP traffic'
$IPTABLES -t raw -A raw-${NIC}-tcp-out -j ACCEPT

echo

#
# ****************************
# * raw-${NIC}-udp-out Rules *
# ****************************
#

printInfo 'DROP outgoing Canon/Epson printer discovery packets'
$IPTABLES -t raw -A raw-${NIC}-udp-out -p udp -m multiport --dports 8610,8612,3289 -j DROP

printInfo 'Do not track all other outgoing UDP traffic'
$IPTABLES -t raw -A raw-${NIC}-udp-out -p udp -j do_not_track

echo

################################ MANGLE Table #################################

printBanner 'Configuring MANGLE Table'

#
# ═════════════════════ Configure MANGLE PREROUTING Chain ═════════════════════
#

printInfo 'Allow incoming lo interface traffic'
$IPTABLES -t mangle -A PREROUTING -i lo -j ACCEPT

printInfo 'DROP all incoming INVALID packets'
$IPTABLES -t mangle -A PREROUTING -m conntrack --ctstate INVALID -j DROP

#
# ═══════════════════════ Configure MANGLE INPUT Chain ════════════════════════
#


#
# ══════════════════════ Configure MANGLE FORWARD Chain ═══════════════════════
#

printInfo 'Disable routing'
$IPTABLES -t mangle -P FORWARD DROP

#
# ═══════════════════════ Configure MANGLE OUTPUT Chain ═══════════════════════
#

printInfo 'Allow outgoing lo interface traffic'
$IPTABLES -t mangle -A OUTPUT -o lo -j ACCEPT

printInfo 'DROP all outgoing INVALID packets'
$IPTABLES -t mangle -A OUTPUT -m conntrack --ctstate INVALID -j DROP

#
# ════════════════════ Configure MANGLE POSTROUTING Chain ═════════════════════
#

echo

################################ FILTER Table #################################

printBanner 'Configuring FILTER Table'

#
# ═════════════════════ Custom FILTER Table Jump Targets ══════════════════════
#

# Rate limit ICMP REJECT logging
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯
$IPTABLES -N icmp_reject
$IPTABLES -A icmp_reject -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv4 BLOCK] ' --log-level 7
$IPTABLES -A icmp_reject -j REJECT --reject-with icmp-port-unreachable

# Rate limit TCP REJECT logging
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯
$IPTABLES -N tcp_reject
$IPTABLES -A tcp_reject -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv4 BLOCK] ' --log-level 7
$IPTABLES -A tcp_reject -p tcp -j REJECT --reject-with tcp-reset

#
# ═══════════════════════ Configure FILTER INPUT Chain ════════════════════════
#

# Create INPUT filter chains for each network interface
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

## NIC
printInfo "Process incoming $NIC interface traffic"
$IPTABLES -N filter-${NIC}-in
$IPTABLES -A INPUT -i ${NIC} -j filter-${NIC}-in

## lo
printInfo 'ACCEPT incoming lo interface traffic'
$IPTABLES -A INPUT -i lo -j ACCEPT

printInfo 'ACCEPT all other incoming interface traffic'
$IPTABLES -A INPUT -j ACCEPT

echo

# Create INPUT filter chains for each protocol
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

printInfo "Process incoming IPv4 Subnet packets on $NIC"
$IPTABLES -N filter-${NIC}-local-in
$IPTABLES -A filter-${NIC}-in -s $IPv4_SUBNET -j filter-${NIC}-local-in
$IPTABLES -A filter-${NIC}-in -s $IGMP_SUBNET -j filter-${NIC}-local-in

## TCP
printInfo 'Process incoming TCP traffic'
$IPTABLES -N filter-${NIC}-tcp-in
$IPTABLES -A filter-${NIC}-in -p tcp -j filter-${NIC}-tcp-in

## UDP
printInfo 'Process incoming UDP traffic'
$IPTABLES -N filter-${NIC}-udp-in
$IPTABLES -A filter-${NIC}-in -p udp -j filter-${NIC}-udp-in

## ICMP
printInfo 'ACCEPT all incoming ICMP traffic not dropped in RAW table'
$IPTABLES -A filter-${NIC}-in -p icmp -j ACCEPT

## ALL OTHERS
printInfo 'REJECT all other incoming protocol traffic'
$IPTABLES -A filter-${NIC}-in -j icmp_reject

echo

#
# ********************************
# * filter-${NIC}-local-in Rules *
# ********************************
#

printInfo 'Perform incoming IPv4 Subnet TCP traffic accounting'
$IPTABLES -A filter-${NIC}-local-in -p tcp -j ACCEPT

printInfo 'Perform incoming IPv4 Subnet UDP traffic accounting'
$IPTABLES -A filter-${NIC}-local-in -p udp -j ACCEPT

printInfo 'Perform incoming IPv4 Subnet IGMP traffic accounting'
$IPTABLES -A filter-${NIC}-local-in -p igmp -j ACCEPT

printInfo 'Perform incoming IPv4 Subnet ICMP traffic accounting'
$IPTABLES -A filter-${NIC}-local-in -p icmp -j ACCEPT

printInfo 'Perform incoming IPv4 Subnet OTHER traffic accounting'
$IPTABLES -A filter-${NIC}-local-in -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv4 INFO BLOCK] ' --log-level 7
$IPTABLES -A filter-${NIC}-local-in -j ACCEPT

echo

#
# ******************************
# * filter-${NIC}-tcp-in Rules *
# ******************************
#

printInfo 'ACCEPT incoming HTTP/HTTPS TCP response packets'
$IPTABLES -A filter-${NIC}-tcp-in -p tcp -m tcp --sport 443 -j ACCEPT
$IPTABLES -A filter-${NIC}-tcp-in -p tcp -m tcp --sport 80 -j ACCEPT

printInfo 'ACCEPT Established TCP Sessions'
$IPTABLES -A filter-${NIC}-tcp-in -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT

printInfo 'REJECT all other incoming TCP traffic'
$IPTABLES -A filter-${NIC}-tcp-in -j tcp_reject

echo

#
# ******************************
# * filter-${NIC}-udp-in Rules *
# ******************************
#

printInfo 'ACCEPT incoming DNS UDP response packets'
$IPTABLES -A filter-${NIC}-udp-in -p udp -m udp --sport 53 -j ACCEPT

printInfo 'ACCEPT incoming NTP UDP response packets'
$IPTABLES -A filter-${NIC}-udp-in -p udp -m udp --sport 123 -j ACCEPT

printInfo 'REJECT all other incoming UDP traffic'
$IPTABLES -A filter-${NIC}-udp-in -j icmp_reject

echo

#
# ══════════════════════ Configure FILTER FORWARD Chain ═══════════════════════
#

printInfo 'Set default FORWARD policy to DROP'
$IPTABLES -P FORWARD DROP

echo

#
# ═══════════════════════ Configure FILTER OUTPUT Chain ═══════════════════════
#

# Create OUTPUT filter chains for each network interface
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

## NIC
printInfo "Process outgoing $NIC interface traffic"
$IPTABLES -N filter-${NIC}-out
$IPTABLES -A OUTPUT -o ${NIC} -j filter-${NIC}-out

## lo
printInfo 'ACCEPT outgoing lo interface traffic'
$IPTABLES -A OUTPUT -o lo -j ACCEPT

printInfo 'ACCEPT all other outgoing interface traffic'
$IPTABLES -A OUTPUT -j ACCEPT

echo

# Create OUTPUT filter chains for each protocol
# ¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯

printInfo "Process outgoing IPv4 Subnet packets on $NIC"
$IPTABLES -N filter-${NIC}-local-out
$IPTABLES -A filter-${NIC}-out -d $IPv4_SUBNET -j filter-${NIC}-local-out
$IPTABLES -A filter-${NIC}-out -d $IGMP_SUBNET -j filter-${NIC}-local-out

## TCP
printInfo 'Process outgoing TCP traffic'
$IPTABLES -N filter-${NIC}-tcp-out
$IPTABLES -A filter-${NIC}-out -p tcp -j filter-${NIC}-tcp-out

## UDP
printInfo 'Process outgoing UDP traffic'
$IPTABLES -N filter-${NIC}-udp-out
$IPTABLES -A filter-${NIC}-out -p udp -j filter-${NIC}-udp-out

## ICMP
printInfo 'ACCEPT all outgoing ICMP traffic'
$IPTABLES -A filter-${NIC}-out -p icmp -j ACCEPT

## ALL OTHERS
printInfo 'REJECT all other outgoing protocol traffic'
$IPTABLES -A filter-${NIC}-out -j icmp_reject

echo

#
# *********************************
# * filter-${NIC}-local-out Rules *
# *********************************
#

printInfo 'Perform outgoing IPv4 Subnet TCP traffic accounting'
$IPTABLES -A filter-${NIC}-local-out -p tcp -j ACCEPT

printInfo 'Perform outgoing IPv4 Subnet UDP traffic accounting'
$IPTABLES -A filter-${NIC}-local-out -p udp -j ACCEPT

printInfo 'Perform outgoing IPv4 Subnet IGMP traffic accounting'
$IPTABLES -A filter-${NIC}-local-out -p igmp -j ACCEPT

printInfo 'Perform outgoing IPv4 Subnet ICMP traffic accounting'
$IPTABLES -A filter-${NIC}-local-out -p icmp -j ACCEPT

printInfo 'Perform outgoing IPv4 Subnet OTHER traffic accounting'
$IPTABLES -A filter-${NIC}-local-out -m limit --limit 3/min --limit-burst 2 -j LOG --log-prefix '[IPv6 INFO BLOCK] ' --log-level 7
$IPTABLES -A filter-${NIC}-local-out -j ACCEPT

echo

#
# *******************************
# * filter-${NIC}-tcp-out Rules *
# *******************************
#

printInfo "REJECT TCP SMB/NetBIOS request packets not on $IPv4_SUBNET"
$IPTABLES -A filter-${NIC}-tcp-out -p tcp -m multiport --dports 139,445 ! -d $IPv4_SUBNET -j tcp_reject

printInfo "REJECT TCP SMB/NetBIOS response packets not on $IPv4_SUBNET"
$IPTABLES -A filter-${NIC}-tcp-out -p tcp -m multiport --sports 139,445 ! -d $IPv4_SUBNET -j tcp_reject

printInfo 'ACCEPT all other outgoing TCP traffic'
$IPTABLES -A filter-${NIC}-tcp-out -j ACCEPT

echo

#
# *******************************
# * filter-${NIC}-udp-out Rules *
# *******************************
#

printInfo 'ACCEPT outoging UDP DNS request packets'
$IPTABLES -A filter-${NIC}-udp-out -p udp -m udp --dport 53 -j ACCEPT

printInfo 'ACCEPT outgoing UDP NTP request packets'
$IPTABLES -A filter-${NIC}-udp-out -p udp -m udp --dport 123 -j ACCEPT

printInfo 'ACCEPT outgoing UDP UPnP request packets'
$IPTABLES -A filter-${NIC}-udp-out -p udp -m udp --dport 1900 -d $IPv4_BROADCAST -j ACCEPT

printInfo 'ACCEPT outgoing UDP WS-Discovery request packets'
$IPTABLES -A filter-${NIC}-udp-out -p udp -m udp --dport 1124 -d $IPv4_BROADCAST -j ACCEPT

printInfo 'REJECT all other outgoing UDP traffic'
$IPTABLES -A filter-${NIC}-udp-out -j icmp_reject

echo

