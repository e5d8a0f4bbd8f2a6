#!/usr/bin/env bash
# Runs a command in a fresh network namespace: loopback, plus a veth pair with
# an address in the benchmarking range 198.18.0.0/15 and a default route, because
# Chromium gathers no WebRTC ICE candidates on a host with only loopback. Nothing
# in the namespace can reach any other network. Tests find the address in
# WEFT_TEST_HOST. Without root (a developer laptop) the command runs as it is
# on 127.0.0.1, and browser WebRTC tests use the machine's own interfaces.
set -euo pipefail
if [ "${WEFT_TEST_NETNS:-}" = 1 ]; then exec "$@"; fi
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null && unshare -n true 2>/dev/null; then
  export WEFT_TEST_NETNS=1 WEFT_TEST_HOST=198.18.0.1
  exec unshare -n bash -c '
    set -e
    ip link set lo up
    ip link add weft0 type veth peer name weft1
    ip addr add 198.18.0.1/24 dev weft0
    ip addr add 198.18.0.2/24 dev weft1
    ip link set weft0 up
    ip link set weft1 up
    ip route add default via 198.18.0.2
    exec "$@"' netns "$@"
fi
export WEFT_TEST_HOST=127.0.0.1
exec "$@"
