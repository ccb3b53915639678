#!/usr/bin/env bash
# Starts nexusd on a free loopback port and runs the autobahn-js (npm) checks
# over WebSocket with JSON, MessagePack and CBOR.
#   run_js_interop.sh NEXUSD            RPC and pub/sub checks (autobahn_js_client.js)
#   run_js_interop.sh NEXUSD auth       authentication/authorization (autobahn_js_auth.js,
#                                       nexusd runs auth_realm.json)
set -uo pipefail
nexusd=${1:?usage: run_js_interop.sh NEXUSD [auth]}
suite=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -d "$here/node_modules/autobahn" ]]; then
  echo "run_js_interop: npm packages missing; run: make deps" >&2
  exit 1
fi
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
script="$here/autobahn_js_client.js"
config=()
if [[ "$suite" == auth ]]; then
  script="$here/autobahn_js_auth.js"
  config=(--config "$here/auth_realm.json")
fi
"$nexusd" "${config[@]}" --websocket "127.0.0.1:$port" --rawsocket 127.0.0.1:0 --threads 2 --log-level error &
pid=$!
log=$(mktemp)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do
  node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" && break
  sleep 0.1
done
status=0
for serializer in json msgpack cbor; do
  if ! timeout 60 node "$script" "ws://127.0.0.1:$port/ws" "$serializer" >"$log" 2>&1; then
    status=1
    tail -20 "$log"
  else
    grep "autobahn-js" "$log"
  fi
done
exit $status
