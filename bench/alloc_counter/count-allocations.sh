#!/usr/bin/env bash
# Heap allocations per routed message in nexusd: runs the same wampbench
# workload twice (short and long) against a fresh nexusd under the
# allocation counter and divides the difference in allocations by the
# difference in work, so that startup and session setup cancel out.
#
#   bench/alloc_counter/count-allocations.sh BUILD_DIR [NEXUSD]
set -euo pipefail
build=${1:?usage: count-allocations.sh BUILD_DIR [NEXUSD]}
nexusd=${2:-$build/apps/nexusd/nexusd}
wampbench=$build/apps/wampbench/wampbench
counter=$(cd "$build/bench/alloc_counter" && pwd)/libnexus_alloc_counter.so

# run COUNT wampbench-args... -> prints "allocations work"
run() {
  local count=$1
  shift
  local port log
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log=$(mktemp)
  LD_PRELOAD=$counter "$nexusd" --rawsocket "127.0.0.1:$port" --threads 1 --log-level error 2>"$log" &
  local pid=$!
  for _ in $(seq 100); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break
    sleep 0.05
  done
  local work
  work=$("$wampbench" "$@" --url "rs://127.0.0.1:$port" --count "$count" --warmup 0 --json |
    /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(int(r.get("calls", r.get("events", 0))))')
  kill -TERM "$pid"
  wait "$pid" || true
  echo "$(sed -n 's/alloc_counter: \([0-9]*\) allocations/\1/p' "$log" | tail -1) $work"
  rm -f "$log"
}

measure() { # LABEL MESSAGES_PER_UNIT wampbench-args...
  local label=$1 per=$2
  shift 2
  read -r a1 w1 < <(run 20000 "$@")
  read -r a2 w2 < <(run 120000 "$@")
  /usr/bin/python3 -c "
a=($a2-$a1); w=($w2-$w1)
print(f'$label: {a/w:.2f} allocations per unit, {a/w/$per:.2f} per routed message ({w} units, {a} allocations)')"
}

# A call is two routed messages (CALL->INVOCATION, YIELD->RESULT).
measure "rpc (rs+msgpack, 100 B, 64 in flight), per call" 2 rpc --in-flight 64
# An event delivered is one routed message out; the PUBLISH in is shared by 10.
measure "pubsub (rs+msgpack, 100 B, 1->10), per delivered event" 1 pubsub --subscribers 10
