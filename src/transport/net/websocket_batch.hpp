// WAMP over batched WebSocket (advanced/transport_batched_websocket.md): the
// subprotocols wamp.2.json.batched, wamp.2.msgpack.batched and
// wamp.2.cbor.batched carry one or more WAMP messages per WebSocket message.
//
// JSON: each message is followed by a record separator. The spec's text says
// "\30" and "octet 0x1e"; autobahn-python (and so Crossbar) writes b'\30',
// which is 0x18. Raw control characters never occur in JSON text, so a batch
// is split at either, and the server answers with the one its peer used.
// MessagePack and CBOR: each message is preceded by its length, a 32-bit
// big-endian unsigned integer (the spec does not describe CBOR; the same
// scheme is what autobahn-python does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/format.hpp>

namespace nexus::transport::batch {

/// The record separators a JSON batch may use.
inline constexpr char spec_separator = 0x1e;
inline constexpr char autobahn_separator = 0x18;

/// The messages of one batch, as slices of `batch`. A batch without any
/// message, a message cut short, or an empty message is a failure: the
/// transport must be failed (the spec's "batch of length 0").
/// `separator` (JSON only) becomes the separator the batch used.
wamp::Expected<std::vector<std::string_view>> split(wamp::Format format, std::string_view batch,
                                                    char& separator);

/// What goes before and after one serialized message of `size` bytes to
/// make it a batch of one (JSON: nothing and `separator`; otherwise the
/// length and nothing).
struct Framing {
    char prefix[4];
    std::uint8_t prefix_size = 0;
    char suffix = 0;
    std::uint8_t suffix_size = 0;

    std::string_view before() const { return {prefix, prefix_size}; }
    std::string_view after() const { return {&suffix, suffix_size}; }
};
Framing framing(wamp::Format format, std::size_t size, char separator);

} // namespace nexus::transport::batch
