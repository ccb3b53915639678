#!/usr/bin/env bash
# Starts nexusd with TLS on both listeners asking for client certificates
# (WebSocket: request, RawSocket: require) signed by a CA made here with the
# openssl tool, and runs autobahn_python_tls_auth.py over wss:// and rss://:
# authmethod "tls" against Debian's python3-autobahn.
#   run_python_tls_auth_interop.sh NEXUSD
set -uo pipefail
nexusd=${1:?usage: run_python_tls_auth_interop.sh NEXUSD}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
label="autobahn-python TLS client certificates"
if ! command -v openssl >/dev/null; then
  echo "$label: FAILED no openssl tool: install Debian's openssl (make deps)"
  exit 1
fi
source "$here/nexusd_helpers.sh"
work=$(mktemp -d)
trap 'nexusd_stop; rm -rf "$work"' EXIT
make_certificates() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  # The router's own certificate, which the client trusts as is.
  openssl req -x509 "${ec[@]}" -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$work/server.key" -out "$work/server.pem" || return 1
  # Two client CAs: the router trusts "clients" only.
  for ca in clients other; do
    openssl req -x509 "${ec[@]}" -days 1 -subj "/O=nexus interop/CN=$ca CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
      -keyout "$work/$ca-ca.key" -out "$work/$ca-ca.pem" || return 1
  done
  printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$work/client.ext"
  local name cn ca
  for spec in alice:alice:clients bob:bob:clients mallory:alice:other; do
    IFS=: read -r name cn ca <<<"$spec"
    openssl req -new "${ec[@]}" -subj "/O=nexus interop/CN=$cn" \
      -keyout "$work/$name.key" -out "$work/$name.csr" || return 1
    openssl x509 -req -in "$work/$name.csr" -CA "$work/$ca-ca.pem" -CAkey "$work/$ca-ca.key" \
      -CAcreateserial -days 1 -extfile "$work/client.ext" -out "$work/$name.pem" || return 1
  done
}
make_certificates 2>"$work/openssl.log" >&2 || {
  echo "$label: FAILED cannot make the test certificates:"; cat "$work/openssl.log"; exit 1; }
# As the openssl tool prints it ("sha256 Fingerprint=AB:CD:..."), the form an operator copies.
bob_sha256=$(openssl x509 -in "$work/bob.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
tls="\"cert_file\": \"$work/server.pem\", \"key_file\": \"$work/server.key\", \"client_ca_file\": \"$work/clients-ca.pem\""
cat >"$work/nexus.json" <<JSON
{
  "websocket": {"address": "127.0.0.1:0", $tls, "client_certificates": "request"},
  "rawsocket": {"tcp_address": "127.0.0.1:0", $tls, "client_certificates": "require"},
  "router": {"realms": [
    {"uri": "devices", "anonymous_auth": false, "tls_authrole": "device"},
    {"uri": "table", "anonymous_auth": false,
     "principals": [{"authid": "backend", "authrole": "backend", "tls": [{"sha256": "$bob_sha256"}]}]}
  ]}
}
JSON
nexusd_start "$work/nexusd.log" --config "$work/nexus.json" --threads 2 --log-level info
ws_port=$(nexusd_port "$work/nexusd.log" WebSocket "$label") || exit 1
rs_port=$(nexusd_port "$work/nexusd.log" RawSocket "$label") || exit 1
status=0
for run in "wss://127.0.0.1:$ws_port/ws request" "rss://127.0.0.1:$rs_port require"; do
  read -r url mode <<<"$run"
  timeout 120 "$python" "$here/autobahn_python_tls_auth.py" "$url" "$work/server.pem" "$work" \
    "$mode" 2>"$work/client.log" || {
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
