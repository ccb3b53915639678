#!/usr/bin/env bash
# A three-node nexus cluster on this machine (docs/CLUSTER.md): one
# nats-server with JetStream and three nexusd nodes joined through it, all on
# 127.0.0.1, realm "realm1" open to anonymous clients. Ctrl-C stops them all.
#
#   scripts/cluster-demo.sh [BUILD_DIR]        # default: build
#
# Node i (1..3) listens for WebSocket on ws://127.0.0.1:<BASE_PORT + 10*i>/ws,
# RawSocket on BASE_PORT + 10*i + 1 and HTTP (dashboard, /metrics) on
# BASE_PORT + 10*i + 2. Environment: NEXUSD (another nexusd binary),
# NATS_SERVER (another nats-server), NATS_PORT (4250), BASE_PORT (8100),
# KEEP (1: keep the configurations and logs, in the directory it prints).
set -euo pipefail
build=${1:-build}
nexusd=${NEXUSD:-$build/apps/nexusd/nexusd}
nats_server=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
nats_port=${NATS_PORT:-4250}
base_port=${BASE_PORT:-8100}
[[ -x "$nexusd" ]] || { echo "cluster-demo: $nexusd is missing (cmake --build $build --target nexusd)" >&2; exit 1; }
[[ -x "$nats_server" ]] || { echo "cluster-demo: nats-server is missing (scripts/install-deps.sh)" >&2; exit 1; }

dir=$(mktemp -d /tmp/nexus-cluster-demo.XXXXXX)
pids=()
tails=()
stop() {
  trap - INT TERM EXIT
  for pid in "${tails[@]}"; do kill "$pid" 2>/dev/null || true; done
  echo
  echo "cluster-demo: stopping"
  # The nodes first (they say goodbye to the cluster), NATS last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [[ ${KEEP:-0} == 1 ]]; then
    echo "cluster-demo: configurations and logs kept in $dir"
  else
    rm -rf "$dir"
  fi
}
trap stop INT TERM EXIT

wait_for_port() { # PORT WHAT PID
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "cluster-demo: $2 exited; its log:" >&2; cat "$dir/$2.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "cluster-demo: $2 does not listen on port $1" >&2
  exit 1
}

"$nats_server" -a 127.0.0.1 -p "$nats_port" -n demo-nats -js -sd "$dir/jetstream" \
  >"$dir/nats.log" 2>&1 &
pids+=($!)
wait_for_port "$nats_port" nats "${pids[-1]}"
echo "cluster-demo: NATS with JetStream on nats://127.0.0.1:$nats_port"

for i in 1 2 3; do
  port=$((base_port + 10 * i))
  cat >"$dir/node$i.json" <<EOF
{
    "websocket": {"address": "127.0.0.1:$port", "paths": ["/", "/ws"]},
    "rawsocket": {"tcp_address": "127.0.0.1:$((port + 1))"},
    "http": {"address": "127.0.0.1:$((port + 2))"},
    "cluster": {
        "nats": "nats://127.0.0.1:$nats_port",
        "node_name": "node$i",
        "heartbeat": 0.5,
        "node_timeout": 3
    },
    "router": {"realms": [{"uri": "realm1", "anonymous_auth": true, "allow_disclose": true}]}
}
EOF
  "$nexusd" --config "$dir/node$i.json" >"$dir/node$i.log" 2>&1 &
  pids+=($!)
  wait_for_port "$port" "node$i" "${pids[-1]}"
  echo "cluster-demo: node$i  ws://127.0.0.1:$port/ws  rawsocket 127.0.0.1:$((port + 1))" \
       " dashboard http://127.0.0.1:$((port + 2))/"
done

echo "cluster-demo: running; logs in $dir (node1.log ...). Ctrl-C stops everything."
# The nodes' log lines as they come, each with its node's name.
for i in 1 2 3; do
  tail -n +1 -F "$dir/node$i.log" 2>/dev/null > >(sed -u "s/^/[node$i] /") &
  tails+=($!)
done
wait "${pids[@]}" || true
