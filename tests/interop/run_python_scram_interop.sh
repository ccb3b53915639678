#!/usr/bin/env bash
# WAMP-SCRAM interop: makes the principals' credentials with nexus-scram,
# starts nexusd on free loopback ports with them, and runs
# autobahn_python_scram.py (Debian's python3-autobahn with python3-argon2,
# and the spec's exchange written in Python) against it.
#   run_python_scram_interop.sh NEXUSD NEXUS_SCRAM
set -uo pipefail
nexusd=${1:?usage: run_python_scram_interop.sh NEXUSD NEXUS_SCRAM}
nexus_scram=${2:?usage: run_python_scram_interop.sh NEXUSD NEXUS_SCRAM}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/nexusd_helpers.sh"
python=/usr/bin/python3
if ! "$python" -c "import argon2, passlib" 2>/dev/null; then
  echo "WAMP-SCRAM interop: FAILED python3-argon2 or python3-passlib is missing (make deps)"
  exit 1
fi
work=$(mktemp -d)
trap 'nexusd_stop; rm -rf "$work"' EXIT

# Test passwords (never real secrets); autobahn_python_scram.py knows them.
# Low costs keep the test quick; a real deployment takes nexus-scram's defaults.
principal() { # AUTHID PASSWORD OPTIONS...
  local authid=$1 password=$2
  shift 2
  printf '%s' "$password" | "$nexus_scram" --authid "$authid" --authrole user "$@"
}
alice=$(principal alice 'alice-password' --authmethod scram --iterations 2 --memory 1024) &&
bob=$(principal bob 'bob-password' --kdf pbkdf2 --iterations 4096) &&
carol=$(principal carol $'carol\xc2\xa0pass' --iterations 2 --memory 1024) || {
  echo "WAMP-SCRAM interop: FAILED nexus-scram could not make the credentials"; exit 1; }
# The checks fail on purpose several times from 127.0.0.1: no lockout between them.
cat >"$work/nexus.json" <<JSON
{
  "websocket": {"address": "127.0.0.1:0"},
  "rawsocket": {"tcp_address": "127.0.0.1:0"},
  "router": {"auth_throttle": {"enabled": false}, "realms": [{
    "uri": "realm1", "anonymous_auth": false,
    "principals": [$alice, $bob, $carol],
    "roles": [{"name": "user", "permissions": [
      {"uri": "", "match": "prefix", "allow": {"call": true, "subscribe": true}}]}]
  }]}
}
JSON
nexusd_start "$work/nexusd.log" --config "$work/nexus.json" --threads 2 --log-level info
ws_port=$(nexusd_port "$work/nexusd.log" WebSocket "WAMP-SCRAM interop") || exit 1
rs_port=$(nexusd_port "$work/nexusd.log" RawSocket "WAMP-SCRAM interop") || exit 1
status=0
timeout 150 "$python" "$here/autobahn_python_scram.py" "ws://127.0.0.1:$ws_port/ws" "$rs_port" \
  2>"$work/client.log" || status=1
if [[ $status != 0 ]]; then
  echo "--- client log (last 20 lines) ---"
  tail -20 "$work/client.log"
  echo "--- nexusd log (last 20 lines) ---"
  tail -20 "$work/nexusd.log"
fi
exit $status
