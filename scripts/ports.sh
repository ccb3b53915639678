# Sourced (not run) by the scripts that start servers on loopback ports of
# their own: scripts/run-benchmarks.sh, scripts/cluster-bench.sh,
# tests/bench_smoke/run_bench_smoke.sh.
#   free_port            prints a free loopback port: bound by the kernel, then released
#   wait_port PORT WHAT  waits (up to 10 s) until something accepts connections on
#                        127.0.0.1:PORT; else says "<script>: WHAT does not listen on
#                        port PORT" on stderr and fails

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
  for _ in $(seq 200); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.1)" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "$(basename "$0" .sh): $2 does not listen on port $1" >&2
  return 1
}
