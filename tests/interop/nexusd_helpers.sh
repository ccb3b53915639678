# Sourced by the interop runners (bash): nexusd in the background, its
# listeners on port 0 (nexusd binds free ports itself and logs them: no
# window for another process to take a port picked in advance), and every
# nexusd started here stopped in the runner's EXIT trap.
#   nexusd_start LOG ARGS...          runs "$nexusd" (the runner's NEXUSD) with ARGS,
#                                     its log (stderr) in LOG
#   nexusd_port LOG LISTENER WHAT     prints the port of LISTENER (RawSocket, WebSocket,
#                                     HTTP) once the last nexusd started logs it; else
#                                     says "WHAT: FAILED ..." with the log on stderr and
#                                     fails (nexusd ended, or 10 s passed):
#                                       port=$(nexusd_port ...) || exit 1
#   nexusd_stop                       SIGTERM to each, then waits for them to exit

nexusd_pids=()

nexusd_start() {
  local log=$1
  shift
  "${nexusd:?the runner sets nexusd}" "$@" 2>"$log" &
  nexusd_pids+=($!)
}

nexusd_port() {
  local log=$1 listener=$2 what=$3 pid=${nexusd_pids[-1]} port=
  for _ in $(seq 200); do
    port=$(sed -n "s/.*$listener listening on .*(port \([0-9]*\)).*/\1/p" "$log")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z $port ]]; then
    { echo "$what: FAILED nexusd did not start listening; its log:"; cat "$log"; } >&2
    return 1
  fi
  echo "$port"
}

nexusd_stop() {
  local pid
  for pid in "${nexusd_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${nexusd_pids[@]}"; do wait "$pid" 2>/dev/null; done
  nexusd_pids=()
}
