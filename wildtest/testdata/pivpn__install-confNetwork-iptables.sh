#!/usr/bin/env bash
SUDO=
VPN=wireguard
pivpnDEV=wg0
pivpnPROTO=udp
pivpnPORT=51820
IPv4dev=eth0
pivpnNET=10.193.42.0
subnetClass=24
pivpnenableipv6=1
IPv6dev=eth0
pivpnNETv6="fd11:5ee:bad:c0de::"
subnetClassv6=64
iptables -P FORWARD DROP
if ! ${SUDO} iptables -t nat -S \
  | grep -q "${VPN}-nat-rule"; then
  ${SUDO} iptables \
    -t nat \
    -I POSTROUTING \
    -s "${pivpnNET}/${subnetClass}" \
    -o "${IPv4dev}" \
    -j MASQUERADE \
    -m comment \
    --comment "${VPN}-nat-rule"
fi

if [[ "${pivpnenableipv6}" -eq 1 ]]; then
  if ! ${SUDO} ip6tables -t nat -S \
    | grep -q "${VPN}-nat-rule"; then
    ${SUDO} ip6tables \
      -t nat \
      -I POSTROUTING \
      -s "${pivpnNETv6}/${subnetClassv6}" \
      -o "${IPv6dev}" \
      -j MASQUERADE \
      -m comment \
      --comment "${VPN}-nat-rule"
  fi
fi

# Count how many rules are in the INPUT and FORWARD chain.
# When parsing input from iptables -S, '^-P' skips the policies
# and 'ufw-' skips ufw chains (in case ufw was found
# installed but not enabled).

# Grep returns non 0 exit code where there are no matches,
# however that would make the script exit,
# for this reasons we use '|| true' to force exit code 0
INPUT_RULES_COUNT="$(${SUDO} iptables -S INPUT \
  | grep -vcE '(^-P|ufw-)')"
FORWARD_RULES_COUNT="$(${SUDO} iptables -S FORWARD \
  | grep -vcE '(^-P|ufw-)')"
INPUT_POLICY="$(${SUDO} iptables -S INPUT \
  | grep '^-P' \
  | awk '{print $3}')"
FORWARD_POLICY="$(${SUDO} iptables -S FORWARD \
  | grep '^-P' \
  | awk '{print $3}')"

if [[ "${pivpnenableipv6}" -eq 1 ]]; then
  INPUT_RULES_COUNTv6="$(${SUDO} ip6tables -S INPUT \
    | grep -vcE '(^-P|ufw-)')"
  FORWARD_RULES_COUNTv6="$(${SUDO} ip6tables -S FORWARD \
    | grep -vcE '(^-P|ufw-)')"
  INPUT_POLICYv6="$(${SUDO} ip6tables -S INPUT \
    | grep '^-P' \
    | awk '{print $3}')"
  FORWARD_POLICYv6="$(${SUDO} ip6tables -S FORWARD \
    | grep '^-P' \
    | awk '{print $3}')"
fi

# If rules count is not zero, we assume we need to explicitly allow traffic.
# Same conclusion if there are no rules and the policy is not ACCEPT.
# Note that rules are being added to the top of the chain (using -I).

if [[ "${INPUT_RULES_COUNT}" -ne 0 ]] \
  || [[ "${INPUT_POLICY}" != "ACCEPT" ]]; then
  if ! ${SUDO} iptables -S \
    | grep -q "${VPN}-input-rule"; then
    ${SUDO} iptables \
      -I INPUT 1 \
      -i "${IPv4dev}" \
      -p "${pivpnPROTO}" \
      --dport "${pivpnPORT}" \
      -j ACCEPT \
      -m comment \
      --comment "${VPN}-input-rule"
  fi

  INPUT_CHAIN_EDITED=1
else
  INPUT_CHAIN_EDITED=0
fi

if [[ "${pivpnenableipv6}" -eq 1 ]]; then
  if [[ "${INPUT_RULES_COUNTv6}" -ne 0 ]] \
    || [[ "${INPUT_POLICYv6}" != "ACCEPT" ]]; then
    if ! ${SUDO} ip6tables -S \
      | grep -q "${VPN}-input-rule"; then
      ${SUDO} ip6tables \
        -I INPUT 1 \
        -i "${IPv6dev}" \
        -p "${pivpnPROTO}" \
        --dport "${pivpnPORT}" \
        -j ACCEPT \
        -m comment \
        --comment "${VPN}-input-rule"
    fi

    INPUT_CHAIN_EDITEDv6=1
  else
    INPUT_CHAIN_EDITEDv6=0
  fi
fi

if [[ "${FORWARD_RULES_COUNT}" -ne 0 ]] \
  || [[ "${FORWARD_POLICY}" != "ACCEPT" ]]; then
  if ! ${SUDO} iptables -S \
    | grep -q "${VPN}-forward-rule"; then
    ${SUDO} iptables \
      -I FORWARD 1 \
      -d "${pivpnNET}/${subnetClass}" \
      -i "${IPv4dev}" \
      -o "${pivpnDEV}" \
      -m conntrack \
      --ctstate RELATED,ESTABLISHED \
      -j ACCEPT \
      -m comment \
      --comment "${VPN}-forward-rule"
    ${SUDO} iptables \
      -I FORWARD 2 \
      -s "${pivpnNET}/${subnetClass}" \
      -i "${pivpnDEV}" \
      -o "${IPv4dev}" \
      -j ACCEPT \
      -m comment \
      --comment "${VPN}-forward-rule"
  fi

  FORWARD_CHAIN_EDITED=1
else
  FORWARD_CHAIN_EDITED=0
fi

if [[ "${pivpnenableipv6}" -eq 1 ]]; then
  if [[ "${FORWARD_RULES_COUNTv6}" -ne 0 ]] \
    || [[ "${FORWARD_POLICYv6}" != "ACCEPT" ]]; then
    if ! ${SUDO} ip6tables -S \
      | grep -q "${VPN}-forward-rule"; then
      ${SUDO} ip6tables \
        -I FORWARD 1 \
        -d "${pivpnNETv6}/${subnetClassv6}" \
        -i "${IPv6dev}" \
        -o "${pivpnDEV}" \
        -m conntrack \
        --ctstate RELATED,ESTABLISHED \
        -j ACCEPT \
        -m comment \
        --comment "${VPN}-forward-rule"
      ${SUDO} ip6tables \
        -I FORWARD 2 \
        -s "${pivpnNETv6}/${subnetClassv6}" \
        -i "${pivpnDEV}" \
        -o "${IPv6dev}" \
        -j ACCEPT \
        -m comment \
        --comment "${VPN}-forward-rule"
    fi

    FORWARD_CHAIN_EDITEDv6=1
  else
    FORWARD_CHAIN_EDITEDv6=0
  fi
fi
