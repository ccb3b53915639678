#!/usr/bin/env bash
# Cluster benchmarks (docs/PERFORMANCE.md, "Cluster"): starts nats-server
# (JetStream, monitoring on) and three nexusd nodes on free loopback ports,
# runs wampbench with its sessions spread over the nodes and prints:
#  - RPC calls/s, same node (callers and callees on node1) and cross node
#    (callers on node1, callees on node2): the peak (closed loop), then the
#    latency at half of that peak (--rate) and at LOW_RATE calls/s (200);
#  - fan-out 1 -> SUBSCRIBERS: the publisher on node1, the subscribers all on
#    node1, then round-robin over the three nodes;
#  - NATS messages per call / per published event, from nats-server's own
#    counters on its monitoring port: /varz in_msgs (less what the idle
#    cluster sends meanwhile: heartbeats), and /connz?subs=detail's messages
#    per subscription, which tell events and invocations (delivered on each
#    node's own subject) from directory changes (sessions joining, subscribing);
#  - the CPU each process used (nats-server, the nodes, wampbench).
#
#   scripts/cluster-bench.sh BUILD_DIR        # e.g. build
#
# Environment: NEXUSD, WAMPBENCH, NATS_SERVER (other binaries), DURATION
# (seconds per run, 5), THREADS (nexusd --threads per node, 1), SUBSCRIBERS
# (1000), LOW_RATE (calls/s of the low-rate latency runs, 200), RESULTS (a directory to keep every run's JSON and the logs in).
set -euo pipefail
build=${1:?usage: cluster-bench.sh BUILD_DIR}
nexusd=${NEXUSD:-$build/apps/nexusd/nexusd}
wampbench=${WAMPBENCH:-$build/apps/wampbench/wampbench}
nats_server=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
duration=${DURATION:-5}
threads=${THREADS:-1}
subscribers=${SUBSCRIBERS:-1000}
for bin in "$nexusd" "$wampbench" "$nats_server"; do
  [[ -x "$bin" ]] || { echo "cluster-bench: $bin is missing (build it / scripts/install-deps.sh)" >&2; exit 1; }
done
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true # a thousand subscribers on each side

source "$(dirname "$0")/ports.sh"

pids=()
cleanup() { # the nodes first (they say goodbye), NATS last
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  [[ -n ${RESULTS:-} ]] || rm -rf "$results"
}
trap cleanup EXIT

nats_port=$(free_port)
mon_port=$(free_port)
"$nats_server" -a 127.0.0.1 -p "$nats_port" -m "$mon_port" -n bench-nats -js \
  -sd "$results/jetstream" >"$results/nats.log" 2>&1 &
pids+=($!)
wait_port "$nats_port" nats-server
wait_port "$mon_port" "nats-server monitoring"

node_url=() node_pid=()
for i in 1 2 3; do
  port=$(free_port)
  cat >"$results/node$i.json" <<EOF
{
    "cluster": {"nats": "nats://127.0.0.1:$nats_port", "node_name": "node$i"},
    "router": {"realms": [{"uri": "realm1", "anonymous_auth": true}]}
}
EOF
  "$nexusd" --config "$results/node$i.json" --rawsocket "127.0.0.1:$port" \
    --websocket 127.0.0.1:0 --threads "$threads" --log-level warning 2>"$results/node$i.log" &
  pids+=($!)
  node_pid+=($!)
  wait_port "$port" "node$i"
  node_url+=("rs://127.0.0.1:$port")
done
# Every node has heard the others (heartbeats) before the first run.
sleep 2

nats_counters() { # in_msgs out_msgs node_msgs dir_msgs
  # The server's totals (/varz), and from its per-subscription counters
  # (/connz?subs=detail) the messages delivered on the nodes' own subjects
  # (<prefix>.node.<name>: events, invocations, results for that node) and on
  # the directory subject (<prefix>.dir: joins, registrations, subscriptions).
  /usr/bin/python3 -c "
import json, urllib.request
get = lambda path: json.load(urllib.request.urlopen('http://127.0.0.1:$mon_port' + path))
v = get('/varz')
subs = [s for c in get('/connz?subs=detail&limit=1024')['connections']
        for s in c.get('subscriptions_list_detail', [])]
node = sum(s['msgs'] for s in subs if s['subject'].startswith('nexus.node.'))
directory = sum(s['msgs'] for s in subs if s['subject'] == 'nexus.dir')
print(v['in_msgs'], v['out_msgs'], node, directory)"
}
# The idle cluster's own traffic (heartbeats), per second, to subtract.
read -r idle_in0 idle_out0 _ _ < <(nats_counters)
sleep 3
read -r idle_in1 idle_out1 _ _ < <(nats_counters)
idle_in_rate=$(/usr/bin/python3 -c "print(($idle_in1 - $idle_in0) / 3)")
idle_out_rate=$(/usr/bin/python3 -c "print(($idle_out1 - $idle_out0) / 3)")

cpu_ticks() { # PID: user + system clock ticks so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}
all_cpu() { # the CPU ticks of nats-server, node1..3
  echo "$(cpu_ticks "${pids[0]}") $(cpu_ticks "${node_pid[0]}") $(cpu_ticks "${node_pid[1]}") $(cpu_ticks "${node_pid[2]}")"
}
# run NAME wampbench-args...: the JSON in $results/NAME.json; around the run,
# in $results/NAME.nats: the NATS counters before and after (see
# nats_counters), the seconds it took, and the CPU ticks of nats-server and
# node1..3 before and after.
run() {
  local name=$1
  shift
  echo "cluster-bench: $name: wampbench $*" >&2
  local t0 t1 nats0 nats1 cpu0 cpu1
  nats0=$(nats_counters)
  cpu0=$(all_cpu)
  t0=$(date +%s.%N)
  "$wampbench" "$@" --json >"$results/$name.json" ||
    echo "cluster-bench: $name failed (see $results/$name.json)" >&2
  t1=$(date +%s.%N)
  cpu1=$(all_cpu)
  nats1=$(nats_counters)
  echo "$nats0 $nats1 $(/usr/bin/python3 -c "print($t1 - $t0)") $cpu0 $cpu1" >"$results/$name.nats"
}
calls_per_s() {
  /usr/bin/python3 -c "import json; print(int(json.load(open('$results/$1.json'))['results'].get('calls_per_s', 0)))"
}

timing=(--duration "$duration" --warmup 1)
rpc=(rpc --callers 1 --callees 1 --in-flight 64 --payload 100)
same=(--caller-url "${node_url[0]}" --callee-url "${node_url[0]}")
cross=(--caller-url "${node_url[0]}" --callee-url "${node_url[1]}")

run rpc_same_peak "${rpc[@]}" "${same[@]}" "${timing[@]}" --pid "${node_pid[0]}"
run rpc_cross_peak "${rpc[@]}" "${cross[@]}" "${timing[@]}" --pid "${node_pid[0]}"
same_half=$(($(calls_per_s rpc_same_peak) / 2))
cross_half=$(($(calls_per_s rpc_cross_peak) / 2))
run rpc_same_half "${rpc[@]}" "${same[@]}" "${timing[@]}" --rate "$same_half" --pid "${node_pid[0]}"
run rpc_cross_half "${rpc[@]}" "${cross[@]}" "${timing[@]}" --rate "$cross_half" --pid "${node_pid[0]}"
# Latency with the machine and the cluster nearly idle: what one call costs.
low_rate=${LOW_RATE:-200}
run rpc_same_low "${rpc[@]}" "${same[@]}" "${timing[@]}" --rate "$low_rate" --pid "${node_pid[0]}"
run rpc_cross_low "${rpc[@]}" "${cross[@]}" "${timing[@]}" --rate "$low_rate" --pid "${node_pid[0]}"

fanout=(pubsub --publishers 1 --topics 1 --subscribers "$subscribers" --in-flight 8 --payload 100)
run fanout_one_node "${fanout[@]}" --url "${node_url[0]}" "${timing[@]}" --pid "${node_pid[0]}"
run fanout_three_nodes "${fanout[@]}" --publisher-url "${node_url[0]}" \
  --subscriber-url "${node_url[0]}" --subscriber-url "${node_url[1]}" \
  --subscriber-url "${node_url[2]}" "${timing[@]}" --pid "${node_pid[0]}"
# NATS messages per call and per event at a steady pace, without warm-up
# (every call made is a measured one): cross-node calls, and events to two
# other nodes with one subscriber each.
run rpc_cross_paced "${rpc[@]}" "${cross[@]}" --rate 2000 --duration "$duration" --warmup 0
run events_two_remote_nodes pubsub --publishers 1 --topics 1 --subscribers 2 \
  --publisher-url "${node_url[0]}" --subscriber-url "${node_url[1]}" \
  --subscriber-url "${node_url[2]}" --rate 2000 --duration "$duration" --warmup 0

/usr/bin/python3 - "$results" "$idle_in_rate" "$idle_out_rate" "$duration" "$subscribers" <<'PY'
import json, os, sys
results, idle_in, idle_out, duration = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
subscribers = int(sys.argv[5])
nan = float("nan")

tick = os.sysconf("SC_CLK_TCK")

def load(name):
    with open(os.path.join(results, name + ".json")) as f:
        r = json.load(f)
    f = open(os.path.join(results, name + ".nats")).read().split()
    before, after, secs = [int(x) for x in f[0:4]], [int(x) for x in f[4:8]], float(f[8])
    d = [a - b for a, b in zip(after, before)]
    nats = {"in": d[0] - idle_in * secs, "out": d[1] - idle_out * secs, "node": d[2], "dir": d[3]}
    cpu0, cpu1 = [int(x) for x in f[9:13]], [int(x) for x in f[13:17]]
    # % of one core over the whole run (setup included): nats-server, node1, node2, node3
    cpu = [100 * (a - b) / tick / secs for a, b in zip(cpu1, cpu0)]
    return r, r.get("results", {}), nats, cpu

def cpus(cpu):
    return " / ".join(f"{c:.0f}" for c in cpu)

def lat(r, q):
    return r.get("latency_us", {}).get(q, nan)

def problems(r, res):
    p = [f"{k} {res[k]:.0f}" for k in ("errors", "unanswered", "lost_events", "lost_connections")
         if res.get(k, 0)]
    if "error" in r: p.append(r["error"])
    return ", ".join(p) or "none"

print(f"\ncluster-bench: nats-server and 3 nexusd nodes, {duration} s per run; JSON in {results}")
print(f"idle cluster: {idle_in:.1f} NATS messages in/s, {idle_out:.1f} out/s (heartbeats; "
      "subtracted below)\n")
print("| run | calls/s | p50 us | p99 us | p99.9 us | CPU % nats / node1 / node2 / node3 / wampbench | problems |")
print("|---|---|---|---|---|---|---|")
peak = {}
for name in ("rpc_same_peak", "rpc_cross_peak", "rpc_same_half", "rpc_cross_half",
             "rpc_same_low", "rpc_cross_low"):
    r, res, _, cpu = load(name)
    peak[name] = res.get("calls_per_s", 0)
    print(f"| {name} | {res.get('calls_per_s', 0):,.0f} | {lat(r, 'p50'):.0f} | {lat(r, 'p99'):.0f} "
          f"| {lat(r, 'p99_9'):.0f} | {cpus(cpu)} / {res.get('bench_cpu', nan):.0f} | {problems(r, res)} |")
if peak.get("rpc_same_peak"):
    print(f"\ncross-node / same-node peak: "
          f"{100 * peak['rpc_cross_peak'] / peak['rpc_same_peak']:.0f} % (target >= 40 %)")
print()
print("| run | events/s | publications/s | p50 us | p99 us | CPU % nats / node1 / node2 / node3 / wampbench | problems |")
print("|---|---|---|---|---|---|---|")
for name in ("fanout_one_node", "fanout_three_nodes"):
    r, res, _, cpu = load(name)
    print(f"| {name} | {res.get('events_per_s', 0):,.0f} | {res.get('events_per_s', 0) / subscribers:,.0f} "
          f"| {lat(r, 'p50'):.0f} | {lat(r, 'p99'):.0f} | {cpus(cpu)} / {res.get('bench_cpu', nan):.0f} "
          f"| {problems(r, res)} |")
print()
print("NATS messages per call / publication: in = published to the server, node = delivered on")
print("the nodes' own subjects (<prefix>.node.NAME), dir = directory changes (sessions joining,")
print("subscribing, leaving); heartbeats subtracted from in. Whole runs, warm-up and setup included.")
print("| run | unit | in | node | dir |")
print("|---|---|---|---|---|")
for name, key in (("rpc_cross_paced", "calls"), ("events_two_remote_nodes", "publications"),
                  ("fanout_one_node", "publications"), ("fanout_three_nodes", "publications")):
    r, res, nats, _ = load(name)
    n = res.get(key, 0) or nan
    print(f"| {name} | {key[:-1]} ({n:,.0f}) | {nats['in'] / n:.2f} | {nats['node'] / n:.2f} "
          f"| {nats['dir'] / n:.2f} |")
PY
