#!/usr/bin/python3
"""Interop checks: Debian's autobahn-python (asyncio) against a running nexusd.

usage: autobahn_python_client.py URL SERIALIZER   (e.g. rs://127.0.0.1:8081 json)
Exits 0 when every check passed; otherwise prints which check failed and how.
"""
import asyncio
import sys

from autobahn.asyncio import rawsocket as _rawsocket
from autobahn.asyncio.component import Component

# Debian's autobahn 22.7.1 asyncio RawSocket protocol lacks the
# `transport_details` property that its session code reads on join (the
# Twisted one has it); supply it so that the client can join at all.
for _cls in (_rawsocket.WampRawSocketClientProtocol, _rawsocket.WampRawSocketServerProtocol):
    if not hasattr(_cls, "transport_details"):
        _cls.transport_details = property(lambda self: self._transport_details)
from autobahn.wamp import types
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer

URL, SERIALIZER = sys.argv[1], sys.argv[2]
TIMEOUT = 5.0
failures = []
completed = []


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")


class Checks:
    """The checks, run on one joined autobahn session."""

    def __init__(self, session):
        self.session = session

    def __getattr__(self, name):  # register/call/subscribe/publish of the session
        return getattr(self.session, name)

    async def run_checks(self, details):
        check("welcome", details.session > 0, f"session id {details.session}")

        # RPC with args and kwargs
        def add(a, b, scale=1):
            return (a + b) * scale
        await self.register(add, "com.interop.add")
        result = await self.call("com.interop.add", 2, 3, scale=10)
        check("call result", result == 50, repr(result))

        # Application errors carry URI, args and kwargs
        def fail():
            raise ApplicationError("com.interop.oops", "why", code=7)
        await self.register(fail, "com.interop.fail")
        try:
            await self.call("com.interop.fail")
            check("error", False, "no error raised")
        except ApplicationError as e:
            check("error uri", e.error == "com.interop.oops", e.error)
            check("error args", e.args == ("why",), repr(e.args))
            check("error kwargs", e.kwargs == {"code": 7}, repr(e.kwargs))

        try:
            await self.call("com.interop.nothing")
            check("no_such_procedure", False, "no error raised")
        except ApplicationError as e:
            check("no_such_procedure", e.error == "wamp.error.no_such_procedure", e.error)

        # Pattern registration
        def any_of(details=None):
            return details.procedure
        await self.register(any_of, "com.interop.prefix",
                            options=types.RegisterOptions(match="prefix", details_arg="details"))
        check("prefix registration",
              await self.call("com.interop.prefix.deep.name") == "com.interop.prefix.deep.name")

        # Binary payloads
        blob = bytes(range(256))
        await self.register(lambda b: b, "com.interop.echo")
        check("binary", await self.call("com.interop.echo", blob) == blob)

        # Pub/sub with acknowledge and exclude_me=False
        received = asyncio.get_event_loop().create_future()

        def on_event(*args, **kwargs):
            if not received.done():
                received.set_result((args, kwargs))
        await self.subscribe(on_event, "com.interop.topic")
        pub = await self.publish("com.interop.topic", 1, "two", k=True,
                                 options=types.PublishOptions(acknowledge=True, exclude_me=False))
        check("published", pub.id > 0, repr(pub))
        args, kwargs = await asyncio.wait_for(received, TIMEOUT)
        check("event payload", args == (1, "two") and kwargs == {"k": True}, repr((args, kwargs)))

        # Meta API
        count = await self.call("wamp.session.count")
        check("wamp.session.count", count >= 1, repr(count))



def main():
    host, port = URL.split("://")[1].rsplit(":", 1)
    component = Component(
        transports=[{"type": "rawsocket", "endpoint": {"type": "tcp", "host": host, "port": int(port)},
                     "serializer": SERIALIZER, "max_retries": 0}],
        realm="realm1")

    @component.on_join
    async def joined(session, details):
        try:
            await asyncio.wait_for(Checks(session).run_checks(details), TIMEOUT * 4)
            completed.append(True)
        except Exception as e:  # report, never hang
            failures.append(f"unexpected {type(e).__name__}: {e}")
        await session.leave()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(component.start(loop=loop), TIMEOUT * 6))
    except Exception as e:
        # The Component reports the closed transport after a normal leave as a
        # failure when it may not reconnect; only an unfinished run counts.
        if not completed:
            failures.append(f"session: {type(e).__name__}: {e}")
    if not completed:
        failures.append("the checks did not run to the end (no session, or it ended early)")
    if failures:
        for f in failures:
            print(f"autobahn-python rawsocket {SERIALIZER}: FAILED {f}")
        return 1
    print(f"autobahn-python rawsocket {SERIALIZER}: all checks passed")
    return 0


sys.exit(main())
