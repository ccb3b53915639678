#!/usr/bin/env bash
# Starts nexusd on free loopback ports and runs the autobahn-python (Debian
# python3-autobahn, asyncio) checks over one transport with JSON, MessagePack
# and CBOR (autobahn's CBOR serializer needs cbor2: Debian's python3-cbor2,
# installed by scripts/install-deps.sh), over WebSocket also batched.
#   run_python_interop.sh NEXUSD rawsocket    RawSocket over TCP
#   run_python_interop.sh NEXUSD websocket    WebSocket (ws://127.0.0.1:PORT/ws)
# nexusd runs python_realm.json: realm1, anonymous, with a role rule that
# discloses callers and publishers on com.interop.disclosed.* (autobahn-python
# 22 cannot ask for disclosure itself).
set -uo pipefail
nexusd=${1:?usage: run_python_interop.sh NEXUSD rawsocket|websocket}
transport=${2:-rawsocket}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/nexusd_helpers.sh"
python=/usr/bin/python3
case "$transport" in
  rawsocket) name=RawSocket ;;
  websocket) name=WebSocket ;;
  *) echo "run_python_interop: unknown transport $transport (rawsocket | websocket)" >&2; exit 2 ;;
esac
log=$(mktemp)
nexus_log=$(mktemp)
trap 'nexusd_stop; rm -f "$log" "$nexus_log"' EXIT
nexusd_start "$nexus_log" --config "$here/python_realm.json" --websocket 127.0.0.1:0 \
  --rawsocket 127.0.0.1:0 --threads 2 --log-level info
port=$(nexusd_port "$nexus_log" "$name" "autobahn-python $transport") || exit 1
if [[ $transport == rawsocket ]]; then url="rs://127.0.0.1:$port"; else url="ws://127.0.0.1:$port/ws"; fi
status=0
serializers="json msgpack cbor"
# WebSocket also in batched mode (wamp.2.*.batched: several messages per WebSocket message).
[[ $transport == websocket ]] && serializers+=" json.batched msgpack.batched cbor.batched"
for serializer in $serializers; do
  if [[ $serializer == cbor* ]] && ! "$python" -c 'import cbor2' 2>/dev/null; then
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
if [[ $status != 0 ]]; then
  echo "--- nexusd log (last 20 lines) ---"
  tail -20 "$nexus_log"
fi
exit $status
