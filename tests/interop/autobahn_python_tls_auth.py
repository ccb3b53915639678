#!/usr/bin/python3
"""Interop check: Debian's autobahn-python (asyncio) authenticates with its TLS client certificate
(authmethod "tls") over secure WebSocket and secure RawSocket against a running nexusd.

usage: autobahn_python_tls_auth.py URL SERVER_CERT CERT_DIR MODE
  URL          wss://127.0.0.1:PORT/ws or rss://127.0.0.1:PORT
  SERVER_CERT  the router's (self-signed) certificate, to trust
  CERT_DIR     alice.pem/alice.key and bob.pem/bob.key signed by the router's client CA;
               mallory.pem/mallory.key (CN=alice) signed by another CA
  MODE         request or require: the listener's client_certificates
Checks: alice joins realm "devices" as authid "alice" (her certificate's CN) with authmethod
"tls", also when HELLO claims authid "root"; bob joins realm "table" as "backend" (a principal
pinned to his certificate's fingerprint); alice is refused there (not in the table); mallory's
handshake fails; without a certificate the handshake fails (require) or the router answers
wamp.error.no_auth_method (request). Exits 0 when all hold.
"""
import asyncio
import os
import ssl
import sys

from autobahn.asyncio import rawsocket as _rawsocket
from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession

# Debian's autobahn 22.7.1 asyncio RawSocket protocol lacks `transport_details` (see
# autobahn_python_client.py).
for _cls in (_rawsocket.WampRawSocketClientProtocol, _rawsocket.WampRawSocketServerProtocol):
    if not hasattr(_cls, "transport_details"):
        _cls.transport_details = property(lambda self: self._transport_details)

URL, SERVER_CERT, CERT_DIR, MODE = sys.argv[1:5]
SCHEME = URL.split("://")[0]
LABEL = f"autobahn-python tls client certificate over {SCHEME} ({MODE})"
TIMEOUT = 10.0


def attempt(realm, client=None, authid=None):
    """Joins `realm` with authmethods ["tls"], presenting `client`'s certificate (none when None).
    Returns ("joined", authid, authrole, authmethod), ("left", reason) or ("error", what)."""
    context = ssl.create_default_context(cafile=SERVER_CERT)
    if client:
        context.load_cert_chain(os.path.join(CERT_DIR, client + ".pem"),
                                os.path.join(CERT_DIR, client + ".key"))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    outcome = loop.create_future()
    joined = []

    class Session(ApplicationSession):
        def onConnect(self):
            self.join(self.config.realm, authmethods=["tls"], authid=authid)

        def onJoin(self, details):
            # Told once the GOODBYE exchange is over, so that nothing is left running.
            joined.append(("joined", details.authid, details.authrole, details.authmethod))
            self.leave()

        def onLeave(self, details):
            if not outcome.done():
                outcome.set_result(joined[0] if joined else ("left", details.reason))
            self.disconnect()

        def onDisconnect(self):
            if not outcome.done():
                outcome.set_result(("error", "disconnected before WELCOME or ABORT"))

    async def run():
        runner = ApplicationRunner(URL, realm, ssl=context)
        transport, protocol = await runner.run(Session, start_loop=False)
        # A refused certificate ends the connection after the client's side of the TLS 1.3
        # handshake, possibly before a WAMP session exists to be told.
        lost = protocol.connection_lost

        def connection_lost(exc):
            if not outcome.done():
                outcome.set_result(("error", f"connection lost: {exc}"))
            return lost(exc)

        protocol.connection_lost = connection_lost
        try:
            return await asyncio.wait_for(outcome, TIMEOUT)
        finally:
            transport.close()

    try:
        return loop.run_until_complete(run())
    except Exception as e:
        return ("error", f"{type(e).__name__}: {e}")
    finally:
        loop.close()


def main():
    failures = []

    def expect(what, got, wanted):
        if got != wanted:
            failures.append(f"{what}: expected {wanted}, got {got}")

    alice = ("joined", "alice", "device", "tls")
    expect("alice by CN", attempt("devices", "alice"), alice)
    expect("alice claiming authid root", attempt("devices", "alice", authid="root"), alice)
    expect("bob by fingerprint", attempt("table", "bob"), ("joined", "backend", "backend", "tls"))
    expect("alice on the table realm", attempt("table", "alice"),
           ("left", "wamp.error.authentication_failed"))
    mallory = attempt("devices", "mallory")
    if mallory[0] != "error":
        failures.append(f"mallory (another CA): expected the TLS handshake to fail, got {mallory}")
    nobody = attempt("devices")
    if MODE == "require":
        if nobody[0] != "error":
            failures.append(f"no certificate: expected the TLS handshake to fail, got {nobody}")
    else:
        expect("no certificate", nobody, ("left", "wamp.error.no_auth_method"))
    for f in failures:
        print(f"{LABEL}: FAILED {f}")
    if not failures:
        print(f"{LABEL}: all checks passed")
    return 1 if failures else 0


sys.exit(main())
