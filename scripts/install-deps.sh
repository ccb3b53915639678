#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing nexus need, and
# nothing else. Idempotent: packages already present are skipped, and apt is
# not touched at all when nothing is missing. Runs as root or through sudo.
set -euo pipefail

packages=(
  # toolchain
  cmake ninja-build g++ make pkg-config ccache
  lld                               # links the ~100 test programs 3x faster than ld.bfd
  clang libclang-rt-14-dev          # fuzzers (libFuzzer) and sanitizer runtimes
  # libraries
  libboost1.81-dev libboost-json1.81-dev   # Beast/Asio/JSON 1.81
  libmsgpuck-dev                    # MessagePack (see docs/ARCHITECTURE.md: why not msgpack-cxx)
  libssl-dev                        # OpenSSL 3: authentication (HMAC, PBKDF2, Ed25519), TLS
  libsystemd-dev                    # nexusd's sd_notify (systemd Type=notify)
  libnats-dev                       # NATS C client: the cluster bus (src/cluster)
  libargon2-dev libidn-dev          # WAMP-SCRAM: Argon2id, SASLprep (stringprep)
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3-autobahn python3-msgpack python3-cbor2  # interop peer (tests/interop; cbor2: its CBOR)
  python3-nacl openssl              # its cryptosign keys; the TLS interop's test certificate
  python3-argon2                    # autobahn-python's WAMP-SCRAM (AuthScram needs argon2-cffi)
  python3-prometheus-client         # parses nexusd's /metrics in tests/interop/check_metrics.py
  chromium                          # the dashboard's browser test (headless, via puppeteer-core)
  nats-server                       # cluster tests start their own (loopback, free port)
)

# The JavaScript interop peers need Node.js and npm; take Debian's only when
# the machine has none (a newer Node.js installed otherwise is kept).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: missing ${missing[*]} and not root (no sudo available)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

