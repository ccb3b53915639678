#!/usr/bin/python3
"""Interop check: Debian's autobahn-python (asyncio) authenticates with cryptosign bound to the TLS
channel ("tls-unique": SHA-256 of the client's TLS Finished, XORed into the signed challenge) over
secure WebSocket and secure RawSocket against a running nexusd.

usage: autobahn_python_cryptosign_tls.py URL CA_FILE SEED_HEX
  URL       wss://127.0.0.1:PORT/ws or rss://127.0.0.1:PORT
  CA_FILE   the router's (self-signed) certificate
  SEED_HEX  alice's Ed25519 private key, 64 hex characters
Checks: a bound signature joins as alice; a signature of the bare challenge (what a relaying man in
the middle would get from its own unbound connection) is refused with
wamp.error.authentication_failed. Exits 0 when both hold.
"""
import ssl
import sys

from autobahn.wamp import auth

from autobahn_interop import join_outcome, verdict

URL, CA_FILE, SEED = sys.argv[1], sys.argv[2], sys.argv[3]
SCHEME = URL.split("://")[0]
LABEL = f"autobahn-python cryptosign tls-unique over {SCHEME}"
TIMEOUT = 10.0


def attempt(bound):
    """Joins realm1 as alice; returns ("joined", authmethod) or ("left", reason)."""
    host, rest = URL.split("://")[1].split(":", 1)
    port = int(rest.split("/")[0])
    context = ssl.create_default_context(cafile=CA_FILE)
    endpoint = {"type": "tcp", "host": host, "port": port, "tls": context}
    if SCHEME == "wss":
        transport = {"type": "websocket", "url": URL, "endpoint": endpoint, "max_retries": 0}
    else:
        transport = {"type": "rawsocket", "endpoint": endpoint, "serializer": "json", "max_retries": 0}
    authentication = {"cryptosign": {"authid": "alice", "privkey": SEED,
                                     "authextra": {"channel_binding": "tls-unique"}}}
    original = auth.AuthCryptoSign.on_challenge
    if not bound:
        # Signs the bare challenge although the binding was requested.
        auth.AuthCryptoSign.on_challenge = lambda self, session, challenge: \
            self._privkey.sign_challenge(challenge)
    try:
        return join_outcome(transport, authentication, TIMEOUT)
    finally:
        auth.AuthCryptoSign.on_challenge = original


def main():
    failures = []
    good = attempt(bound=True)
    if good != ("joined", "cryptosign", "alice"):
        failures.append(f"bound signature: expected to join as alice by cryptosign, got {good}")
    bad = attempt(bound=False)
    if bad != ("left", "wamp.error.authentication_failed"):
        failures.append(f"unbound signature: expected wamp.error.authentication_failed, got {bad}")
    return verdict(LABEL, failures)


sys.exit(main())
