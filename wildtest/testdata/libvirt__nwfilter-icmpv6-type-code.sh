#!/bin/sh
ip6tables -w -N FJ-vnet0
ip6tables -w -N FP-vnet0
ip6tables -w -N HJ-vnet0
ip6tables -A FJ-vnet0 -p icmpv6 -m mac --mac-source 01:02:03:04:05:06 \
--source f:e:d::c:b:a/127 --destination a:b:c::d:e:f/128 -m dscp --dscp 2 \
--icmpv6-type 12/11 -m state --state NEW,ESTABLISHED -j RETURN
ip6tables -A HJ-vnet0 -p icmpv6 -m mac --mac-source 01:02:03:04:05:06 \
--source f:e:d::c:b:a/127 --destination a:b:c::d:e:f/128 -m dscp --dscp 2 \
--icmpv6-type 12/11 -m state --state NEW,ESTABLISHED -j RETURN
ip6tables -A FP-vnet0 -p icmpv6 -m mac --mac-source 01:02:03:04:05:06 \
--source a:b:c::/128 -m dscp --dscp 33 --icmpv6-type 255/255 -m state \
--state NEW,ESTABLISHED -j ACCEPT
ip6tables -A FP-vnet0 -p icmpv6 -m mac --mac-source 01:02:03:04:05:06 \
--source ::10.1.2.3/128 -m dscp --dscp 33 --icmpv6-type 255/255 -m state \
--state NEW,ESTABLISHED -j ACCEPT
