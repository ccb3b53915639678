#!/usr/bin/env bash
# Interop across a cluster: a nats-server with JetStream and two nexusd nodes
# joined through it, all on loopback ports of their own, then autobahn-js
# sessions spread over both nodes (autobahn_js_cluster.js) for each
# serializer. The realm honours progressive results from autobahn-js callees
# (they announce no call_canceling). Everything started here is stopped on exit.
# usage: run_cluster_interop.sh NEXUSD
set -uo pipefail
nexusd=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/nexusd_helpers.sh"
nats=$(command -v nats-server || echo /usr/sbin/nats-server)
if [[ ! -x $nats ]]; then
  echo "nats-server not found (scripts/install-deps.sh installs it)"
  exit 1
fi
work=$(mktemp -d)
nats_pid=
cleanup() { # the nodes first (they say goodbye), NATS last
  nexusd_stop
  [[ -n $nats_pid ]] && { kill -TERM "$nats_pid" 2>/dev/null; wait "$nats_pid" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port: bound by the kernel, then released.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

nats_port=$(free_port)
"$nats" -a 127.0.0.1 -p "$nats_port" -js -sd "$work/jetstream" >"$work/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 200); do
  grep -q "Server is ready" "$work/nats.log" && break
  sleep 0.05
done
if ! grep -q "Server is ready" "$work/nats.log"; then
  echo "cluster interop: FAILED nats-server did not start; its log:"
  cat "$work/nats.log"
  exit 1
fi

urls=()
for node in a b; do
  cat >"$work/$node.json" <<EOF
{
  "router": {"realms": [{"uri": "realm1", "anonymous_auth": true,
                         "progressive_results_without_canceling": true}]},
  "cluster": {"nats": "nats://127.0.0.1:$nats_port", "node_name": "node-$node",
              "heartbeat": 0.2, "node_timeout": 2}
}
EOF
  nexusd_start "$work/$node.log" --config "$work/$node.json" --websocket 127.0.0.1:0 \
    --rawsocket 127.0.0.1:0 --threads 2 --log-level info
  port=$(nexusd_port "$work/$node.log" WebSocket "cluster interop: node $node") || exit 1
  urls+=("ws://127.0.0.1:$port/ws")
done

status=0
for serializer in json msgpack cbor; do
  if ! timeout 90 node "$here/autobahn_js_cluster.js" "${urls[0]}" "${urls[1]}" "$serializer" \
      >"$work/client.log" 2>&1; then
    status=1
    tail -20 "$work/client.log"
  else
    grep "^autobahn-js" "$work/client.log"
  fi
done
if [[ $status != 0 ]]; then
  for node in a b; do
    echo "--- nexusd node $node log (last 20 lines) ---"
    tail -20 "$work/$node.log"
  done
fi
exit $status
