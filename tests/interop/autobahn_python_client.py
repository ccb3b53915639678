#!/usr/bin/python3
"""Interop checks: Debian's autobahn-python (asyncio) against a running nexusd.

usage: autobahn_python_client.py URL SERIALIZER
  URL         rs://127.0.0.1:PORT (RawSocket over TCP) or ws://127.0.0.1:PORT/ws (WebSocket)
  SERIALIZER  json | msgpack | cbor, or one of them with ".batched" (WebSocket only; cbor needs cbor2: Debian's python3-cbor2)
Exits 0 when every check passed; otherwise prints which check failed and how.
"""
import asyncio
import sys

from autobahn.wamp import types
from autobahn.wamp.exception import ApplicationError

# Component: autobahn's, made able to join over asyncio RawSocket.
from autobahn_interop import Component, verdict

URL, SERIALIZER = sys.argv[1], sys.argv[2]
TRANSPORT = {"rs": "rawsocket", "ws": "websocket"}[URL.split("://")[0]]
LABEL = f"autobahn-python {TRANSPORT} {SERIALIZER}"
TIMEOUT = 5.0  # per step
failures = []
completed = []
step = ["start"]


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")


def shown(result):
    """A CallResult as its arguments."""
    return f"CallResult({result.results!r}, {result.kwresults!r})"


async def within(awaitable, what):
    """Waits at most TIMEOUT for one step and names it when it takes longer."""
    step[0] = what
    try:
        return await asyncio.wait_for(awaitable, TIMEOUT)
    except asyncio.TimeoutError:
        raise TimeoutError(f"timeout after {TIMEOUT:.0f} s: {what}") from None


class Checks:
    """The checks, run on one joined autobahn session (caller, callee, publisher and subscriber:
    events come back to it with exclude_me=False)."""

    def __init__(self, session):
        self.session = session

    async def run_checks(self, details):
        s = self.session
        me = details.session
        check("welcome", me > 0, f"session id {me}")
        if TRANSPORT == "websocket":
            # autobahn 22 leaves details.transport empty; its WebSocket protocol knows.
            agreed = getattr(self.session._transport, "websocket_protocol_in_use", None)
            check("subprotocol", agreed == f"wamp.2.{SERIALIZER}", repr(agreed))

        # RPC with args and kwargs. autobahn-python 22 has no disclose_me: disclosure is the
        # router's decision, here nexusd's role rule for com.interop.disclosed.* (python_realm.json).
        def add(a, b, scale=1, details=None):
            return types.CallResult((a + b) * scale, caller=details.caller)
        for uri in ("com.interop.add", "com.interop.disclosed.add"):
            await within(s.register(add, uri, options=types.RegisterOptions(details_arg="details")),
                         f"register {uri}")
        result = await within(s.call("com.interop.add", 2, 3, scale=10), "call com.interop.add")
        check("call result args", list(result.results) == [50], shown(result))
        check("caller not disclosed", result.kwresults.get("caller") is None, shown(result))
        result = await within(s.call("com.interop.disclosed.add", 1, 2), "call com.interop.disclosed.add")
        check("caller disclosure (role rule)", list(result.results) == [3] and result.kwresults.get("caller") == me,
              f"{shown(result)} (caller {me})")

        # Application errors carry URI, args and kwargs
        def fail():
            raise ApplicationError("com.interop.oops", "why", code=7)
        await within(s.register(fail, "com.interop.fail"), "register com.interop.fail")
        try:
            await within(s.call("com.interop.fail"), "call com.interop.fail")
            check("callee error", False, "no error raised")
        except ApplicationError as e:
            check("callee error uri", e.error == "com.interop.oops", e.error)
            check("callee error args", e.args == ("why",), repr(e.args))
            check("callee error kwargs", e.kwargs == {"code": 7}, repr(e.kwargs))
        try:
            await within(s.call("com.interop.nothing"), "call a procedure nobody registered")
            check("no_such_procedure", False, "no error raised")
        except ApplicationError as e:
            check("no_such_procedure", e.error == "wamp.error.no_such_procedure", e.error)

        # Progressive call results (autobahn-python's callee announces progressive_call_results
        # and call_canceling, so the router forwards receive_progress)
        async def countdown(n, details=None):
            if not details.progress:
                return "no receive_progress"
            for i in range(n, 0, -1):
                details.progress(i)
            return "liftoff"
        await within(s.register(countdown, "com.interop.countdown",
                                options=types.RegisterOptions(details_arg="details")),
                     "register com.interop.countdown")
        progress = []
        final = await within(s.call("com.interop.countdown", 3,
                                    options=types.CallOptions(on_progress=lambda i: progress.append(i))),
                             "call com.interop.countdown (progressive)")
        check("progressive results", progress == [3, 2, 1], f"progress {progress!r}")
        check("final result after progress", final == "liftoff", repr(final))

        # Pattern registration
        def any_of(details=None):
            return details.procedure
        await within(s.register(any_of, "com.interop.prefix",
                                options=types.RegisterOptions(match="prefix", details_arg="details")),
                     "register prefix")
        deep = await within(s.call("com.interop.prefix.deep.name"), "call prefix")
        check("prefix registration", deep == "com.interop.prefix.deep.name", repr(deep))

        # Binary payloads (JSON carries them as "\0" + base64)
        blob = bytes(range(256))
        await within(s.register(lambda b: b, "com.interop.echo"), "register com.interop.echo")
        echoed = await within(s.call("com.interop.echo", blob), "call com.interop.echo (binary)")
        check("binary", echoed == blob, repr(echoed)[:80])

        # Pub/sub: acknowledge, exclude_me=False, publisher disclosure (role rule, as for calls)
        loop = asyncio.get_running_loop()
        received = loop.create_future()
        disclosed = loop.create_future()
        marker = loop.create_future()
        late = []

        def on_event(*args, details=None, **kwargs):
            if not received.done():
                received.set_result((args, kwargs, details))
            else:
                late.append(args)

        def on_disclosed(*args, details=None, **kwargs):
            if not disclosed.done():
                disclosed.set_result(details)
        sub = await within(s.subscribe(on_event, "com.interop.topic",
                                       options=types.SubscribeOptions(details_arg="details")), "subscribe")
        await within(s.subscribe(on_disclosed, "com.interop.disclosed.topic",
                                 options=types.SubscribeOptions(details_arg="details")), "subscribe disclosed")
        await within(s.subscribe(lambda *a: marker.done() or marker.set_result(a), "com.interop.marker"),
                     "subscribe marker")
        pub = await within(s.publish("com.interop.topic", 1, "two", k=True,
                                     options=types.PublishOptions(acknowledge=True, exclude_me=False)),
                           "publish (acknowledge, exclude_me=False)")
        check("published (acknowledge)", pub.id > 0, repr(pub))
        args, kwargs, event = await within(received, "event")
        check("event payload", args == (1, "two") and kwargs == {"k": True}, repr((args, kwargs)))
        check("event publication id", event.publication == pub.id, f"{event.publication} != {pub.id}")
        check("publisher not disclosed", event.publisher is None, f"publisher {event.publisher!r}")
        await within(s.publish("com.interop.disclosed.topic", "hi",
                               options=types.PublishOptions(acknowledge=True, exclude_me=False)),
                     "publish com.interop.disclosed.topic")
        event = await within(disclosed, "disclosed event")
        check("publisher disclosure (role rule)", event.publisher == me,
              f"publisher {event.publisher!r}, expected {me}")

        # Unsubscribe: nothing more for that subscription (a marker published after proves the
        # publication went out; an EVENT for the old subscription would arrive before it)
        await within(sub.unsubscribe(), "unsubscribe")
        check("unsubscribed", not sub.active, repr(sub))
        await within(s.publish("com.interop.topic", "after unsubscribe",
                               options=types.PublishOptions(acknowledge=True, exclude_me=False)),
                     "publish after unsubscribe")
        await within(s.publish("com.interop.marker", "m",
                               options=types.PublishOptions(acknowledge=True, exclude_me=False)),
                     "publish marker")
        await within(marker, "marker event")
        check("no event after unsubscribe", not late, repr(late))

        # Unregister: the procedure is gone
        reg = await within(s.register(lambda: "soon gone", "com.interop.gone"), "register com.interop.gone")
        check("before unregister", await within(s.call("com.interop.gone"), "call com.interop.gone") == "soon gone")
        await within(reg.unregister(), "unregister")
        try:
            await within(s.call("com.interop.gone"), "call after unregister")
            check("call after unregister", False, "no error raised")
        except ApplicationError as e:
            check("call after unregister", e.error == "wamp.error.no_such_procedure", e.error)

        # Meta API
        count = await within(s.call("wamp.session.count"), "call wamp.session.count")
        check("wamp.session.count", count >= 1, repr(count))
        step[0] = "leave"


def main():
    # Component's configuration check knows only the plain serializer names, while its
    # transport factory (create_transport_serializer) also takes "<name>.batched":
    # batched WebSocket is configured past the check.
    plain, _, batched = SERIALIZER.partition(".")
    if TRANSPORT == "websocket":
        transport = {"type": "websocket", "url": URL, "serializers": [plain], "max_retries": 0}
    else:
        host, port = URL.split("://")[1].rsplit(":", 1)
        transport = {"type": "rawsocket", "endpoint": {"type": "tcp", "host": host, "port": int(port)},
                     "serializer": SERIALIZER, "max_retries": 0}
    component = Component(transports=[transport], realm="realm1")
    if batched:
        component._transports[0].serializers = [SERIALIZER]

    @component.on_join
    async def joined(session, details):
        try:
            await Checks(session).run_checks(details)
            completed.append(True)
        except Exception as e:  # report, never hang
            failures.append(f"at \"{step[0]}\": {type(e).__name__}: {e}")
        await session.leave()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(component.start(loop=loop), TIMEOUT * 8))
    except Exception as e:
        # The Component reports the closed transport after a normal leave as a
        # failure when it may not reconnect; only an unfinished run counts.
        if not completed:
            failures.append(f"session: {type(e).__name__}: {e}")
    if not completed:
        failures.append(f"the checks did not run to the end (no session, or it ended early; last step: {step[0]})")
    return verdict(LABEL, failures)


sys.exit(main())
