#!/usr/bin/env bash
# Starts nexusd with TLS on both listeners (a self-signed certificate made
# here with the openssl tool) and a cryptosign principal, and runs
# autobahn_python_cryptosign_tls.py over wss:// and rss://: cryptosign with
# tls-unique channel binding against Debian's python3-autobahn.
#   run_python_tls_interop.sh NEXUSD
set -uo pipefail
nexusd=${1:?usage: run_python_tls_interop.sh NEXUSD}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/nexusd_helpers.sh"
python=/usr/bin/python3
if ! command -v openssl >/dev/null; then
  echo "autobahn-python TLS: FAILED no openssl tool: install Debian's openssl (make deps)"
  exit 1
fi
work=$(mktemp -d)
trap 'nexusd_stop; rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/openssl.log" || {
  echo "autobahn-python TLS: FAILED cannot make a test certificate:"; cat "$work/openssl.log"; exit 1; }
# A throwaway test key (never a real secret).
seed=9b1c4a7e0d5f2c8a3e6b1d4f7a0c3e5b8d1f4a7c0e3b6d9f2a5c8e1b4d7f0a3c
pubkey=$("$python" -c "import nacl.signing,sys; print(nacl.signing.SigningKey(bytes.fromhex(sys.argv[1])).verify_key.encode().hex())" "$seed") || {
  echo "autobahn-python TLS: FAILED python3-nacl is missing (make deps)"; exit 1; }
cat >"$work/nexus.json" <<JSON
{
  "websocket": {"address": "127.0.0.1:0", "cert_file": "$work/cert.pem", "key_file": "$work/key.pem"},
  "rawsocket": {"tcp_address": "127.0.0.1:0", "cert_file": "$work/cert.pem", "key_file": "$work/key.pem"},
  "router": {"realms": [{
    "uri": "realm1", "anonymous_auth": false,
    "principals": [{"authid": "alice", "authrole": "user", "cryptosign": ["$pubkey"]}],
    "roles": [{"name": "user", "permissions": [
      {"uri": "", "match": "prefix", "allow": {"call": true, "subscribe": true}}]}]
  }]}
}
JSON
nexusd_start "$work/nexusd.log" --config "$work/nexus.json" --threads 2 --log-level info
ws_port=$(nexusd_port "$work/nexusd.log" WebSocket "autobahn-python TLS") || exit 1
rs_port=$(nexusd_port "$work/nexusd.log" RawSocket "autobahn-python TLS") || exit 1
status=0
for url in "wss://127.0.0.1:$ws_port/ws" "rss://127.0.0.1:$rs_port"; do
  timeout 60 "$python" "$here/autobahn_python_cryptosign_tls.py" "$url" "$work/cert.pem" "$seed" \
    2>"$work/client.log" || {
    status=1
    echo "--- client log for $url (last 20 lines) ---"
    tail -20 "$work/client.log"
  }
done
if [[ $status != 0 ]]; then
  echo "--- nexusd log (last 20 lines) ---"
  tail -20 "$work/nexusd.log"
fi
exit $status
