#!/usr/bin/env bash
# Starts nexusd on a free loopback port and runs the autobahn-python checks
# over RawSocket with each serializer Debian's autobahn supports (its CBOR
# serializer needs cbor2, which Debian 12 does not package).
set -uo pipefail
nexusd=${1:?usage: run_python_interop.sh NEXUSD}
here=$(cd "$(dirname "$0")" && pwd)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$nexusd" --rawsocket "127.0.0.1:$port" --threads 2 --log-level warning &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 50); do
  /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break
  sleep 0.1
done
log=$(mktemp)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
status=0
for serializer in json msgpack; do
  # The client's own log goes to stderr; its verdict lines to stdout.
  if ! timeout 60 /usr/bin/python3 "$here/autobahn_python_client.py" \
       "rs://127.0.0.1:$port" "$serializer" 2>"$log"; then
    status=1
    echo "--- autobahn-python log ($serializer) ---"
    tail -20 "$log"
  fi
done
exit $status
