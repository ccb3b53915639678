#!/usr/bin/env bash
# Starts nexusd on a free loopback port and runs the checks of an npm WAMP
# client over WebSocket with JSON, MessagePack and CBOR.
#   run_js_interop.sh NEXUSD            autobahn-js: RPC and pub/sub checks (autobahn_js_client.js)
#   run_js_interop.sh NEXUSD auth       autobahn-js: authentication/authorization
#                                       (autobahn_js_auth.js, nexusd runs auth_realm.json)
#   run_js_interop.sh NEXUSD wampy      wampy: RPC and pub/sub checks (wampy_client.js)
#   run_js_interop.sh NEXUSD progress   autobahn-js callee's progressive results, disregarded
#                                       on realm1 and honoured on a realm with
#                                       progressive_results_without_canceling (progress_realm.json)
set -uo pipefail
nexusd=${1:?usage: run_js_interop.sh NEXUSD [auth|wampy]}
suite=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/nexusd_helpers.sh"
if [[ ! -d "$here/node_modules/autobahn" || ! -d "$here/node_modules/wampy" ]]; then
  echo "run_js_interop: npm packages missing; run: make deps" >&2
  exit 1
fi
script="$here/autobahn_js_client.js"
client=autobahn-js
config=()
if [[ "$suite" == auth ]]; then
  script="$here/autobahn_js_auth.js"
  config=(--config "$here/auth_realm.json")
elif [[ "$suite" == wampy ]]; then
  script="$here/wampy_client.js"
  client=wampy
elif [[ "$suite" == progress ]]; then
  script="$here/autobahn_js_progress.js"
  config=(--config "$here/progress_realm.json")
fi
log=$(mktemp)
nexus_log=$(mktemp)
trap 'nexusd_stop; rm -f "$log" "$nexus_log"' EXIT
nexusd_start "$nexus_log" "${config[@]}" --websocket 127.0.0.1:0 --rawsocket 127.0.0.1:0 \
  --threads 2 --log-level info
port=$(nexusd_port "$nexus_log" WebSocket "$client websocket") || exit 1
status=0
runs=(json msgpack cbor)
if [[ "$suite" == progress ]]; then
  runs=("json realm1 disregarded" "json lenient honoured" "msgpack lenient honoured"
        "cbor lenient honoured")
fi
for run in "${runs[@]}"; do
  read -r serializer args <<<"$run"
  # shellcheck disable=SC2086 # $args holds the script's further arguments
  timeout 60 node "$script" "ws://127.0.0.1:$port/ws" "$serializer" $args >"$log" 2>&1
  rc=$?
  if [[ $rc != 0 ]]; then
    status=1
    [[ $rc == 124 ]] && echo "$client websocket $serializer: FAILED killed after 60 s"
    tail -20 "$log"
  else
    grep "^$client" "$log"
  fi
done
if [[ $status != 0 ]]; then
  echo "--- nexusd log (last 20 lines) ---"
  tail -20 "$nexus_log"
fi
exit $status
