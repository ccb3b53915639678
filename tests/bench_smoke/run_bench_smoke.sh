#!/usr/bin/env bash
# Runs wampbench briefly against nexusd (RawSocket + MessagePack, WebSocket +
# JSON), with sessions spread over two URLs of that nexusd, and, when
# nats-server is installed, over two nexusd nodes of a cluster; checks that
# work got done and no event was lost, so that the load generator cannot rot
# unnoticed. Figures are not judged here.
set -uo pipefail
nexusd=${1:?usage: run_bench_smoke.sh NEXUSD WAMPBENCH}
wampbench=${2:?usage: run_bench_smoke.sh NEXUSD WAMPBENCH}
source "$(dirname "$0")/../../scripts/ports.sh"
rs=$(free_port)
ws=$(free_port)
"$nexusd" --rawsocket "127.0.0.1:$rs" --websocket "127.0.0.1:$ws" --threads 1 --log-level error &
pid=$!
out=$(mktemp -d)
pids=($pid)
cleanup() { # the nodes before NATS
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null
    wait "${pids[i]}" 2>/dev/null
  done
  rm -rf "$out"
}
trap cleanup EXIT
wait_port "$rs" nexusd

status=0
check() { # NAME KEY wampbench-args...
  local name=$1 key=$2
  shift 2
  if ! timeout 60 "$wampbench" "$@" --duration 1 --warmup 0.2 --json > "$out/$name.json"; then
    echo "FAIL $name: wampbench exited with an error"; cat "$out/$name.json"; status=1; return
  fi
  if ! /usr/bin/python3 - "$out/$name.json" "$key" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
res = r["results"]
problems = []
if res.get(sys.argv[2], 0) <= 0: problems.append(sys.argv[2] + " is 0")
for k in ("lost_events", "errors", "lost_connections", "unanswered", "failed"):
    if res.get(k, 0) != 0: problems.append(f"{k} = {res[k]}")
if "error" in r: problems.append(r["error"])
if problems:
    print("; ".join(problems), json.dumps(r))
    sys.exit(1)
PY
  then echo "FAIL $name"; status=1; else echo "ok   $name"; fi
}
check rpc_rs_msgpack calls rpc --url "rs://127.0.0.1:$rs" --callers 2 --callees 2 --in-flight 16
check pubsub_rs_msgpack events pubsub --url "rs://127.0.0.1:$rs" --publishers 2 --topics 2 --subscribers 5
check rpc_ws_json calls rpc --url "ws://127.0.0.1:$ws/ws" --serializer json
check pubsub_rs_cbor events pubsub --url "rs://127.0.0.1:$rs" --serializer cbor --subscribers 3
check connect_rs sessions connect --url "rs://127.0.0.1:$rs" --concurrency 4
# Two URLs of one node (and two transports): sessions take them in turn.
check rpc_two_urls calls rpc --url "rs://127.0.0.1:$rs" --url "ws://127.0.0.1:$ws/ws" --callers 2 --callees 2
check pubsub_two_urls events pubsub --publisher-url "ws://127.0.0.1:$ws/ws" \
  --subscriber-url "rs://127.0.0.1:$rs" --subscriber-url "ws://127.0.0.1:$ws/ws" --subscribers 4

# Two nodes of a cluster: callers on one, callees on the other; subscribers on both.
nats_server=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
if [[ ! -x "$nats_server" ]]; then
  echo "skip cluster cases: nats-server is not installed (scripts/install-deps.sh)"
  exit $status
fi
nats=$(free_port)
"$nats_server" -a 127.0.0.1 -p "$nats" -js -sd "$out/jetstream" >"$out/nats.log" 2>&1 &
pids+=($!)
wait_port "$nats" nats-server || { echo "FAIL nats-server did not start"; cat "$out/nats.log"; exit 1; }
node_rs=()
for node in a b; do
  port=$(free_port)
  cat >"$out/$node.json" <<EOF
{"cluster": {"nats": "nats://127.0.0.1:$nats", "node_name": "smoke-$node", "heartbeat": 0.2, "node_timeout": 2},
 "router": {"realms": [{"uri": "realm1", "anonymous_auth": true}]}}
EOF
  "$nexusd" --config "$out/$node.json" --rawsocket "127.0.0.1:$port" --websocket 127.0.0.1:0 \
    --threads 1 --log-level error &
  pids+=($!)
  wait_port "$port" "node $node" || { echo "FAIL node $node did not start"; exit 1; }
  node_rs+=("rs://127.0.0.1:$port")
done
check rpc_cluster calls rpc --caller-url "${node_rs[0]}" --callee-url "${node_rs[1]}" --callers 2 --callees 2
check pubsub_cluster events pubsub --publisher-url "${node_rs[0]}" \
  --subscriber-url "${node_rs[0]}" --subscriber-url "${node_rs[1]}" --subscribers 4
exit $status
