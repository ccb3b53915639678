#!/usr/bin/env bash
# Runs wampbench briefly against nexusd (RawSocket + MessagePack, WebSocket +
# JSON) and checks that work got done and no event was lost, so that the
# load generator cannot rot unnoticed. Figures are not judged here.
set -uo pipefail
nexusd=${1:?usage: run_bench_smoke.sh NEXUSD WAMPBENCH}
wampbench=${2:?usage: run_bench_smoke.sh NEXUSD WAMPBENCH}
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
rs=$(free_port)
ws=$(free_port)
"$nexusd" --rawsocket "127.0.0.1:$rs" --websocket "127.0.0.1:$ws" --threads 1 --log-level error &
pid=$!
out=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 100); do
  /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $rs), 0.1)" 2>/dev/null && break
  sleep 0.05
done

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
exit $status
