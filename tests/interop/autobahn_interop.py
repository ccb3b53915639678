"""Shared by the autobahn-python interop checks (autobahn_python_*.py): Debian's autobahn-python
made able to join over asyncio RawSocket (import Component from here), the outcome of one
authenticated join, and the verdict."""
import asyncio

from autobahn.asyncio import rawsocket as _rawsocket
from autobahn.asyncio.component import Component

# Debian's autobahn 22.7.1 asyncio RawSocket protocol lacks the
# `transport_details` property that its session code reads on join (the
# Twisted one has it); supply it so that the client can join at all.
for _cls in (_rawsocket.WampRawSocketClientProtocol, _rawsocket.WampRawSocketServerProtocol):
    if not hasattr(_cls, "transport_details"):
        _cls.transport_details = property(lambda self: self._transport_details)


def join_outcome(transport, authentication, timeout):
    """Joins realm1 over `transport` with `authentication` (an autobahn Component's settings) and
    leaves again: ("joined", authmethod, authid), ("left", reason) when the router refuses, or
    ("error", what)."""
    component = Component(transports=[transport], realm="realm1", authentication=authentication)
    outcome = []

    @component.on_join
    async def joined(session, details):
        outcome.append(("joined", details.authmethod, details.authid))
        await session.leave()

    @component.on_leave
    def left(session, details):
        if not outcome:
            outcome.append(("left", details.reason))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(component.start(loop=loop), timeout))
    except Exception as e:
        if not outcome:
            outcome.append(("error", f"{type(e).__name__}: {e}"))
    finally:
        loop.close()
    return outcome[0] if outcome else ("error", "no outcome")


def verdict(label, failures):
    """Prints each failed check under `label`, or that all passed; the exit status."""
    for f in failures:
        print(f"{label}: FAILED {f}")
    if not failures:
        print(f"{label}: all checks passed")
    return 1 if failures else 0
