// What travels between cluster nodes: a small header (a MessagePack list: the
// kind, then its fields) and, for messages with a payload, a whole WAMP
// message in the serializer the payload arrived in. The payload is spliced
// into that message unchanged and comes out of it as a slice of the received
// bytes, validated by the decoder but never decoded (DESIGN.md: what crosses
// the fabric is the payload as received).
//
//   u32 header length (big endian) | header | u8 format (0: none) | WAMP message
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router::cluster {

enum class Kind : std::uint8_t {
    heartbeat = 1,  // [node, incarnation, sequence of its last directory change]
    directory = 2,  // [node, incarnation, sequence, realm, change...]
    snapshot = 3,   // request: [node]; reply: [node, incarnation, sequence, realms...]
    event = 4,      // [realm, topic, publisher options] + EVENT
    invocation = 5, // [realm, origin node, callee session] + INVOCATION
    interrupt = 6,  // [realm, origin node, callee session] + INTERRUPT
    answer = 7,     // [realm, callee session] + YIELD or ERROR
    kill = 8,       // [realm, session, reason, message]
    revoke = 9,     // [realm, registration|subscription kind, id, session, reason]
    modify = 10,    // [realm, session, details delta]
    probe = 11,     // [realm, [[callee session, request]...]]: invocations the sender waits on
    lost = 12,      // [realm, [[callee session, request]...]]: those of a probe not held here
};

struct Envelope {
    Kind kind{};
    wamp::Array head;                     // the fields after the kind
    std::optional<wamp::Message> message; // with the payload, when there is one
};

/// Encodes; the message goes in the format its payload is raw in (MessagePack
/// for payloads of values). Fails only for values no format carries.
wamp::Expected<std::string> encode(Kind kind, const wamp::Array& head,
                                   const wamp::Message* message = nullptr);

/// Decodes `bytes` (kept alive by the message's payload, which slices it).
wamp::Expected<Envelope> decode(wamp::SharedFrame bytes);

} // namespace nexus::router::cluster
