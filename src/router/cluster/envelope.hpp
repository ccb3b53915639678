// What travels between cluster nodes: a small header (a MessagePack list: the
// kind, then its fields) and, for messages with a payload, a whole WAMP
// message in the serializer the payload arrived in. The payload is spliced
// into that message unchanged and comes out of it as a slice of the received
// bytes, validated by the decoder but never decoded (DESIGN.md: what crosses
// the fabric is the payload as received).
//
//   u32 header length (big endian) | header | u8 format (0: none) | WAMP message
//
// Several envelopes for one subject may travel as one bus message, a batch
// (one publish, one syscall with libnats's send-asap, for what one drain of
// the node's outbound queue has for that subject):
//
//   u32 header length | header [batch, version] | u8 0 | (u32 length | envelope)...
//
// A node says in its heartbeats which batch version it reads; others batch to
// it only then, so a node that predates batches never receives one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router::cluster {

enum class Kind : std::uint8_t {
    heartbeat = 1,  // [node, incarnation, sequence of its last directory change,
                    //  leaving (true: goodbye), highest batch version it reads]
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
    batch = 13,     // [version] + envelopes (see above); never inside a batch
};

/// The batch format this node writes and reads. A reader of a version reads
/// every earlier one too: heartbeats carry the highest version read.
inline constexpr std::uint64_t batch_version = 1;
/// What a batch adds to the envelopes it carries: its header once, and a
/// length before each envelope.
std::size_t batch_header_size();
inline constexpr std::size_t batch_entry_overhead = 4;

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
/// Decodes `part`, a slice of *bytes (an envelope of a batch).
wamp::Expected<Envelope> decode(wamp::SharedFrame bytes, std::string_view part);

/// A batch of `envelopes` (each one encode()'s output), in order.
std::string encode_batch(const std::vector<std::string_view>& envelopes);

/// The envelopes of a batch, in order, as slices of `bytes`. Fails for
/// anything but a well-formed batch of a version this node reads holding at
/// least one envelope: the receiver drops such a message whole.
wamp::Expected<std::vector<std::string_view>> split_batch(std::string_view bytes);

} // namespace nexus::router::cluster
