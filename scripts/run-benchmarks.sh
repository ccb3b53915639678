#!/usr/bin/env bash
# The standard router benchmark suite (docs/PERFORMANCE.md): starts nexusd and
# bench/forwarder on free loopback ports, runs wampbench against both and
# prints each figure with its ratio to the forwarder and the issue's target.
#
#   scripts/run-benchmarks.sh BUILD_DIR        # e.g. build (what `make bench` does)
#
# Environment: NEXUSD (another nexusd binary), DURATION (seconds per run, 3),
# IDLE_SESSIONS (10000), PIN (1: server on CPU 0, wampbench on CPU 1; 0: no
# pinning), MICRO (1: also run the Google Benchmark micro-benchmarks),
# RESULTS (a directory to keep the JSON of every run in).
set -euo pipefail
build=${1:?usage: run-benchmarks.sh BUILD_DIR}
nexusd=${NEXUSD:-$build/apps/nexusd/nexusd}
wampbench=$build/apps/wampbench/wampbench
forwarder=$build/bench/forwarder/forwarder
duration=${DURATION:-3}
idle_sessions=${IDLE_SESSIONS:-10000}
for bin in "$nexusd" "$wampbench" "$forwarder"; do
  [[ -x "$bin" ]] || { echo "run-benchmarks: $bin is missing (build it first)" >&2; exit 1; }
done
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"

server_cpu=() bench_cpu=()
if [[ ${PIN:-1} == 1 ]] && command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0) bench_cpu=(taskset -c 1)
fi
# Room for the idle run's sessions on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

source "$(dirname "$0")/ports.sh"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${RESULTS:-} ]] || rm -rf "$results"
}
trap cleanup EXIT

rs_port=$(free_port)
ws_port=$(free_port)
"${server_cpu[@]}" "$nexusd" --rawsocket "127.0.0.1:$rs_port" --websocket "127.0.0.1:$ws_port" \
  --threads 1 --log-level error &
router_pid=$!
pids+=("$router_pid")
"${server_cpu[@]}" "$forwarder" --listen 127.0.0.1:0 --threads 1 > "$results/forwarder.out" &
forwarder_pid=$!
pids+=("$forwarder_pid")
wait_port "$rs_port" "nexusd (RawSocket)"
wait_port "$ws_port" "nexusd (WebSocket)"
for _ in $(seq 100); do grep -q listening "$results/forwarder.out" && break; sleep 0.05; done
fw_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$results/forwarder.out")

router_rs=(--url "rs://127.0.0.1:$rs_port" --pid "$router_pid")
router_ws=(--url "ws://127.0.0.1:$ws_port/ws" --serializer json --pid "$router_pid")
fw=(--url "rs://127.0.0.1:$fw_port" --target forwarder --pid "$forwarder_pid")
timing=(--duration "$duration" --warmup 1 --json)

run() { # NAME wampbench-args...
  local name=$1
  shift
  echo "run-benchmarks: $name: wampbench $*" >&2
  "${bench_cpu[@]}" "$wampbench" "$@" > "$results/$name.json" ||
    echo "run-benchmarks: $name failed (see $results/$name.json)" >&2
}

# First, while the router is fresh: memory per idle session.
run idle_router idle --sessions "$idle_sessions" --concurrency 200 "${router_rs[@]}" --duration 1 --json
rpc=(rpc --callers 1 --callees 1 --in-flight 64 --payload 100)
fanout=(pubsub --publishers 1 --subscribers 1000 --topics 1 --payload 100 --in-flight 8)
run rpc_router "${rpc[@]}" "${router_rs[@]}" "${timing[@]}"
run rpc_forwarder "${rpc[@]}" "${fw[@]}" "${timing[@]}"
run rpc_router_ws_json "${rpc[@]}" "${router_ws[@]}" "${timing[@]}"
peak=$(/usr/bin/python3 -c "import json; print(int(json.load(open('$results/rpc_router.json'))['results'].get('calls_per_s', 0)))" 2>/dev/null || echo 0)
if (( peak > 0 )); then
  run rpc_router_half_rate "${rpc[@]}" --rate $((peak / 2)) "${router_rs[@]}" "${timing[@]}"
  # The same rate through the forwarder: the latency floor of the machine at that moment.
  run rpc_forwarder_half_rate "${rpc[@]}" --rate $((peak / 2)) "${fw[@]}" "${timing[@]}"
fi
# No target: eight callers keep the router busy, where batching matters more
# than early writes (read_turns.hpp); watched so that neither case is bought
# with the other.
rpc8=(rpc --callers 8 --callees 8 --in-flight 64 --payload 100)
run rpc8_router "${rpc8[@]}" "${router_rs[@]}" "${timing[@]}"
run rpc8_forwarder "${rpc8[@]}" "${fw[@]}" "${timing[@]}"
run fanout_router "${fanout[@]}" "${router_rs[@]}" "${timing[@]}"
run fanout_forwarder "${fanout[@]}" "${fw[@]}" "${timing[@]}"
run fanout_router_ws_json "${fanout[@]}" "${router_ws[@]}" "${timing[@]}"
# Slow consumer: 10 subscribers fed 100k events/s, then the same with one more that stops reading.
slow=(pubsub --publishers 1 --subscribers 10 --topics 1 --payload 100 --rate 10000)
run slow_baseline "${slow[@]}" "${router_rs[@]}" "${timing[@]}"
run slow_stalled "${slow[@]}" --stalled-subscribers 1 "${router_rs[@]}" "${timing[@]}"
run connect_router connect --concurrency 32 "${router_rs[@]}" --duration 2 --warmup 0.5 --json
run connect_forwarder connect --concurrency 32 "${fw[@]}" --duration 2 --warmup 0.5 --json

/usr/bin/python3 - "$results" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(d, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
def res(name, key):
    r = load(name)
    return None if r is None or "error" in r else r["results"].get(key)
def lat(name, q):
    r = load(name)
    return None if not r or "latency_us" not in r else r["latency_us"][q]
def fmt(v, unit=""):
    return "-" if v is None else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}") + unit
rows = []
def row(what, value, ref, target, extra=""):
    ratio = None if value is None or not ref else value / ref
    rows.append((what, fmt(value), fmt(ref), "-" if ratio is None else f"{ratio:.0%}", target, extra))
def lat_text(name):
    return f"p50 {fmt(lat(name,'p50'))} / p99 {fmt(lat(name,'p99'))} / p99.9 {fmt(lat(name,'p99_9'))} us"
def cpu_text(name):
    return f"cpu router {fmt(res(name,'server_cpu'))}% bench {fmt(res(name,'bench_cpu'))}%"

rpc_fw = res("rpc_forwarder", "calls_per_s")
row("RPC calls/s (rs+msgpack, 64 in flight)", res("rpc_router", "calls_per_s"), rpc_fw, ">= 50%", lat_text("rpc_router"))
row("RPC calls/s, forwarder itself", rpc_fw, rpc_fw, "", lat_text("rpc_forwarder"))
row("RPC calls/s (ws+json)", res("rpc_router_ws_json", "calls_per_s"), res("rpc_router", "calls_per_s"),
    ">= 50% of rs+msgpack", lat_text("rpc_router_ws_json"))
row("RPC at half peak rate: p99 us", lat("rpc_router_half_rate", "p99"), lat("rpc_forwarder_half_rate", "p99"),
    "< 1000 us", lat_text("rpc_router_half_rate") + "; forwarder " + lat_text("rpc_forwarder_half_rate"))
row("RPC calls/s, 8 callers x 64 in flight", res("rpc8_router", "calls_per_s"),
    res("rpc8_forwarder", "calls_per_s"), "(no target)", lat_text("rpc8_router"))
fan_fw = res("fanout_forwarder", "events_per_s")
row("fan-out 1->1000 events/s (rs+msgpack)", res("fanout_router", "events_per_s"), fan_fw, ">= 70%",
    f"lost {fmt(res('fanout_router','lost_events'))}; " + lat_text("fanout_router"))
row("fan-out events/s, forwarder itself", fan_fw, fan_fw, "", lat_text("fanout_forwarder"))
row("fan-out events/s (ws+json)", res("fanout_router_ws_json", "events_per_s"), res("fanout_router", "events_per_s"),
    ">= 50% of rs+msgpack", f"lost {fmt(res('fanout_router_ws_json','lost_events'))}")
row("slow consumer: others' events/s", res("slow_stalled", "events_per_s"), res("slow_baseline", "events_per_s"),
    ">= 90% (and bounded memory)",
    f"router RSS {fmt(res('slow_baseline','server_rss_end'))} -> {fmt(res('slow_stalled','server_rss_end'))} KiB; "
    f"lost {fmt(res('slow_stalled','lost_events'))}; " + lat_text("slow_stalled"))
row("sessions/s (rs, 32 at once)", res("connect_router", "sessions_per_s"), res("connect_forwarder", "sessions_per_s"),
    ">= 10,000/s", lat_text("connect_router"))
row(f"idle KiB/session", res("idle_router", "rss_per_session"), None, "<= 16 KiB",
    f"{fmt(res('idle_router','sessions'))} sessions")
w = [max(len(r[i]) for r in rows + [("what", "value", "reference", "ratio", "target", "")]) for i in range(5)]
print()
print(f"{'what':<{w[0]}}  {'value':>{w[1]}}  {'reference':>{w[2]}}  {'ratio':>{w[3]}}  {'target':<{w[4]}}  details")
for r in rows:
    print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}  {r[3]:>{w[3]}}  {r[4]:<{w[4]}}  {r[5]}")
print()
# CPU time per unit of work moves far less than rates when the machine is shared.
print("CPU per unit (us of CPU per call / event / session; ratio = forwarder cost / router cost)")
pairs = [("rpc_router", "rpc_forwarder", "calls_per_s"), ("rpc_router_ws_json", "rpc_forwarder", "calls_per_s"),
         ("rpc8_router", "rpc8_forwarder", "calls_per_s"),
         ("fanout_router", "fanout_forwarder", "events_per_s"),
         ("fanout_router_ws_json", "fanout_forwarder", "events_per_s"),
         ("connect_router", "connect_forwarder", "sessions_per_s")]
def cost(name, key, who):
    rate, cpu = res(name, key), res(name, who)
    return None if not rate or cpu is None else cpu / 100.0 / rate * 1e6
for n, ref, key in pairs:
    r, f = cost(n, key, "server_cpu"), cost(ref, key, "server_cpu")
    ratio = "-" if not r or not f else f"{f / r:.0%}"
    print(f"  {n:<22} server {fmt(r)} us, forwarder {fmt(f)} us ({ratio}); "
          f"bench {fmt(cost(n, key, 'bench_cpu'))} us; {cpu_text(n)}")
PY

if [[ ${MICRO:-0} == 1 ]]; then
  for bin in "$build"/bench/*_bench; do
    [[ -x "$bin" ]] || continue
    echo "== $(basename "$bin")"
    "$bin" --benchmark_min_time=0.2
  done
fi
