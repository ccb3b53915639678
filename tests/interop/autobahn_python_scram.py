#!/usr/bin/python3
"""Interop check: WAMP-SCRAM against a running nexusd, from two implementations that are not ours.

usage: autobahn_python_scram.py WS_URL RS_PORT
  WS_URL   ws://127.0.0.1:PORT/ws
  RS_PORT  nexusd's RawSocket TCP port on 127.0.0.1

1. Debian's autobahn-python (22.7, asyncio) with its AuthScram (authmethod "scram", Argon2id; the
   draft it implements, see docs/CONFIGURATION.md "WAMP-SCRAM"), over WebSocket and RawSocket: alice joins with
   her password (autobahn checks the router's signature before it joins), a wrong password and an
   unknown authid are refused with wamp.error.authentication_failed.
2. authmethod "wamp-scram" exactly as advanced/authentication_scram.md writes it, implemented here
   over RawSocket/JSON with hashlib, argon2-cffi and passlib's SASLprep: bob (PBKDF2) and carol
   (Argon2id; her password has a NO-BREAK SPACE that SASLprep maps to a space) join and check the
   router's verifier; a wrong password is refused.
The credentials in nexusd's config were made by nexus-scram (run_python_scram_interop.sh).
Exits 0 when every check holds.
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys

from autobahn_interop import join_outcome, verdict

WS_URL, RS_PORT = sys.argv[1], int(sys.argv[2])
LABEL = "WAMP-SCRAM interop"
TIMEOUT = 20.0
PASSWORDS = {"alice": "alice-password", "bob": "bob-password", "carol": "carol\u00a0pass"}


def autobahn_attempt(transport_kind, authid, password):
    """Joins realm1 with autobahn's AuthScram; ("joined", authmethod, authid) or ("left", reason)."""
    if transport_kind == "websocket":
        transport = {"type": "websocket", "url": WS_URL, "max_retries": 0}
    else:
        transport = {"type": "rawsocket", "serializer": "json", "max_retries": 0,
                     "endpoint": {"type": "tcp", "host": "127.0.0.1", "port": RS_PORT}}
    return join_outcome(transport, {"scram": {"authid": authid, "password": password}}, TIMEOUT)


# --- the spec's wamp-scram, written from advanced/authentication_scram.md ---------------------

class RawSocketJson:
    """A WAMP RawSocket (advanced/transport_rawsocket.md) connection with the JSON serializer."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        # 0x7F, max length 2^24 (0xF), serializer 1 (JSON), two reserved octets.
        self.sock.sendall(bytes([0x7F, 0xF1, 0, 0]))
        reply = self._exactly(4)
        if reply[0] != 0x7F or reply[1] & 0x0F != 1:
            raise RuntimeError(f"RawSocket handshake refused: {reply.hex()}")

    def _exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("the router closed the connection")
            data += chunk
        return data

    def send(self, message):
        payload = json.dumps(message).encode()
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)

    def receive(self):
        while True:
            header = self._exactly(4)
            length = struct.unpack(">I", bytes([0]) + header[1:])[0]
            payload = self._exactly(length)
            if header[0] & 0x07 == 0:  # a WAMP message (not a ping/pong)
                return json.loads(payload)

    def close(self):
        self.sock.close()


def salted_password(kdf, password, salt, iterations, memory):
    from argon2.low_level import Type, hash_secret_raw
    from passlib.utils import saslprep
    secret = saslprep(password).encode()
    if kdf == "pbkdf2":
        return hashlib.pbkdf2_hmac("sha256", secret, base64.b64decode(salt), iterations, 32)
    if kdf == "argon2id13":
        return hash_secret_raw(secret, base64.b64decode(salt), time_cost=iterations,
                               memory_cost=memory, parallelism=1, hash_len=32, type=Type.ID,
                               version=19)
    raise RuntimeError(f"unknown kdf {kdf!r}")


def spec_attempt(authid, password):
    """HELLO/CHALLENGE/AUTHENTICATE/WELCOME by the spec text; ("joined", kdf) or ("aborted", reason)."""
    conn = RawSocketJson(RS_PORT)
    try:
        client_nonce = base64.b64encode(os.urandom(16)).decode()
        conn.send([1, "realm1", {"roles": {"caller": {}}, "authmethods": ["wamp-scram"],
                                 "authid": authid,
                                 "authextra": {"nonce": client_nonce, "channel_binding": None}}])
        msg = conn.receive()
        if msg[0] == 3:
            return ("aborted", msg[2])
        if msg[0] != 4 or msg[1] != "wamp-scram":
            return ("error", f"expected CHALLENGE wamp-scram, got {msg!r}")
        extra = msg[2]
        nonce, salt, kdf, iterations = extra["nonce"], extra["salt"], extra["kdf"], extra["iterations"]
        if not nonce.startswith(client_nonce) or len(nonce) <= len(client_nonce):
            return ("error", "the CHALLENGE's nonce does not extend the client's")
        salted = salted_password(kdf, password, salt, iterations, extra.get("memory"))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        name = authid.replace("=", "=3D").replace(",", "=2C")  # Escape()
        cbind_input = b"n,,"
        auth_message = (f"n={name},r={client_nonce},"
                        f"r={nonce},s={salt},i={iterations},"
                        f"c={base64.b64encode(cbind_input).decode()},r={nonce}").encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        conn.send([5, base64.b64encode(proof).decode(),
                   {"nonce": nonce, "channel_binding": None, "cbind_data": None}])
        msg = conn.receive()
        if msg[0] == 3:
            return ("aborted", msg[2])
        if msg[0] != 2:
            return ("error", f"expected WELCOME, got {msg!r}")
        details = msg[2]
        verifier = details.get("authextra", {}).get("verifier", "")
        expected = base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
        if verifier not in ("v=" + expected, expected):
            return ("error", f"the router's verifier {verifier!r} is not {expected!r}")
        if details.get("authmethod") != "wamp-scram" or details.get("authid") != authid:
            return ("error", f"WELCOME names {details.get('authmethod')}/{details.get('authid')}")
        conn.send([6, {}, "wamp.close.close_realm"])
        return ("joined", kdf)
    finally:
        conn.close()


def main():
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append(f"{what}: expected {want}, got {got}")

    for kind in ("websocket", "rawsocket"):
        expect(f"autobahn scram over {kind}, alice",
               autobahn_attempt(kind, "alice", PASSWORDS["alice"]), ("joined", "scram", "alice"))
        expect(f"autobahn scram over {kind}, wrong password",
               autobahn_attempt(kind, "alice", "not-her-password"),
               ("left", "wamp.error.authentication_failed"))
        expect(f"autobahn scram over {kind}, unknown authid",
               autobahn_attempt(kind, "mallory", PASSWORDS["alice"]),
               ("left", "wamp.error.authentication_failed"))
    expect("spec wamp-scram, bob (pbkdf2)", spec_attempt("bob", PASSWORDS["bob"]),
           ("joined", "pbkdf2"))
    expect("spec wamp-scram, carol (argon2id13, SASLprep)",
           spec_attempt("carol", PASSWORDS["carol"]), ("joined", "argon2id13"))
    expect("spec wamp-scram, carol's password without SASLprep's mapping",
           spec_attempt("carol", "carol pass"), ("joined", "argon2id13"))
    expect("spec wamp-scram, bob with a wrong password", spec_attempt("bob", "bob-passw0rd"),
           ("aborted", "wamp.error.authentication_failed"))
    return verdict(LABEL, failures)


sys.exit(main())
