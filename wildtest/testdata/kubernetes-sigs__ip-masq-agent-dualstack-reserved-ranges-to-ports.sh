#!/bin/sh
# ip-masq-agent (kubernetes-sigs/ip-masq-agent cmd/ip-masq-agent/ip-masq-agent.go at
# e3000864e0dd2a670340ae42e0eba1ada5be738a, Apache-2.0): one sync of
# syncMasqRules() and syncMasqRulesIPv6() with --enable-ipv6, --random-fully (its
# default, the kernel has it) and --to-ports 1024-29999,32768-49151,61000-65535.
# The config: the IPv4 nonMasqueradeCIDRs of the test "default config not
# masquerading reserved ranges" (TestSyncMasqRules), the IPv6 one of "config has ipv4
# and ipv6 non masquerade cidr" (TestSyncMasqRulesIPv6: fc00::/7); the MASQUERADE
# lines are those TestWriteMasqRules expects for "triple ranges".
# k8s.io/kubernetes pkg/util/iptables: EnsureChain = "iptables -w 5 -W 100000 -N CHAIN
# -t TABLE"; EnsureRule(Append) = "-C ..." and, when that fails, "-A ..."; RestoreAll
# (NoFlushTables, NoRestoreCounters) = "iptables-restore -w 5 -W 100000 --noflush".

C='"ip-masq-agent: local traffic is not subject to MASQUERADE"'
M='"ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)"'
J='ip-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom IP-MASQ-AGENT chain'

# syncMasqRules (IPv4)
iptables -w 5 -W 100000 -N IP-MASQ-AGENT -t nat
iptables -w 5 -W 100000 -C POSTROUTING -t nat -m comment --comment "$J" -m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT 2>/dev/null ||
iptables -w 5 -W 100000 -A POSTROUTING -t nat -m comment --comment "$J" -m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT
iptables-restore -w 5 -W 100000 --noflush <<EOR
*nat
:IP-MASQ-AGENT - [0:0]
-A IP-MASQ-AGENT -m comment --comment $C -d 169.254.0.0/16 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 10.0.0.0/8 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 172.16.0.0/12 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 192.168.0.0/16 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 100.64.0.0/10 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 192.0.0.0/24 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 192.0.2.0/24 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 192.88.99.0/24 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 198.18.0.0/15 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 198.51.100.0/24 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 203.0.113.0/24 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d 240.0.0.0/4 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p tcp -m statistic --mode random --probability 0.5807279140612474 --to-ports 1024-29999
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p tcp -m statistic --mode random --probability 0.7831739961759082 --to-ports 32768-49151
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p tcp --to-ports 61000-65535
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p udp -m statistic --mode random --probability 0.5807279140612474 --to-ports 1024-29999
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p udp -m statistic --mode random --probability 0.7831739961759082 --to-ports 32768-49151
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p udp --to-ports 61000-65535
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p sctp -m statistic --mode random --probability 0.5807279140612474 --to-ports 1024-29999
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p sctp -m statistic --mode random --probability 0.7831739961759082 --to-ports 32768-49151
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p sctp --to-ports 61000-65535
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully
COMMIT
EOR

# syncMasqRulesIPv6
ip6tables -w 5 -W 100000 -N IP-MASQ-AGENT -t nat
ip6tables -w 5 -W 100000 -C POSTROUTING -t nat -m comment --comment "$J" -m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT 2>/dev/null ||
ip6tables -w 5 -W 100000 -A POSTROUTING -t nat -m comment --comment "$J" -m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT
ip6tables-restore -w 5 -W 100000 --noflush <<EOR
*nat
:IP-MASQ-AGENT - [0:0]
-A IP-MASQ-AGENT -m comment --comment $C -d fe80::/10 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $C -d fc00::/7 -j RETURN
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p tcp -m statistic --mode random --probability 0.5807279140612474 --to-ports 1024-29999
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p tcp -m statistic --mode random --probability 0.7831739961759082 --to-ports 32768-49151
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p tcp --to-ports 61000-65535
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p udp -m statistic --mode random --probability 0.5807279140612474 --to-ports 1024-29999
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p udp -m statistic --mode random --probability 0.7831739961759082 --to-ports 32768-49151
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p udp --to-ports 61000-65535
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p sctp -m statistic --mode random --probability 0.5807279140612474 --to-ports 1024-29999
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p sctp -m statistic --mode random --probability 0.7831739961759082 --to-ports 32768-49151
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully -p sctp --to-ports 61000-65535
-A IP-MASQ-AGENT -m comment --comment $M -j MASQUERADE --random-fully
COMMIT
EOR
