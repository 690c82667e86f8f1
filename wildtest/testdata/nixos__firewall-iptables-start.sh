#! /bin/sh -e
# NixOS firewall-start script as nixos/modules/services/networking/firewall-iptables.nix
# (NixOS/nixpkgs db59d03371a1ca74896c812e1653d5bccc0bc0f4) renders it, with helpers.nix's ip46tables,
# for: enableIPv6 = true; kernelHasRPFilter = true; networking.firewall = {
#   rejectPackets = true; logRefusedConnections = true; logRefusedPackets = false;
#   checkReversePath = "loose"; logReversePathDrops = true; trustedInterfaces = [ "lo" ];
#   allowedTCPPorts = [ 22 80 443 ]; allowedUDPPortRanges = [ { from = 60000; to = 61000; } ];
#   interfaces.wg0.allowedUDPPorts = [ 51820 ]; allowPing = true;
#   pingLimit = "--limit 1/minute --limit-burst 5"; extraCommands = ""; }

# Helper command to manipulate both the IPv4 and IPv6 tables.
ip46tables() {
  iptables -w "$@"
  ip6tables -w "$@"
}

# Flush the old firewall rules.  !!! Ideally, updating the
# firewall would be atomic.  Apparently that's possible
# with iptables-restore.
ip46tables -D INPUT -j nixos-fw 2> /dev/null || true
for chain in nixos-fw nixos-fw-accept nixos-fw-log-refuse nixos-fw-refuse; do
  ip46tables -F "$chain" 2> /dev/null || true
  ip46tables -X "$chain" 2> /dev/null || true
done


# The "nixos-fw-accept" chain just accepts packets.
ip46tables -N nixos-fw-accept
ip46tables -A nixos-fw-accept -j ACCEPT


# The "nixos-fw-refuse" chain rejects or drops packets.
ip46tables -N nixos-fw-refuse

# Send a reset for existing TCP connections that we've
# somehow forgotten about.  Send ICMP "port unreachable"
# for everything else.
ip46tables -A nixos-fw-refuse -p tcp ! --syn -j REJECT --reject-with tcp-reset
ip46tables -A nixos-fw-refuse -j REJECT



# The "nixos-fw-log-refuse" chain performs logging, then
# jumps to the "nixos-fw-refuse" chain.
ip46tables -N nixos-fw-log-refuse

ip46tables -A nixos-fw-log-refuse -p tcp --syn -j LOG --log-level info --log-prefix "refused connection: "


ip46tables -A nixos-fw-log-refuse -m pkttype ! --pkt-type unicast -j nixos-fw-refuse

ip46tables -A nixos-fw-log-refuse -j nixos-fw-refuse


# The "nixos-fw" chain does the actual work.
ip46tables -N nixos-fw

# Clean up rpfilter rules
ip46tables -t mangle -D PREROUTING -j nixos-fw-rpfilter 2> /dev/null || true
ip46tables -t mangle -F nixos-fw-rpfilter 2> /dev/null || true
ip46tables -t mangle -X nixos-fw-rpfilter 2> /dev/null || true

# Perform a reverse-path test to refuse spoofers
# For now, we just drop, as the mangle table doesn't have a log-refuse yet
ip46tables -t mangle -N nixos-fw-rpfilter 2> /dev/null || true
ip46tables -t mangle -A nixos-fw-rpfilter -m rpfilter --validmark --loose -j RETURN

# Allows this host to act as a DHCP4 client without first having to use APIPA
iptables -t mangle -A nixos-fw-rpfilter -p udp --sport 67 --dport 68 -j RETURN

# Allows this host to act as a DHCPv4 server
iptables -t mangle -A nixos-fw-rpfilter -s 0.0.0.0 -d 255.255.255.255 -p udp --sport 68 --dport 67 -j RETURN

ip46tables -t mangle -A nixos-fw-rpfilter -j LOG --log-level info --log-prefix "rpfilter drop: "

ip46tables -t mangle -A nixos-fw-rpfilter -j DROP

ip46tables -t mangle -A PREROUTING -j nixos-fw-rpfilter


# Accept all traffic on the trusted interfaces.
ip46tables -A nixos-fw -i lo -j nixos-fw-accept


# Accept packets from established or related connections.
ip46tables -A nixos-fw -m conntrack --ctstate ESTABLISHED,RELATED -j nixos-fw-accept

# Accept connections to the allowed TCP ports.
ip46tables -A nixos-fw -p tcp --dport 22 -j nixos-fw-accept 
ip46tables -A nixos-fw -p tcp --dport 80 -j nixos-fw-accept 
ip46tables -A nixos-fw -p tcp --dport 443 -j nixos-fw-accept 


# Accept connections to the allowed TCP port ranges.


# Accept packets on the allowed UDP ports.
ip46tables -A nixos-fw -p udp --dport 51820 -j nixos-fw-accept -i wg0


# Accept packets on the allowed UDP port ranges.
ip46tables -A nixos-fw -p udp --dport 60000:61000 -j nixos-fw-accept 


# Optionally respond to ICMPv4 pings.
iptables -w -A nixos-fw -p icmp --icmp-type echo-request -m limit --limit 1/minute --limit-burst 5 -j nixos-fw-accept


# Accept all ICMPv6 messages except redirects and node
# information queries (type 139).  See RFC 4890, section
# 4.4.
ip6tables -A nixos-fw -p icmpv6 --icmpv6-type redirect -j DROP
ip6tables -A nixos-fw -p icmpv6 --icmpv6-type 139 -j DROP
ip6tables -A nixos-fw -p icmpv6 -j nixos-fw-accept

# Allow this host to act as a DHCPv6 client
ip6tables -A nixos-fw -d fe80::/64 -p udp --dport 546 -j nixos-fw-accept




# Reject/drop everything else.
ip46tables -A nixos-fw -j nixos-fw-log-refuse


# Enable the firewall.
ip46tables -A INPUT -j nixos-fw
