#!/usr/bin/env bash
# Starts nexusd on a free loopback port and runs the autobahn-python (Debian
# python3-autobahn, asyncio) checks over one transport with JSON, MessagePack
# and CBOR (autobahn's CBOR serializer needs cbor2: Debian's python3-cbor2,
# installed by scripts/install-deps.sh).
#   run_python_interop.sh NEXUSD rawsocket    RawSocket over TCP
#   run_python_interop.sh NEXUSD websocket    WebSocket (ws://127.0.0.1:PORT/ws)
# nexusd runs python_realm.json: realm1, anonymous, with a role rule that
# discloses callers and publishers on com.interop.disclosed.* (autobahn-python
# 22 cannot ask for disclosure itself).
set -uo pipefail
nexusd=${1:?usage: run_python_interop.sh NEXUSD rawsocket|websocket}
transport=${2:-rawsocket}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
case "$transport" in
  rawsocket) listeners=(--rawsocket "127.0.0.1:$port" --websocket 127.0.0.1:0); url="rs://127.0.0.1:$port" ;;
  websocket) listeners=(--websocket "127.0.0.1:$port" --rawsocket 127.0.0.1:0); url="ws://127.0.0.1:$port/ws" ;;
  *) echo "run_python_interop: unknown transport $transport (rawsocket | websocket)" >&2; exit 2 ;;
esac
log=$(mktemp)
"$nexusd" --config "$here/python_realm.json" "${listeners[@]}" --threads 2 --log-level warning &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
ready=0
for _ in $(seq 50); do
  if "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null; then
    ready=1
    break
  fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "autobahn-python $transport: FAILED nexusd is not listening on 127.0.0.1:$port"
  exit 1
fi
status=0
for serializer in json msgpack cbor; do
  if [[ $serializer == cbor ]] && ! "$python" -c 'import cbor2' 2>/dev/null; then
    echo "autobahn-python $transport cbor: FAILED no cbor2 module: install Debian's python3-cbor2 (make deps)"
    status=1
    continue
  fi
  # The client's own log goes to stderr; its verdict lines to stdout.
  timeout 60 "$python" "$here/autobahn_python_client.py" "$url" "$serializer" 2>"$log"
  rc=$?
  if [[ $rc != 0 ]]; then
    status=1
    [[ $rc == 124 ]] && echo "autobahn-python $transport $serializer: FAILED killed after 60 s"
    echo "--- autobahn-python $transport $serializer: client log (last 20 lines) ---"
    tail -20 "$log"
  fi
done
exit $status
