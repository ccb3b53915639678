// How many frames a connection hands to the router per turn of the event
// loop, for the transports that frame their own messages (RawSocket, WebSocket
// after the upgrade).
//
// One read can bring hundreds of frames. Handling all of them before anything
// else runs lets the messages they produce for other connections (a CALL's
// INVOCATION, a YIELD's RESULT) pile up until the whole read is done, and the
// peers waiting for them sit idle meanwhile: a caller with 64 calls in flight
// and its callee then take turns with the router instead of working beside it
// (docs/PERFORMANCE.md measured 1.5x the calls per second with the limit). The
// rest of the read waits behind whatever else is ready to run, which also keeps
// one busy connection from holding up the others on its thread.
//
// Smaller turns mean more, smaller writes; 16 frames kept the write batches
// large enough that the system-call cost per message hardly moved.
#pragma once

#include <cstddef>

namespace nexus::transport {

inline constexpr std::size_t frames_per_turn = 16;

} // namespace nexus::transport
