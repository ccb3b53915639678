#!/usr/bin/env bash
# Starts nexusd (WebSocket and HTTP with an admin token, on free loopback
# ports) and runs dashboard_browser_test.js: headless Chromium (Debian's
# chromium, driven by puppeteer-core) on the dashboard while autobahn-js
# clients call and publish.
#   run_dashboard_browser.sh NEXUSD [SCREENSHOT.png]
set -uo pipefail
nexusd=${1:?usage: run_dashboard_browser.sh NEXUSD [SCREENSHOT.png]}
screenshot=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "dashboard browser: FAILED $chromium missing (scripts/install-deps.sh installs chromium)"
  exit 1
fi
if [[ ! -d "$here/node_modules/puppeteer-core" || ! -d "$here/node_modules/autobahn" ]]; then
  echo "dashboard browser: FAILED npm packages missing; run: make deps"
  exit 1
fi
dir=$(mktemp -d)
token=dashboard-test-token-$RANDOM$RANDOM
cat > "$dir/nexus.json" <<JSON
{
  "websocket": {"address": "127.0.0.1:0"},
  "http": {"address": "127.0.0.1:0", "admin_token": "$token"},
  "router": {"realms": [{"uri": "realm1", "anonymous_auth": true}]}
}
JSON
"$nexusd" --config "$dir/nexus.json" --threads 2 2>"$dir/nexusd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
ws_port= http_port=
for _ in $(seq 200); do
  ws_port=$(sed -n 's/.*WebSocket listening on .*(port \([0-9]*\)).*/\1/p' "$dir/nexusd.log")
  http_port=$(sed -n 's/.*HTTP listening on .*(port \([0-9]*\)).*/\1/p' "$dir/nexusd.log")
  [[ -n $ws_port && -n $http_port ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
if [[ -z $ws_port || -z $http_port ]]; then
  echo "dashboard browser: FAILED nexusd did not start listening; its log:"
  cat "$dir/nexusd.log"
  exit 1
fi
CHROMIUM=$chromium timeout $((120 + ${DASHBOARD_HISTORY_SECONDS:-8})) node "$here/dashboard_browser_test.js" "http://127.0.0.1:$http_port" \
  "ws://127.0.0.1:$ws_port/ws" "$token" "$screenshot"
status=$?
if [[ $status != 0 ]]; then
  echo "--- nexusd log (last 20 lines) ---"
  tail -20 "$dir/nexusd.log"
fi
exit $status
