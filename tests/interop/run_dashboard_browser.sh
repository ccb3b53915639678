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
source "$here/nexusd_helpers.sh"
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
trap 'nexusd_stop; rm -rf "$dir"' EXIT
nexusd_start "$dir/nexusd.log" --config "$dir/nexus.json" --threads 2
ws_port=$(nexusd_port "$dir/nexusd.log" WebSocket "dashboard browser") || exit 1
http_port=$(nexusd_port "$dir/nexusd.log" HTTP "dashboard browser") || exit 1
CHROMIUM=$chromium timeout $((120 + ${DASHBOARD_HISTORY_SECONDS:-8})) node "$here/dashboard_browser_test.js" "http://127.0.0.1:$http_port" \
  "ws://127.0.0.1:$ws_port/ws" "$token" "$screenshot"
status=$?
if [[ $status != 0 ]]; then
  echo "--- nexusd log (last 20 lines) ---"
  tail -20 "$dir/nexusd.log"
fi
exit $status
