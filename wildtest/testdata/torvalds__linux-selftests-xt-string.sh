#!/bin/bash
# tools/testing/selftests/net/netfilter/xt_string.sh: the rules its add_rule calls add
pattern="foo bar baz"
add_rule() { # (alg, from, to)
	iptables -A OUTPUT -o d0 -m string \
		--string "$pattern" --algo $1 --from $2 --to $3
}
add_rule bm 1000 1500
add_rule bm 1400 1600
add_rule kmp 1000 1500
add_rule kmp 1400 1600
